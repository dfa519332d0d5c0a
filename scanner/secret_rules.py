"""What counts as a likely secret: the detectors and key-name rules behind ``no_secrets``.

smscan.secrets applies these rules to records and masks what they flag.

A string is a **likely secret** when one of these detectors fires (its name is the
``kind`` reported):

Values, whatever the key:

- ``private-key``: a ``-----BEGIN ... PRIVATE KEY-----`` block (RSA, EC, OPENSSH, PGP ...).
- ``aws-access-key-id``: ``AKIA``/``ASIA``/``ABIA``/``ACCA`` followed by 16 capitals or digits.
- ``github-token``: ``ghp_``/``gho_``/``ghu_``/``ghs_``/``ghr_`` + 36 chars, ``github_pat_...``.
- ``gitlab-token``: ``glpat-...``.
- ``slack-token``: ``xoxa-``/``xoxb-``/``xoxp-``/``xoxo-``/``xoxs-``/``xoxr-...``.
- ``slack-webhook``: ``https://hooks.slack.com/services/...`` (and ``workflows``/``triggers``).
- ``stripe-key``: ``sk_live_``/``rk_live_``/``sk_test_``/``rk_test_...`` (``pk_`` keys are public).
- ``openai-key``: ``sk-...``/``sk-proj-...`` with 32+ mixed-case letters and digits.
- ``huggingface-token``: ``hf_`` + 30+ letters and digits mixing upper and lower case.
- ``jwt``: ``eyJ<header>.eyJ<payload>.<signature>``.
- ``url-password``: a password in a URL, ``scheme://user:password@host``.
- ``connection-string-password``: ``Password=...``/``Pwd=...`` in a connection string.
- ``aws-secret-access-key``: 40 base64 characters mixing upper case, lower case and digits,
  either random-looking (see below) or next to a hint (the key or text mentions aws/secret).
- ``high-entropy``: a run of 32+ base64/base64url characters mixing upper case, lower case
  and digits whose Shannon entropy, in bits per character, is at least
  ``max(4.2, log2(62) - 61 / (2 n ln 2) - 0.4)`` for a run of n characters. The second term
  is the entropy a random base62 string of that length is expected to show (Miller-Madow), so
  about 99% of random tokens pass: 4.2 bits at 32 characters, 4.45 at 40, 4.87 at 64. The
  4.2 floor lies above the most that hex (4.0) or a UUID's 17 symbols (4.09) can reach, so
  digests and UUIDs never fire; identifiers made of words (``AmazonSageMaker-ExecutionRole-
  20240101T000000``) stay well below, as their entropy stops growing with their length.
  Whole values that are ARNs, ``s3://``/``gs://`` URIs, ECR image URIs or file paths are
  never judged by entropy, nor are Stripe publishable keys (``pk_live_...``, public by design).

Key names: a map key whose words (split on ``_ - . /``, spaces and camelCase) include
PASSWORD/PASSWD/PWD/PASSPHRASE, SECRET (CLIENT_SECRET, SECRET_KEY), TOKEN, API_KEY/APIKEY,
PRIVATE_KEY, ACCESS_KEY, SIGNING_KEY, CREDENTIAL(S)/CREDS, AUTHORIZATION, AUTH as the last
word (BASIC_AUTH) or before KEY/HEADER, or PASS as the last word (DB_PASS), holding a
non-placeholder value, is ``secret-key-name``. Not secret names:

- TOKEN next to a count or NLP word: MAX_TOKENS, TOKENIZER_NAME, PAD_TOKEN, EOS_TOKEN,
  TOKENS_PER_BATCH (TOKENS and TOKENIZER are other words than TOKEN).
- Keys ending in FILE, DIR, PATH, URL, URI, ENDPOINT, HOST, PORT, USER, USERNAME, TYPE,
  MODE, LENGTH, LEN, SIZE, COUNT, LIMIT, TTL, VERSION, REGION, FORMAT, ENABLED.
- References: keys ending in ARN, NAME, ID, PARAM(S), PARAMETER(S), REF, REFERENCE or
  containing SSM, whose value is written in the alphabet of secret names, parameter names
  and ARNs (letters, digits, ``/_+=.@:-``).

CONNECTION_STRING, DSN or DATABASE_URL are not secret names: such a value is flagged when it
embeds a password (``url-password``, ``connection-string-password``), whatever its key.
The key rules also apply to ``--flag value`` pairs in a list and ``NAME=value``/``--name=value``
strings. A string holding a JSON object or array is judged by its contents.

Placeholders, never secrets under a secret key name: empty; numbers; true/false/yes/no/on/
off; none/null/nil/undefined/n/a/unset/empty; redacted/[redacted]/masked/hidden/removed/
omitted/placeholder/todo/tbd; fillers made only of ``x * • # . _ -`` (``xxxx``, ``***``);
``<...>``, ``${...}``, ``{{...}}``, ``$(...)``, ``$NAME``, ``%(name)s``; smscan's own masks
(``AKIA…[20 chars]``); SSM-style paths (``/prod/db/password``). ``changeme``, ``password``,
``admin`` and the like are NOT placeholders: a job given them really runs with a
(guessable) credential.

References to a secret store are the right practice and never secrets, under any key:
Secrets Manager ARNs, SSM parameter ARNs and ``{{resolve:secretsmanager|ssm|ssm-secure:...}}``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable


def unquote(value: str) -> str:
    v = value.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        v = v[1:-1].strip()
    return v


def _entropy(text: str) -> float:
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def _entropy_floor(n: int) -> float:
    return max(4.2, math.log2(62) - 61 / (2 * n * math.log(2)) - 0.4)


def _mixed(text: str) -> bool:
    """Upper case, lower case and a digit: what random tokens have and words rarely do."""
    return (
        any(c.isupper() for c in text)
        and any(c.islower() for c in text)
        and any(c.isdigit() for c in text)
    )


MASKED = re.compile(r".{0,4}…\[\d+ chars\]|\[\d+ chars\]|•+", re.S)
STORE_REFERENCE = re.compile(
    r"arn:aws[a-z-]{0,16}:secretsmanager:[a-z0-9-]{0,32}:\d{12}:secret:\S{1,512}"
    r"|arn:aws[a-z-]{0,16}:ssm:[a-z0-9-]{0,32}:\d{12}:parameter/\S{1,2048}"
    r"|\{\{resolve:(?:secretsmanager|ssm|ssm-secure):[^{}]{1,2048}\}\}"
)
_SSM_PATH = re.compile(r"(?:/[A-Za-z0-9_.-]{1,1024}){1,15}/?")
_TEMPLATE = re.compile(
    r"[xX*•#._-]+|<[^<>]*>|\$\{[^{}]*\}|\{\{.*\}\}|\$\([^()]*\)|\$[A-Za-z_]\w*|%\([^()]*\)s"
    r"|(?i:redacted|\[redacted\]|masked|hidden|removed|omitted|placeholder|todo|tbd)",
    re.S,
)
_NOT_A_VALUE = re.compile(
    r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
    r"|(?i:true|false|yes|no|on|off|none|null|nil|undefined|n/?a|unset|not[-_ ]?set|empty)"
)
_NO_ENTROPY_SHAPE = re.compile(
    r"arn:|(?:s3|s3a|s3n|gs)://|\d{12}\.dkr\.ecr\.|/|\./|\.\./|~/|file://", re.I
)
_REFERENCE_VALUE = re.compile(r"[A-Za-z0-9/_+=.@:-]{1,2048}")


def is_template(v: str) -> bool:
    return bool(_TEMPLATE.fullmatch(v) or MASKED.fullmatch(v) or STORE_REFERENCE.fullmatch(v))


def is_placeholder(v: str) -> bool:
    return not v or is_template(v) or bool(_NOT_A_VALUE.fullmatch(v) or _SSM_PATH.fullmatch(v))


# --- value detectors: (kind, pattern, extra check on the match). Every repeat is bounded
# or ranges over a class that excludes the next literal, so matching stays linear.
_Check = Callable[["re.Match[str]"], bool]
VALUE_DETECTORS: tuple[tuple[str, re.Pattern[str], _Check | None], ...] = (
    ("private-key", re.compile(r"-----BEGIN[ A-Z0-9]{0,32}PRIVATE KEY(?: BLOCK)?-----"), None),
    (
        "aws-access-key-id",
        re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
        None,
    ),
    (
        "github-token",
        re.compile(
            r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})"
        ),
        None,
    ),
    ("gitlab-token", re.compile(r"(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,255}"), None),
    (
        "slack-webhook",
        re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[\w/+-]{20,512}"),
        None,
    ),
    ("slack-token", re.compile(r"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,255}"), None),
    ("stripe-key", re.compile(r"(?<![A-Za-z0-9])[sr]k_(?:live|test)_[A-Za-z0-9]{16,255}"), None),
    (
        "openai-key",
        re.compile(r"(?<![\w-])sk-(?:proj-|svcacct-|admin-)?([\w-]{32,255})"),
        lambda m: _mixed(m[1]),
    ),
    (
        "huggingface-token",
        re.compile(r"(?<![A-Za-z0-9_])hf_([A-Za-z0-9]{30,255})"),
        lambda m: any(c.isupper() for c in m[1]) and any(c.islower() for c in m[1]),
    ),
    (
        "jwt",
        re.compile(r"(?<![\w-])eyJ[\w-]{5,4096}\.eyJ[\w-]{5,16384}\.[\w-]{0,4096}", re.A),
        None,
    ),
    (
        "url-password",
        re.compile(r"(?i)\b[a-z][a-z0-9+.-]{0,30}://[^\s:/?#@]{0,256}:([^\s/?#@]{1,256})@"),
        lambda m: not is_template(m[1]),
    ),
    (
        "connection-string-password",
        re.compile(r"(?i)(?:^|[;\s])(?:password|pwd)[ \t]{0,8}=[ \t]{0,8}([^;\s]{1,256})"),
        lambda m: not is_template(unquote(m[1])),
    ),
)

# kind -> (literals one of which every match of its pattern contains, compare casefolded).
# A substring test is a fraction of a regex search, and most values hold none of them.
# Casefolding covers what a (?i) pattern matches: it folds U+017F to "s", as (?i) does.
NEEDLES: dict[str, tuple[tuple[str, ...], bool]] = {
    "private-key": (("-----BEGIN",), False),
    "aws-access-key-id": (("AKIA", "ASIA", "ABIA", "ACCA"), False),
    "github-token": (("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"), False),
    "gitlab-token": (("glpat-",), False),
    "slack-webhook": (("https://hooks.slack.com/",), False),
    "slack-token": (("xox",), False),
    "stripe-key": (("k_live_", "k_test_"), False),
    "openai-key": (("sk-",), False),
    "huggingface-token": (("hf_",), False),
    "jwt": (("eyJ",), False),
    "url-password": (("://",), False),
    "connection-string-password": (("password", "pwd"), True),
}

_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_RUN = re.compile(r"[A-Za-z0-9+/_-]{32,}")
_PUBLIC_KEYS = ("pk_live_", "pk_test_")  # Stripe publishable keys: random, public by design
_HEX = frozenset("0123456789abcdefABCDEF")


def aws_secret(v: str, key: str | None) -> bool:
    for m in _AWS_SECRET.finditer(v):
        s = m[0]
        if set(s) <= _HEX or not _mixed(s) or _entropy(s) < 4.2:
            continue
        hint = f"{key or ''} {v[: m.start()]}".lower()
        if "aws" in hint or "secret" in hint:
            return True
        if not _NO_ENTROPY_SHAPE.match(v) and _entropy(s) >= _entropy_floor(40):
            return True
    return False


def high_entropy(v: str) -> bool:
    if _NO_ENTROPY_SHAPE.match(v):
        return False
    return any(
        _mixed(r) and not r.startswith(_PUBLIC_KEYS) and _entropy(r) >= _entropy_floor(len(r))
        for r in _RUN.findall(v)
    )


# --- key names
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_TOKEN_QUALIFIERS = frozenset(
    {"MAX", "MIN", "NUM", "N", "COUNT", "TOTAL", "LEN", "LENGTH", "LIMIT", "SIZE", "BUDGET"}
    | {"PER", "PAD", "BOS", "EOS", "UNK", "SEP", "CLS", "MASK", "SPECIAL", "START", "END"}
    | {"STOP", "VOCAB"}
)
_NOT_SECRET_SUFFIX = frozenset(
    {"FILE", "DIR", "PATH", "URL", "URI", "ENDPOINT", "HOST", "PORT", "USER", "USERNAME"}
    | {"TYPE", "MODE", "LENGTH", "LEN", "SIZE", "COUNT", "LIMIT", "TTL", "VERSION", "REGION"}
    | {"FORMAT", "ENABLED"}
)
_REFERENCE_SUFFIX = frozenset(
    {"ARN", "NAME", "ID", "IDS", "PARAM", "PARAMS", "PARAMETER", "PARAMETERS", "REF", "REFERENCE"}
)
_KEY_COMPOUNDS = ("APIKEY", "ACCESSKEY", "PRIVATEKEY", "SECRETKEY", "SIGNINGKEY", "SECRET")
FLAG = re.compile(r"--?([A-Za-z][A-Za-z0-9_.-]{0,63})")
ASSIGNMENT = re.compile(r"(?:--?)?([A-Za-z_][A-Za-z0-9_.-]{0,63})=(.*)", re.S)


def _key_words(key: str) -> list[str]:
    return [w.upper() for w in _WORD.findall(key)]


def _is_secret_name(words: list[str]) -> bool:
    if not words or words[-1] in _NOT_SECRET_SUFFIX:
        return False
    for i, w in enumerate(words):
        after = words[i + 1] if i + 1 < len(words) else None
        if "PASSWORD" in w or "PASSWD" in w or w.endswith(_KEY_COMPOUNDS):
            return True
        if w in {"PWD", "PASSPHRASE", "SECRETS", "CREDENTIAL", "CREDENTIALS", "CREDS"}:
            return True
        if w == "AUTHORIZATION" or (w == "AUTH" and after in {None, "KEY", "HEADER"}):
            return True
        if w in {"API", "PRIVATE", "ACCESS", "SIGNING"} and after == "KEY":
            return True
        if w.endswith("TOKEN") and not _TOKEN_QUALIFIERS.intersection(words):
            return True
        if w == "PASS" and after is None and i > 0:
            return True
    return False


def key_says_secret(key: str, v: str) -> bool:
    words = _key_words(key)
    if not _is_secret_name(words) or is_placeholder(v):
        return False
    is_reference_key = words[-1] in _REFERENCE_SUFFIX or "SSM" in words
    return not (is_reference_key and _REFERENCE_VALUE.fullmatch(v))

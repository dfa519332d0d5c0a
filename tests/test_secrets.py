"""scanner.secrets: what counts as a likely secret, what never does, and that nothing leaks.

Fake credentials are assembled at runtime so the repository holds no token-shaped literal
(AWS's own documented example key pair excepted).
"""

from __future__ import annotations

import re
import string
import time
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import smscan.secret_rules as secret_rules
from smscan.secrets import SecretHit, detect, find_secrets, mask, redact
from tests.factories import make_record

AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # AWS's documented example
MIXED = "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF"  # 32 chars, upper + lower + digits, no repeats


def b64url(n: int) -> str:
    return (MIXED * 8)[:n]


def fake_jwt() -> str:
    return "eyJ" + "hbGciOiJIUzI1NiJ9" + ".eyJ" + "zdWIiOiIxMjM0In0" + "." + b64url(43)


POSITIVES: list[tuple[str, str, str | None]] = [
    ("aws-access-key-id", AWS_KEY_ID, None),
    ("aws-access-key-id", "ASIA" + "Y3FAKEKEYID0TEST", "anything"),
    ("aws-secret-access-key", AWS_SECRET, "AWS_SECRET_ACCESS_KEY"),
    ("aws-secret-access-key", AWS_SECRET, None),
    ("private-key", "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEow...\n-----END", None),
    ("private-key", "-----BEGIN OPENSSH " + "PRIVATE KEY-----", "ssh"),
    ("github-token", "ghp_" + b64url(36), None),
    ("github-token", "github_pat_" + b64url(22) + "_" + b64url(59), None),
    ("gitlab-token", "glpat-" + b64url(20), None),
    ("slack-token", "xoxb-" + "123456789012-" + b64url(24), None),
    ("slack-webhook", "https://hooks.slack.com/services/T0000/B0000/" + b64url(24), None),
    ("stripe-key", "sk_live_" + b64url(24), None),
    ("stripe-key", "rk_live_" + b64url(24), None),
    ("stripe-key", "sk_test_" + b64url(24), None),
    ("openai-key", "sk-" + b64url(48), None),
    ("openai-key", "sk-proj-" + b64url(64), None),
    ("huggingface-token", "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh", None),
    ("jwt", fake_jwt(), None),
    ("jwt", "Bearer " + fake_jwt(), "headers"),
    ("url-password", "postgresql://ml:Tr0ub4dor@db.internal:5432/features", None),
    ("url-password", "redis://:s3cretpw@cache:6379/0", None),
    ("connection-string-password", "Server=db;Database=ml;User Id=sa;Password=Tr0ub4dor;", None),
    ("secret-key-name", "hunter2", "DB_PASSWORD"),
    ("secret-key-name", "hunter2", "mysqlPasswd"),
    ("secret-key-name", "abc123", "WANDB_API_KEY"),
    ("secret-key-name", "abc123", "apiKey"),
    ("secret-key-name", "abc123", "HF_TOKEN"),
    ("secret-key-name", "abc123", "HFToken"),
    ("secret-key-name", "abc123", "AUTH_TOKEN"),
    ("secret-key-name", "abc123", "client_secret"),
    ("secret-key-name", "abc123", "PRIVATE_KEY"),
    ("secret-key-name", "abc123", "GOOGLE_APPLICATION_CREDENTIALS_JSON"),
    ("secret-key-name", "user:pw", "BASIC_AUTH"),
    ("secret-key-name", "abc123", "SMTP_PASS"),
    ("secret-key-name", "changeme", "DB_PASSWORD"),  # a default password is still a password
    ("secret-key-name", "P@ss w0rd!", "DB_SECRET_NAME"),  # not a name a secret store accepts
    ("secret-key-name", "--api-key=abc123", "ContainerArguments"),
    ("secret-key-name", "DB_PASSWORD=hunter2", None),
    ("secret-key-name", '{"db": {"password": "hunter2"}}', "config"),
    ("high-entropy", b64url(32) + "Xy9", None),
    ("high-entropy", "--seed-blob " + MIXED + MIXED[::-1][:20], "args"),
]


@pytest.mark.parametrize(("kind", "value", "key"), POSITIVES)
def test_detects_each_kind(kind: str, value: str, key: str | None) -> None:
    assert detect(value, key) == kind


def test_every_documented_kind_has_a_positive_case() -> None:
    documented = set(re.findall(r"^- ``([a-z-]+)``", secret_rules.__doc__ or "", re.M))
    assert documented == {kind for kind, _, _ in POSITIVES} - {"secret-key-name"}


NEGATIVES: list[tuple[str, str | None]] = [
    # references to a secret store
    ("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf", "DB_PASSWORD"),
    ("arn:aws:ssm:us-east-1:123456789012:parameter/prod/db/password", "API_TOKEN"),
    ("{{resolve:secretsmanager:prod/db:SecretString:password}}", "DB_PASSWORD"),
    ("{{resolve:ssm-secure:/prod/db/password:1}}", "DB_PASSWORD"),
    ("/prod/db/password", "DB_PASSWORD"),
    ("prod/db-credentials", "DB_SECRET_NAME"),
    ("arn:aws:secretsmanager:us-east-1:123456789012:secret:x", "DB_SECRET_ARN"),
    ("prod-db", "DB_SECRET_ID"),
    ("/ml/hf", "HF_TOKEN_PARAM"),
    ("ml-hf-token", "HF_TOKEN_SSM_PARAMETER"),
    # placeholders under a secret key name
    ("", "DB_PASSWORD"),
    ("   ", "DB_PASSWORD"),
    ("12345", "API_TOKEN"),
    ("0.5", "SECRET_RATIO"),
    ("true", "USE_AUTH_TOKEN"),
    ("no", "PASSWORD_AUTH"),
    ("None", "DB_PASSWORD"),
    ("null", "DB_PASSWORD"),
    ("xxxxxxxx", "DB_PASSWORD"),
    ("XXXX-XXXX", "API_KEY"),
    ("***", "DB_PASSWORD"),
    ("<your-api-key>", "API_KEY"),
    ("${DB_PASSWORD}", "DB_PASSWORD"),
    ("{{ db_password }}", "DB_PASSWORD"),
    ("$(cat /run/secrets/db)", "DB_PASSWORD"),
    ("$DB_PASSWORD", "DB_PASSWORD"),
    ("REDACTED", "DB_PASSWORD"),
    ('"***"', "DB_PASSWORD"),
    (mask("hunter2hunter2"), "DB_PASSWORD"),  # already masked: redact is idempotent
    ("postgresql://ml:${DB_PASSWORD}@db:5432/x", "DATABASE_URL"),
    ("postgresql://ml:<password>@db:5432/x", None),
    ("Server=db;Password=***;", "CONNECTION_STRING"),
    # names that look like TOKEN / PASSWORD but are not secrets
    ("bert-base-uncased", "TOKENIZER_NAME"),
    ("512", "MAX_TOKENS"),
    ("4096", "max_new_tokens"),
    ("</s>", "eos_token"),
    ("[PAD]", "pad_token"),
    ("false", "TOKENIZERS_PARALLELISM"),
    ("2048", "tokens_per_batch"),
    ("/run/secrets/db", "PASSWORD_FILE"),
    ("https://auth.example.com/oauth2/token", "TOKEN_URL"),
    ("bearer", "TOKEN_TYPE"),
    ("/opt/ml/code", "PWD"),
    ("ml-user", "DB_USER"),
    # values that must never trip the value detectors
    ("sha256:" + "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", None),
    ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "IMAGE_DIGEST"),
    ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "GIT_COMMIT"),
    ("d41d8cd98f00b204e9800998ecf8427e", "md5"),
    ("123e4567-e89b-12d3-a456-426614174000", "RUN_ID"),
    ("123e4567-e89b-12d3-a456-426614174000", "API_KEY_ID"),
    (
        "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20240101T000000",
        None,
    ),
    ("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", None),
    ("s3://sagemaker-us-east-1-123456789012/pytorch-training-2024-05-01-12-34-56-789/output", None),
    ("s3://bucket/datasets/ImageNet/ILSVRC2012/train/n01440764/aB3dE6gH9jK2mN5pQ8sT1vW4yZ7b", None),
    (
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.0.1-gpu-py310-cu118"
        "-ubuntu20.04-sagemaker@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15",
        None,
    ),
    ("/opt/ml/input/data/training/aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF/part-0001.parquet", None),
    ("TrainingJobName-ab12cd34-ef56-7890-abcd-ef1234567890", None),
    ("AmazonSageMaker-ExecutionRole-20240101T000000", None),
    ("huggingface-pytorch-training:2.0.0-transformers4.28.1-gpu-py310-cu118-ubuntu20.04", None),
    ("sentence-transformers/all-MiniLM-L6-v2", "model_id"),
    ("sk-learn-random-forest-classifier-with-defaults", "estimator"),
    ("hf_transformers_cache_directory_for_training_jobs", "cache"),
    ("pk_live_" + b64url(24), None),  # publishable Stripe keys are public
    ('{"lr": 0.001, "optimizer": "adam"}', "hyperparameters"),
    ('["--epochs", "10", "--password-file", "/run/secrets/db"]', "args"),
]
HYPERPARAMETERS = ["0.001", "1e-4", "adam", "adamw_torch", "32", "true", "cosine", '"sgd"']


@pytest.mark.parametrize(("value", "key"), NEGATIVES)
def test_never_flags(value: str, key: str | None) -> None:
    assert detect(value, key) is None


@pytest.mark.parametrize("value", HYPERPARAMETERS)
def test_common_hyperparameters_are_not_secrets(value: str) -> None:
    assert find_secrets({"learning_rate": value, "optimizer": value, "epochs": value}) == []


def test_a_realistic_record_is_left_untouched() -> None:
    data = make_record().data
    assert find_secrets(data) == []
    assert redact(data) == data


@given(st.text(min_size=1))
def test_mask_never_contains_the_value_and_shows_at_most_a_quarter(value: str) -> None:
    masked = mask(value)
    assert value not in masked
    shown = masked.split("…", 1)[0] if "…" in masked else ""
    assert len(shown) <= min(4, len(value) // 4)
    assert value.startswith(shown)


def test_mask_format() -> None:
    assert mask(AWS_KEY_ID) == "AKIA…[20 chars]"
    assert mask("hunter2") == "h…[7 chars]"
    assert mask("abc") == "…[3 chars]"
    assert mask("") == ""
    assert "7" not in mask("7") and "chars" not in mask("chars")


def test_find_secrets_walks_maps_lists_and_flags_in_sorted_order() -> None:
    value = {
        "z_token": "abc123",
        "AlgorithmSpecification": {"ContainerArguments": ["--epochs", "3", "--api-key", "k3y"]},
        "a": [{"DB_PASSWORD": "hunter2", "port": "5432"}, AWS_KEY_ID],
    }
    assert find_secrets(value) == [
        SecretHit("AlgorithmSpecification.ContainerArguments[3]", "secret-key-name", "…[3 chars]"),
        SecretHit("a[0].DB_PASSWORD", "secret-key-name", "h…[7 chars]"),
        SecretHit("a[1]", "aws-access-key-id", "AKIA…[20 chars]"),
        SecretHit("z_token", "secret-key-name", "a…[6 chars]"),
    ]
    assert find_secrets({"HF_TOKEN": "abc123"}, "environment")[0].key == "environment.HF_TOKEN"
    assert find_secrets(AWS_KEY_ID) == [SecretHit(None, "aws-access-key-id", "AKIA…[20 chars]")]
    assert find_secrets("hunter2", "DB_PASSWORD")[0].key == "DB_PASSWORD"
    assert find_secrets(["--use-password", "--epochs", "3", "--password", "${PW}"]) == []
    assert find_secrets(None) == find_secrets(42) == find_secrets({}) == []


def test_redact_masks_only_secrets_and_preserves_everything_else() -> None:
    original: dict[Any, Any] = {
        "environment": {"DB_PASSWORD": "hunter2", "MODE": "train", "DB_PASSWORD_ARN": "arn:x"},
        "hyper_parameters": {"lr": "0.001", "epochs": "10", "HF_TOKEN": "${HF_TOKEN}"},
        "args": ("--token", "abc123", "--epochs", "3"),
        "nested": [{"key": AWS_KEY_ID, "n": 3, "ok": True, "none": None}],
        1: "integer keys survive",
    }
    snapshot = repr(original)
    redacted = redact(original)
    assert repr(original) == snapshot  # a copy: the input is not modified
    assert redacted == {
        "environment": {"DB_PASSWORD": "h…[7 chars]", "MODE": "train", "DB_PASSWORD_ARN": "arn:x"},
        "hyper_parameters": {"lr": "0.001", "epochs": "10", "HF_TOKEN": "${HF_TOKEN}"},
        "args": ("--token", "a…[6 chars]", "--epochs", "3"),
        "nested": [{"key": "AKIA…[20 chars]", "n": 3, "ok": True, "none": None}],
        1: "integer keys survive",
    }
    assert list(redacted) == list(original)
    assert redact(redacted) == redacted
    assert redact("hunter2", "DB_PASSWORD") == "h…[7 chars]"
    assert redact("hunter2") == "hunter2"


def test_pathological_inputs_finish_quickly() -> None:
    nasty = [
        "eyJ" + "a" * 50_000 + ".eyJ" + "b" * 50_000,
        "eyJ" * 30_000,
        "postgres://" + ":" * 50_000,
        "a://" + "b" * 100_000 + ":" + "c" * 100_000,
        "-----BEGIN " + " " * 100_000,
        "Password=" * 20_000,
        "x" * 200_000 + "!",
        MIXED * 10_000,
        "[" * 10_000,
        "{" * 5_000 + "}" * 5_000,
        "--a=" * 50_000,
    ]
    # CPU time of this process (not wall-clock: a loaded machine does not count); a
    # backtracking pattern would need hours on these inputs, far above the budget.
    start = time.process_time()
    for value in nasty:
        detect(value, "DB_PASSWORD")
        detect(value)
    assert time.process_time() - start < 5


# --- the property: whatever the detector, the value never survives mask() or redact()

ALNUM = string.ascii_letters + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits


def _text(alphabet: str, lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=lo, max_size=hi)


def _mixed(lo: int, hi: int) -> st.SearchStrategy[str]:
    """Alphanumerics that surely hold an upper-case letter, a lower-case one and a digit."""
    return st.tuples(
        _text(string.ascii_uppercase, 1, 1),
        _text(string.ascii_lowercase, 1, 1),
        _text(string.digits, 1, 1),
        _text(ALNUM, lo - 3, hi - 3),
    ).map("".join)


def _random_token(lo: int, hi: int) -> st.SearchStrategy[str]:
    """Distinct characters in random order: as random-looking as a string of its length gets."""
    return (
        st.tuples(st.permutations(ALNUM), st.integers(lo, hi))
        .map(lambda pair: "".join(pair[0][: pair[1]]))
        .filter(lambda s: any(c.isupper() for c in s) and any(c.isdigit() for c in s))
    )


_PASSWORD = _mixed(8, 24)
SECRET_VALUES: dict[str, tuple[st.SearchStrategy[str], str]] = {
    "aws-access-key-id": (
        st.tuples(
            st.sampled_from(["AKIA", "ASIA", "ABIA", "ACCA"]), _text(UPPER_ALNUM, 16, 16)
        ).map("".join),
        "creds",
    ),
    "aws-secret-access-key": (_random_token(40, 40), "AWS_SECRET_ACCESS_KEY"),
    "private-key": (
        st.tuples(
            st.sampled_from(["", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED "]), _text(ALNUM, 0, 80)
        ).map(
            lambda p: f"-----BEGIN {p[0]}PRIVATE KEY-----\n{p[1]}\n-----END {p[0]}PRIVATE KEY-----"
        ),
        "cert",
    ),
    "github-token": (
        st.tuples(st.sampled_from("pousr"), _text(ALNUM, 36, 40)).map(lambda p: f"gh{p[0]}_{p[1]}"),
        "x",
    ),
    "gitlab-token": (_text(ALNUM + "_-", 20, 40).map(lambda s: "glpat-" + s), "x"),
    "slack-token": (
        st.tuples(st.sampled_from("abposr"), _text(ALNUM + "-", 10, 60)).map(
            lambda p: f"xox{p[0]}-{p[1]}"
        ),
        "x",
    ),
    "slack-webhook": (
        _text(ALNUM, 24, 40).map(lambda s: f"https://hooks.slack.com/services/T01/B02/{s}"),
        "x",
    ),
    "stripe-key": (
        st.tuples(st.sampled_from(["sk_live_", "rk_live_", "sk_test_"]), _text(ALNUM, 16, 40)).map(
            "".join
        ),
        "x",
    ),
    "openai-key": (
        st.tuples(st.sampled_from(["sk-", "sk-proj-"]), _mixed(32, 64)).map("".join),
        "x",
    ),
    "huggingface-token": (
        st.tuples(_text(string.ascii_uppercase, 1, 1), _text(string.ascii_letters, 33, 33)).map(
            lambda p: "hf_" + p[0] + p[1].lower()
        ),
        "x",
    ),
    "jwt": (
        st.tuples(_text(ALNUM + "_-", 5, 40), _text(ALNUM + "_-", 5, 80), _text(ALNUM, 0, 43)).map(
            lambda p: f"eyJ{p[0]}.eyJ{p[1]}.{p[2]}"
        ),
        "x",
    ),
    "url-password": (
        st.tuples(st.sampled_from(["https", "postgresql", "mongodb+srv"]), _PASSWORD).map(
            lambda p: f"{p[0]}://ml:{p[1]}@db.internal/app"
        ),
        "x",
    ),
    "connection-string-password": (
        _PASSWORD.map(lambda p: f"Server=db;User Id=sa;Password={p};"),
        "x",
    ),
    "secret-key-name": (_PASSWORD, "DB_PASSWORD"),
    "high-entropy": (_random_token(44, 62), "x"),
}


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(sorted(SECRET_VALUES)).flatmap(
        lambda kind: st.tuples(
            st.just(kind), SECRET_VALUES[kind][0], st.just(SECRET_VALUES[kind][1])
        )
    )
)
def test_no_secret_survives_mask_or_redact(case: tuple[str, str, str]) -> None:
    kind, value, key = case
    assume(value not in key)
    assert detect(value, key) is not None
    masked = mask(value)
    assert value not in masked
    redacted = redact({key: value, "nested": [{key: value}, {key: [value]}]})
    assert value not in repr(redacted)
    assert value not in str(redacted) and value not in str(find_secrets({key: value}))


@pytest.mark.parametrize("kind", sorted(SECRET_VALUES))
def test_every_kind_has_a_generator(kind: str) -> None:
    assert kind in {k for k, _, _ in POSITIVES}


def _needle_holds(value: str) -> None:
    """Where a detector's pattern matches, one of its needles is in the value: skipping the
    pattern on a value without its needles (secrets.detect) can never miss a secret."""
    from smscan.secret_rules import NEEDLES, VALUE_DETECTORS

    for kind, pattern, _check in VALUE_DETECTORS:
        needles, caseless = NEEDLES[kind]
        hay = value.casefold() if caseless else value
        if pattern.search(value) is not None:
            assert any(n in hay for n in needles), (kind, value)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(SECRET_VALUES)).flatmap(lambda kind: SECRET_VALUES[kind][0]),
    st.text(max_size=20),
    st.text(max_size=20),
)
def test_every_detector_match_contains_one_of_its_needles(secret: str, before: str, after: str) -> None:
    _needle_holds(before + secret + after)


@pytest.mark.parametrize(
    "value",
    ["Server=db;PAſſWORD=hunter2x;", "Pwd = s3cr3tvalue", "PASSWORD=Tr0ub4dor&3", "postgres://u:p%40ss@h/db",
     "xoxb-1234567890-abcdefghij", "sk_live_" + "a1B2" * 5, "-----BEGIN OPENSSH PRIVATE KEY-----"],
)  # fmt: skip
def test_needles_hold_for_case_and_unicode_variants(value: str) -> None:
    from smscan.secrets import _detect

    _needle_holds(value)
    assert _detect(value, None) is not None  # each of these is a secret, needles or not

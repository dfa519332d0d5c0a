"""Load and validate policy files: every problem of every file is collected, then raised once.

A pack is the built-in `policies/` directory, a user directory of YAML files, or
single files. Param overrides (smscan.yaml, --param) are applied before the
conditions are compiled, so a regex or list that comes from a param is checked
exactly like one written in the policy.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from scanner.errors import ConfigError, PolicyError
from scanner.models import PolicyInfo, Severity, Status
from scanner.policy.build import build_condition
from scanner.policy.messages import MessageTemplate, MessageTemplateError
from scanner.policy.model import Example, Policy
from scanner.policy.problems import Problems, Scope
from scanner.yamlpos import Pos, YamlProblem, YList, YMap, load_file, to_plain

BUILTIN = "builtin"
REQUIRED = ("id", "title", "severity", "description", "check")
OPTIONAL = (
    "rationale",
    "remediation",
    "references",
    "frameworks",
    "params",
    "when",
    "message",
    "examples",
)
REMEDIATION_KEYS = ("summary", "console", "cli", "sdk", "cloudformation", "terraform")
EXAMPLE_KINDS = {"pass": Status.PASS, "fail": Status.FAIL, "not_applicable": Status.NOT_APPLICABLE}
EXAMPLE_PARAMS = "params"  # examples.params: param values the examples are evaluated with
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_PARAM = re.compile(r"^[a-z_][a-z0-9_]*$")


def builtin_pack_dir() -> Path:
    import policies

    return policies.PACK_DIR


def discover(paths: Sequence[str | Path]) -> list[tuple[Path, str]]:
    """Expand pack arguments into (file, pack-relative path) pairs, in a stable order."""
    found: list[tuple[Path, str]] = []
    for raw in paths or [BUILTIN]:
        path = builtin_pack_dir() if str(raw) == BUILTIN else Path(raw)
        if path.is_dir():
            files = sorted(
                p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
            )
            found.extend(
                (f, f"{path.resolve().name}/{f.relative_to(path).as_posix()}") for f in files
            )
        elif path.is_file():
            found.append((path, f"{path.resolve().parent.name}/{path.name}"))
        else:
            raise ConfigError(f"{raw}: no such policy file or directory")
    return found


def load_policies(
    paths: Sequence[str | Path] = (),
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Policy]:
    """Load every policy under `paths` (default: the built-in pack). Raises PolicyError."""
    problems = Problems()
    policies: list[Policy] = []
    first_seen: dict[str, str] = {}
    for file, relpath in discover(paths):
        before = len(problems.items)
        policy = _load_one(file, relpath, overrides or {}, problems, first_seen)
        if policy is not None:
            policies.append(policy)
        problems.items[before:] = sorted(problems.items[before:], key=lambda item: _line_col(item, str(file)))
    if problems:
        raise PolicyError(problems.items)
    _check_overrides(policies, overrides or {})
    return sorted(policies, key=lambda p: p.id)


def _line_col(item: str, file: str) -> tuple[int, int]:
    """(line, col) of a problem "FILE:LINE:COL: ...", to list a file's problems in order."""
    line, col, _ = item[len(file) + 1 :].split(":", 2)
    return (int(line), int(col)) if line.isdigit() and col.isdigit() else (0, 0)


def _check_overrides(
    policies: Iterable[Policy], overrides: Mapping[str, Mapping[str, Any]]
) -> None:
    by_id = {p.id: p for p in policies}
    for policy_id, values in overrides.items():
        if policy_id not in by_id:
            raise ConfigError(f"param override for unknown policy {policy_id!r}")
        for name in values:
            if name not in by_id[policy_id].info.params:
                declared = ", ".join(by_id[policy_id].info.params) or "none"
                raise ConfigError(
                    f"policy {policy_id} has no param {name!r} (declared: {declared})"
                )


def _load_one(
    file: Path,
    relpath: str,
    overrides: Mapping[str, Mapping[str, Any]],
    problems: Problems,
    first_seen: dict[str, str],
) -> Policy | None:
    # Until the id is read, the file stem stands for it (they must be equal anyway).
    scope = Scope(str(file), f"policy {file.stem}", problems)
    try:
        doc = load_file(file)
    except YamlProblem as exc:
        scope.add(exc.pos, "", str(exc))
        return None
    if not isinstance(doc, YMap):
        scope.add(getattr(doc, "pos", None), "", "expected a mapping of policy fields")
        return None
    policy_id = doc.get("id")
    if isinstance(policy_id, str):
        scope.subject = f"policy {policy_id}"
    before = len(problems.items)
    _check_keys(doc, scope)
    _check_id(doc, file, scope, first_seen)
    params = _params(doc, scope, overrides.get(str(policy_id), {}))
    severity = _severity(doc, scope)
    when = (
        build_condition(doc["when"], "when", scope, params, doc.key_pos["when"])
        if "when" in doc
        else None
    )
    check = (
        build_condition(doc.get("check"), "check", scope, params, doc.key_pos.get("check", doc.pos))
        if "check" in doc
        else None
    )
    message = _message(doc, scope)
    examples = _examples(doc, scope)
    example_params = _example_params(doc, scope, params)
    # Checked before giving up on the file, so every problem in it is reported at once.
    title, description, rationale = (_text(doc, key, scope) for key in ("title", "description", "rationale"))
    remediation = _remediation(doc, scope)
    references = tuple(_str_list(doc, "references", scope))
    frameworks = _frameworks(doc, scope)
    if len(problems.items) > before or check is None or severity is None:
        return None
    info = PolicyInfo(
        id=str(policy_id),
        title=title,
        severity=severity,
        description=description,
        rationale=rationale,
        remediation=remediation,
        references=references,
        frameworks=frameworks,
        params=params,
        source_path=str(file),
        source_line=doc.key_pos["id"].line,
        pack_relpath=relpath,
        digest=hashlib.sha256(file.read_bytes()).hexdigest()[:12],
    )
    if len(problems.items) > before:
        return None
    return Policy(
        info=info, check=check, when=when, message=message, examples=examples, example_params=example_params
    )


def _check_keys(doc: YMap, scope: Scope) -> None:
    for key in doc:
        if key not in REQUIRED and key not in OPTIONAL:
            scope.add(
                doc.key_pos[key],
                key,
                f"unknown key (expected one of {', '.join(REQUIRED + OPTIONAL)})",
            )
    for key in REQUIRED:
        if key not in doc:
            scope.add(doc.pos, key, "missing required key")


def _check_id(doc: YMap, file: Path, scope: Scope, first_seen: dict[str, str]) -> None:
    policy_id = doc.get("id")
    pos = doc.key_pos.get("id", doc.pos)
    if not isinstance(policy_id, str) or not _ID.match(policy_id):
        scope.add(pos, "id", "expected a kebab-case id such as network-isolation")
        return
    if policy_id != file.stem:
        scope.add(pos, "id", f"id must equal the file name stem {file.stem!r}")
    where = f"{file}:{pos.line}"
    if policy_id in first_seen:
        scope.add(pos, "id", f"duplicate policy id (first defined at {first_seen[policy_id]})")
    else:
        first_seen[policy_id] = where


def _severity(doc: YMap, scope: Scope) -> Severity | None:
    raw = doc.get("severity")
    try:
        return Severity.parse(raw) if isinstance(raw, str) else Severity.parse(repr(raw))
    except ValueError as exc:
        scope.add(doc.key_pos.get("severity", doc.pos), "severity", str(exc))
        return None


def _text(doc: YMap, key: str, scope: Scope) -> str:
    value = doc.get(key, "")
    if not isinstance(value, str):
        scope.add(doc.key_pos[key], key, "expected a string")
        return ""
    return value.strip()


def _str_list(doc: YMap, key: str, scope: Scope) -> list[str]:
    if key not in doc:
        return []
    value = doc[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        scope.add(doc.key_pos[key], key, "expected a list of strings")
        return []
    if key == "references":
        for i, url in enumerate(value):
            if not url.startswith(("https://", "http://")):
                scope.add(_item_pos(doc[key], i), f"{key}[{i}]", "expected an http(s) URL")
    return list(value)


def _item_pos(seq: Any, i: int) -> Pos | None:
    return seq.item_pos[i] if isinstance(seq, YList) else None


def _remediation(doc: YMap, scope: Scope) -> dict[str, str]:
    if "remediation" not in doc:
        return {}
    value = doc["remediation"]
    if isinstance(value, str):
        return {"summary": value.strip()}
    if not isinstance(value, YMap):
        scope.add(
            doc.key_pos["remediation"], "remediation", "expected a mapping of channel -> text"
        )
        return {}
    out: dict[str, str] = {}
    for key, text in value.items():
        if key not in REMEDIATION_KEYS:
            scope.add(
                value.key_pos[key],
                f"remediation.{key}",
                f"unknown key (expected one of {', '.join(REMEDIATION_KEYS)})",
            )
        elif not isinstance(text, str):
            scope.add(value.key_pos[key], f"remediation.{key}", "expected a string")
        else:
            out[key] = text.strip()
    return out


def _frameworks(doc: YMap, scope: Scope) -> dict[str, tuple[str, ...]]:
    if "frameworks" not in doc:
        return {}
    value = doc["frameworks"]
    if not isinstance(value, YMap):
        scope.add(
            doc.key_pos["frameworks"],
            "frameworks",
            "expected a mapping of framework -> list of control ids",
        )
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for name, controls in value.items():
        items = [controls] if isinstance(controls, str) else controls
        if not isinstance(items, list) or not all(isinstance(c, (str, int, float)) for c in items):
            scope.add(value.key_pos[name], f"frameworks.{name}", "expected a list of control ids")
            continue
        out[name] = tuple(str(c) for c in items)
    return out


def _params(doc: YMap, scope: Scope, overrides: Mapping[str, Any]) -> dict[str, Any]:
    raw = doc.get("params", YMap())
    if not isinstance(raw, YMap):
        scope.add(doc.key_pos["params"], "params", "expected a mapping of name -> default value")
        return {}
    params: dict[str, Any] = {}
    for name, default in raw.items():
        if not _PARAM.match(name):
            scope.add(raw.key_pos[name], f"params.{name}", "expected a snake_case name")
            continue
        params[name] = to_plain(default)
    for name, value in overrides.items():
        if name in params:
            params[name] = coerce_override(
                f"{scope.subject.split()[-1]}.{name}", params[name], value
            )
    return params


def coerce_override(label: str, default: Any, value: Any) -> Any:
    """Check an override against the default's type (a list stays a list, a number a number)."""

    def kind(v: Any) -> str:
        if isinstance(v, bool):
            return "a boolean"
        if isinstance(v, (int, float)):
            return "a number"
        if isinstance(v, str):
            return "a string"
        if isinstance(v, list):
            return "a list"
        if isinstance(v, dict):
            return "a mapping"
        return "null"

    if default is not None and kind(default) != kind(value):
        raise ConfigError(
            f"param {label}: expected {kind(default)} like the default {default!r}, got {kind(value)}"
        )
    return to_plain(value)


def _message(doc: YMap, scope: Scope) -> MessageTemplate | None:
    source = doc.get("message")
    if source is None:
        return None
    pos = doc.key_pos["message"]
    if not isinstance(source, str):
        scope.add(pos, "message", "expected a Jinja2 template string")
        return None
    try:
        return MessageTemplate(source)
    except MessageTemplateError as exc:
        line = pos.line + (exc.line - 1 if exc.line and "\n" in source else 0)
        scope.add(Pos(line, pos.col), "message", str(exc))
        return None


def _examples(doc: YMap, scope: Scope) -> tuple[Example, ...]:
    if "examples" not in doc:
        return ()
    raw = doc["examples"]
    if not isinstance(raw, YMap):
        scope.add(
            doc.key_pos["examples"],
            "examples",
            "expected a mapping with pass/fail/not_applicable lists",
        )
        return ()
    examples: list[Example] = []
    for kind, items in raw.items():
        if kind == EXAMPLE_PARAMS:
            continue
        if kind not in EXAMPLE_KINDS:
            scope.add(
                raw.key_pos[kind],
                f"examples.{kind}",
                "unknown kind (expected pass, fail or not_applicable)",
            )
            continue
        if not isinstance(items, YList):
            scope.add(raw.key_pos[kind], f"examples.{kind}", "expected a list of records")
            continue
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                scope.add(
                    items.item_pos[i], f"examples.{kind}[{i}]", "expected a record (a mapping)"
                )
                continue
            examples.append(Example(EXAMPLE_KINDS[kind], to_plain(item), items.item_pos[i].line))
    return tuple(examples)


def _example_params(doc: YMap, scope: Scope, params: Mapping[str, Any]) -> dict[str, Any]:
    raw = doc.get("examples")
    if not isinstance(raw, YMap) or EXAMPLE_PARAMS not in raw:
        return {}
    values = raw[EXAMPLE_PARAMS]
    pos = raw.key_pos[EXAMPLE_PARAMS]
    if not isinstance(values, YMap):
        scope.add(pos, "examples.params", "expected a mapping of param -> value")
        return {}
    for name in values:
        if name not in params:
            scope.add(values.key_pos[name], f"examples.params.{name}", f"unknown param (declared: {', '.join(params) or 'none'})")
    return dict(to_plain(values))

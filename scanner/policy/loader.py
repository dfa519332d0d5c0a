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

from smscan.errors import ConfigError, PolicyError
from smscan.models import PolicyInfo
from smscan.policy.build import build_condition
from smscan.policy.fields import (
    example_params_of,
    examples_of,
    frameworks_of,
    params_of,
    remediation_of,
    severity_of,
    str_list_of,
    text_of,
)
from smscan.policy.message_field import message_of
from smscan.policy.model import Policy
from smscan.policy.pack_cache import PackTrees
from smscan.policy.prevent import prevent_of
from smscan.policy.problems import Problems, Scope
from smscan.policy.template_cache import TemplateChecks
from smscan.yamlpos import YamlProblem, YMap, load_file

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
    "prevent",
)
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def builtin_pack_dir() -> Path:
    from smscan import policies

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
            pack_name = path.resolve().name  # once, not per file: resolving stats every component
            found.extend((f, f"{pack_name}/{f.relative_to(path).as_posix()}") for f in files)
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
    builtin = builtin_pack_dir()
    trees: PackTrees | None = None
    # Keyed by the template's text, not its file: a user pack's unchanged templates are known, too.
    checks = TemplateChecks(builtin)
    for file, relpath in discover(paths):
        in_pack = file.parent == builtin
        if in_pack and trees is None:
            trees = PackTrees(builtin)
        before = len(problems.items)
        policy = _load_one(file, relpath, overrides or {}, problems, first_seen, trees if in_pack else None, checks)
        if policy is not None:
            policies.append(policy)
        problems.sort_from(before)
    if trees is not None:
        trees.save()
    checks.save()
    if problems:
        raise PolicyError(problems.items)
    _check_overrides(policies, overrides or {})
    return sorted(policies, key=lambda p: p.id)


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
    trees: PackTrees | None,
    checks: TemplateChecks,
) -> Policy | None:
    # Until the id is read, the file stem stands for it (they must be equal anyway).
    scope = Scope(str(file), f"policy {file.stem}", problems, name=file.stem)
    try:
        # A built-in file's tree may come from the pack's cache: the same values and
        # positions, and every check below still runs on them.
        doc = trees.load(file) if trees is not None else load_file(file)
    except YamlProblem as exc:
        scope.add(exc.pos, "", str(exc))
        return None
    if not isinstance(doc, YMap):
        scope.add(getattr(doc, "pos", None), "", "expected a mapping of policy fields")
        return None
    policy_id = doc.get("id")
    if isinstance(policy_id, str):
        scope.subject, scope.name = f"policy {policy_id}", policy_id
    before = len(problems.items)
    _check_keys(doc, scope)
    _check_id(doc, file, scope, first_seen)
    params = params_of(doc, scope, overrides.get(str(policy_id), {}))
    severity = severity_of(doc, scope)
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
    message = message_of(doc, scope, checks)
    examples = examples_of(doc, scope)
    example_params = example_params_of(doc, scope, params)
    prevent = prevent_of(doc, scope, params)
    # Checked before giving up on the file, so every problem in it is reported at once.
    title, description, rationale = (text_of(doc, key, scope) for key in ("title", "description", "rationale"))
    remediation = remediation_of(doc, scope)
    references = tuple(str_list_of(doc, "references", scope))
    frameworks = frameworks_of(doc, scope)
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
        info=info, check=check, when=when, message=message, examples=examples, example_params=example_params,
        prevent=prevent,
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

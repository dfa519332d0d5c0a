"""Training jobs in a Terraform plan (`terraform show -json plan.out`).

A plan holds every resource Terraform will create or update, modules included, with
the values Terraform already knows (`change.after`) and a mirror tree
`change.after_unknown` marking what is "known after apply": those become RunTime
leaves. `resource_changes` is read (one entry per instance, so `count` and
`for_each` instances are separate jobs, addressed `module.m.type.name[0]`); a
resource being deleted is not a job. A plan without `resource_changes` falls back
to `planned_values` (root module and child modules, recursively). Findings point
at the line of the plan file that holds the value.
"""

from __future__ import annotations

from typing import Any

from smscan.sources.requests.extract import JobSite, find_jobs
from smscan.sources.requests.found import FoundJob, Note, ReadResult
from smscan.sources.requests.jsonpos import JsonProblem, parse_json
from smscan.sources.requests.runtime import RunTime
from smscan.sources.terraform.definitions import DEFINITIONS, flatten_lines
from smscan.sources.terraform.hcl import Expr, Lit, Node, Obj, Tup
from smscan.sources.terraform.mapping import RESOURCE, training_job
from smscan.yamlpos import Pos, YList, YMap

_AFTER_APPLY = "Terraform plan: known after apply"


def is_plan(doc: Any) -> bool:
    return isinstance(doc, YMap) and ("terraform_version" in doc or "format_version" in doc) and (
        "resource_changes" in doc or "planned_values" in doc
    )


def read_plan(doc: YMap) -> ReadResult:
    result = ReadResult()
    for address, type_, values, unknown, line in _resources(doc):
        body = _node(values, unknown, line)
        if not isinstance(body, Obj):
            continue
        if type_ == RESOURCE:
            mapped = training_job(body, _resolve)
            notes = tuple(Note(n_line, message) for n_line, message in mapped.notes)
            site = JobSite("terraform", address, line, mapped.request, "literal")
            result.jobs.append(FoundJob("", site, notes))
        elif type_ in DEFINITIONS:
            _definition(address, values, unknown, DEFINITIONS[type_], result)
    return result


def _resources(doc: YMap) -> Any:
    changes = doc.get("resource_changes")
    if isinstance(changes, YList):
        for index, change in enumerate(changes):
            if not isinstance(change, YMap) or change.get("mode", "managed") != "managed":
                continue
            body = change.get("change")
            if not isinstance(body, YMap) or body.get("after") is None:
                continue  # a resource being deleted has no `after`: it creates no job
            address, type_ = str(change.get("address", "")), str(change.get("type", ""))
            yield address, type_, body["after"], body.get("after_unknown"), changes.item_pos[index].line
        return
    planned = doc.get("planned_values")
    if isinstance(planned, YMap) and isinstance(planned.get("root_module"), YMap):
        yield from _module(planned["root_module"])


def _module(module: YMap) -> Any:
    resources = module.get("resources")
    if isinstance(resources, YList):
        for index, resource in enumerate(resources):
            if isinstance(resource, YMap) and resource.get("mode", "managed") == "managed":
                address, type_ = str(resource.get("address", "")), str(resource.get("type", ""))
                yield address, type_, resource.get("values"), None, resources.item_pos[index].line
    children = module.get("child_modules")
    if isinstance(children, YList):
        for child in children:
            if isinstance(child, YMap):
                yield from _module(child)


def _node(value: Any, unknown: Any, line: int) -> Node:
    """Plan JSON as the Nodes the mapping reads, "known after apply" as expressions."""
    if unknown is True:
        return Expr("(known after apply)", line)
    if isinstance(value, YMap):
        items = []
        for key, item in value.items():
            key_line = value.key_pos[key].line
            sub = unknown.get(key) if isinstance(unknown, YMap) else None
            items.append((key, _node(item, sub, key_line), key_line))
        if isinstance(unknown, YMap):  # unknown keys absent from `after` altogether
            for key in unknown:
                if key not in value and unknown[key] is True:
                    items.append((key, Expr("(known after apply)", line), line))
        return Obj(tuple(items), value.pos.line)
    if isinstance(value, YList):
        subs = list(unknown) if isinstance(unknown, YList) else []
        items_ = tuple(
            _node(item, subs[i] if i < len(subs) else None, value.item_pos[i].line) for i, item in enumerate(value)
        )
        return Tup(items_, value.pos.line)
    return Lit(value, line)


def _resolve(value: Node) -> Any:
    if isinstance(value, Lit):
        return value.value
    if isinstance(value, Expr):
        return RunTime(_AFTER_APPLY, value.text)
    if isinstance(value, Obj):
        out = YMap()
        out.pos, out.key_pos = _pos(value.line), {}
        for key, item, line in value.items:
            resolved = _resolve(item)
            if resolved is not None:
                out[key], out.key_pos[key] = resolved, _pos(line)
        return out
    if isinstance(value, Tup):
        items = YList(_resolve(i) for i in value.items)
        items.pos, items.item_pos = _pos(value.line), [_pos(i.line) for i in value.items]
        return items
    return RunTime(_AFTER_APPLY, "")


def _pos(line: int) -> Pos:
    return Pos(line, 1)


def _definition(address: str, values: Any, unknown: Any, key: str, result: ReadResult) -> None:
    if not isinstance(values, YMap):
        return
    line = values.key_pos[key].line if key in values else values.pos.line
    if isinstance(unknown, YMap) and unknown.get(key) is True:
        result.notes.append(Note(line, f"{address}: {key} is known after apply; its jobs cannot be read"))
        return
    text = values.get(key)
    if not isinstance(text, str):
        return
    try:
        tree, _ = parse_json(text)
    except JsonProblem as err:
        result.problems.append(Note(line, f"{address}: {key} is not valid JSON: {err}"))
        return
    for site in find_jobs(flatten_lines(tree, line)):
        job = JobSite(site.kind, f"{address}{site.pointer}", line, site.value, site.dialect)
        result.jobs.append(FoundJob("", job))

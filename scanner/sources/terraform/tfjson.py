"""Training jobs in Terraform's JSON syntax (`*.tf.json`), as tools that generate Terraform write it.

The same resources as `.tf` files, spelled as JSON (developer.hashicorp.com/terraform/
language/syntax/json): `{"resource": {"aws_sagemaker_training_job": {"NAME": {...}}}}`,
a nested block as an object or a list of objects, and every string that holds `${...}`
an expression. Literals are read; expressions are run time, as in `.tf` files (without
the module's variables and locals, which a generated file rarely relies on).
"""

from __future__ import annotations

from typing import Any

from smscan.sources.requests.extract import JobSite
from smscan.sources.requests.found import FoundJob, Note, ReadResult
from smscan.sources.requests.runtime import RunTime
from smscan.sources.terraform.hcl import Expr, Lit, Node, Obj, Tup
from smscan.sources.terraform.mapping import RESOURCE, training_job
from smscan.yamlpos import Pos, YList, YMap


def is_tf_json(file: str, doc: Any) -> bool:
    return file.lower().endswith(".tf.json") and isinstance(doc, YMap) and isinstance(doc.get("resource"), (YMap, YList))


def read_tf_json(doc: YMap) -> ReadResult:
    result = ReadResult()
    resources = doc["resource"]
    for by_type in resources if isinstance(resources, YList) else [resources]:
        jobs = by_type.get(RESOURCE) if isinstance(by_type, YMap) else None
        if not isinstance(jobs, YMap):
            continue
        for name, body in jobs.items():
            line = jobs.key_pos[name].line
            node = _node(body[0] if isinstance(body, YList) and body else body, line)
            if not isinstance(node, Obj):
                result.problems.append(Note(line, f"{RESOURCE}.{name}: expected an object of arguments"))
                continue
            mapped = training_job(node, _resolve)
            notes = tuple(Note(n_line, message) for n_line, message in mapped.notes)
            site = JobSite("terraform", f"{RESOURCE}.{name}", line, mapped.request, "literal")
            result.jobs.append(FoundJob("", site, notes))
    return result


def _node(value: Any, line: int) -> Node:
    if isinstance(value, YMap):
        items = tuple((k, _node(v, value.key_pos[k].line), value.key_pos[k].line) for k, v in value.items())
        return Obj(items, value.pos.line)
    if isinstance(value, YList):
        return Tup(tuple(_node(v, value.item_pos[i].line) for i, v in enumerate(value)), value.pos.line)
    if isinstance(value, str) and ("${" in value.replace("$${", "") or "%{" in value.replace("%%{", "")):
        return Expr(value, line)
    if isinstance(value, str):
        return Lit(value.replace("$${", "${").replace("%%{", "%{"), line)
    return Lit(value, line)


def _resolve(value: Node) -> Any:
    if isinstance(value, Lit):
        return value.value
    if isinstance(value, Expr):
        return RunTime(f"Terraform expression {value.text}", value.text)
    if isinstance(value, Obj):
        out = YMap()
        out.pos, out.key_pos = Pos(value.line, 1), {}
        for key, item, line in value.items:
            resolved = _resolve(item)
            if resolved is not None:
                out[key], out.key_pos[key] = resolved, Pos(line, 1)
        return out
    if isinstance(value, Tup):
        items = YList(_resolve(i) for i in value.items)
        items.pos, items.item_pos = Pos(value.line, 1), [Pos(i.line, 1) for i in value.items]
        return items
    return RunTime("Terraform expression", "")

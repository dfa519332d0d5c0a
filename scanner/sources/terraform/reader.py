"""Training jobs declared in a Terraform `.tf` file.

Read per file, with the module (the file's directory) as context: variables and
their defaults, literal locals, `terraform.tfvars` / `*.auto.tfvars` beside it.

- `aws_sagemaker_training_job`: one job per resource block, at its own file and line
  (a resource inside a module is found where the module's file declares it);
  `count` / `for_each` make one record stand for every instance, and a note says so.
- `aws_sfn_state_machine.definition`, `aws_sagemaker_pipeline.pipeline_definition`:
  every training step of the definition (see definitions.py).
- `module "x" { source = "./modules/sfn", definition = jsonencode({...}) }`: a
  definition passed as a module input is read where it is written, in the caller,
  when the local module uses that input as a definition.
"""

from __future__ import annotations

import glob
import json
import os

from smscan.sources.requests.extract import JobSite, find_jobs
from smscan.sources.requests.found import FoundJob, Note, ReadResult
from smscan.sources.requests.runtime import RunTime
from smscan.sources.requests.undecided import undecided_tasks
from smscan.sources.terraform.definitions import (
    DEFINITIONS,
    DefinitionProblem,
    read_definition,
    template_target,
)
from smscan.sources.terraform.hcl import (
    Block,
    Call,
    Expr,
    HclProblem,
    Lit,
    Node,
    Obj,
    Tup,
    parse_tf,
)
from smscan.sources.terraform.mapping import RESOURCE, training_job
from smscan.sources.terraform.values import Module, Resolver, block_to_obj
from smscan.sources.walk import read_regular

MARKERS = (b"aws_sagemaker_training_job", b"aws_sfn_state_machine", b"aws_sagemaker_pipeline", b"module")
_MAX_BYTES = 8 * 1024 * 1024


class TerraformReader:
    def __init__(self) -> None:
        self._parsed: dict[str, Block | HclProblem] = {}
        self._modules: dict[str, Module] = {}

    def read(self, file: str, text: str) -> ReadResult:
        result = ReadResult()
        cached = self._parsed.get(os.path.abspath(file))
        try:
            body = cached if isinstance(cached, Block) else parse_tf(text)
        except HclProblem as err:
            result.problems.append(Note(err.line, str(err)))
            return result
        self._parsed[os.path.abspath(file)] = body
        module = self.module(os.path.dirname(file))
        for block in body.children("resource"):
            if len(block.labels) != 2:
                continue
            type_, name = block.labels
            address = f"{type_}.{name}"
            if type_ == RESOURCE and (none := _no_instances(block)):
                result.notes.append(Note(block.attrs[none].line, f"{address} has {none} = {_show(block.attrs[none].value)}: it creates no job"))
            elif type_ == RESOURCE:
                result.jobs.append(self._job(file, block, address, Resolver(module)))
            elif type_ in DEFINITIONS and DEFINITIONS[type_] in block.attrs:
                self._definition(file, block, address, block.attrs[DEFINITIONS[type_]].value, module, result)
            elif type_ == "aws_sagemaker_pipeline" and block.children("pipeline_definition_s3_location"):
                message = f"{address}: the pipeline definition is read from S3 (pipeline_definition_s3_location): not scanned"
                result.notes.append(Note(block.line, message))
        for block in body.children("module"):
            self._module_inputs(file, block, module, result)
        return result

    def templates(self, files: list[str]) -> set[str]:
        """Files read through `file()` / `templatefile()` by definitions in these .tf files.

        They are read with the .tf that names them (a template's `${...}` is Terraform's,
        not text), so the walker must not read them again as plain JSON.
        """
        claimed: set[str] = set()
        for tf in files:
            if not tf.lower().endswith(".tf") or not _mentions(tf, (b"file(",)):
                continue
            body = self._parse(tf)
            if not isinstance(body, Block):
                continue
            for block in body.children("resource"):
                attr = block.attrs.get(DEFINITIONS.get(block.labels[0], "")) if block.labels else None
                if attr is not None and isinstance(attr.value, Call) and attr.value.name in ("file", "templatefile"):
                    target = template_target(attr.value, tf)
                    if isinstance(target, str) and target.lower().endswith(".json") and os.path.isfile(target):
                        claimed.add(os.path.realpath(target))
        return claimed

    def _job(self, file: str, block: Block, address: str, resolver: Resolver) -> FoundJob:
        defaults = resolver.module.default_tags
        literal = defaults if isinstance(defaults, Obj) else None
        mapped = training_job(block_to_obj(block), resolver, literal)
        notes = [Note(line, message) for line, message in mapped.notes]
        where = resolver.module.default_tags_at
        if literal is not None:
            notes.append(Note(block.line, f"{address}: the provider's default_tags ({where}) are added to its tags"))
        elif defaults is not None:
            notes.append(Note(block.line, f"{address}: the provider's default_tags ({where}) are an expression: not read"))
        for meta in ("count", "for_each"):
            if meta in block.attrs:
                attr = block.attrs[meta]
                shown = attr.value.text if isinstance(attr.value, Expr) else _show(attr.value)
                notes.append(
                    Note(attr.line, f"{address} has {meta} = {shown}: one record stands for every instance")
                )
        site = JobSite("terraform", address, block.line, mapped.request, "literal")
        return FoundJob(file, site, tuple(notes))

    def _definition(
        self, file: str, block: Block, address: str, value: Node, module: Module, result: ReadResult
    ) -> None:
        if isinstance(value, Expr) and value.text.startswith("var."):
            message = f"{address}: the definition is the module input {value.text}; read where the module is called"
            result.notes.append(Note(block.line, message))
            return
        try:
            definition = read_definition(value, Resolver(module), file)
        except DefinitionProblem as err:
            result.problems.append(Note(err.line, f"{address}: {err}", err.file))
            return
        if definition is None or definition.tree is None:
            if definition is not None and definition.note:
                result.notes.append(Note(block.line, f"{address}: {definition.note}"))
            return
        if isinstance(definition.tree, RunTime):  # whatever training steps it has are not visible here
            message = f"{address}: the definition is {definition.tree.how}: its training jobs, if any, are not read"
            result.notes.append(Note(block.line, message))
            return
        for site in find_jobs(definition.tree):
            job = JobSite(site.kind, f"{address}{site.pointer}", site.line, site.value, site.dialect)
            result.jobs.append(FoundJob(definition.file, job))
        for task in undecided_tasks(definition.tree):
            result.notes.append(Note(task.line, f"{address}: {task.message}", definition.file))
            result.undecided.append(task.state)

    def _module_inputs(self, file: str, call: Block, caller: Module, result: ReadResult) -> None:
        source = call.attrs.get("source")
        if source is None or not isinstance(source.value, Lit) or not str(source.value.value).startswith("."):
            return
        folder = os.path.normpath(os.path.join(os.path.dirname(file), str(source.value.value)))
        for child_file in sorted(glob.glob(os.path.join(glob.escape(folder), "*.tf"))):
            body = self._parse(child_file)
            if not isinstance(body, Block):
                continue
            for block in body.children("resource"):
                if len(block.labels) != 2 or block.labels[0] not in DEFINITIONS:
                    continue
                attr = block.attrs.get(DEFINITIONS[block.labels[0]])
                if attr is None or not isinstance(attr.value, Expr) or not attr.value.text.startswith("var."):
                    continue
                given = call.attrs.get(attr.value.text.removeprefix("var."))
                if given is not None:
                    address = f"module.{call.labels[0] if call.labels else '?'}.{block.labels[0]}.{block.labels[1]}"
                    self._definition(file, call, address, given.value, caller, result)

    def module(self, folder: str) -> Module:
        key = os.path.abspath(folder or ".")
        if key not in self._modules:
            module = Module()
            for tf in sorted(glob.glob(os.path.join(glob.escape(key), "*.tf"))):
                if not _mentions(tf, (b"variable", b"locals", b"default_tags")):
                    continue  # parsing HCL is the slow part: only files that declare these
                body = self._parse(tf)
                if isinstance(body, Block):
                    module.add(body, tf)
            names = ["terraform.tfvars", *sorted(glob.glob(os.path.join(glob.escape(key), "*.auto.tfvars")))]
            for name in names:
                path = os.path.join(key, name)
                values = self._parse(path) if os.path.isfile(path) else None
                if isinstance(values, Block):
                    for attr in values.attrs.values():
                        module.tfvars[attr.name] = (os.path.basename(path), attr.value)
            self._modules[key] = module
        return self._modules[key]

    def _parse(self, path: str) -> Block | HclProblem:
        key = os.path.abspath(path)
        if key not in self._parsed:
            try:
                self._parsed[key] = parse_tf(read_regular(key, _MAX_BYTES).decode("utf-8"))
            except (OSError, UnicodeDecodeError) as err:
                self._parsed[key] = HclProblem(f"cannot read: {err}", None)
            except HclProblem as err:
                self._parsed[key] = err
        return self._parsed[key]


def _no_instances(block: Block) -> str:
    """"count" / "for_each" when it is a literal 0, [], {} (or false, as `count = false ? 1 : 0` folds)."""
    for meta in ("count", "for_each"):
        attr = block.attrs.get(meta)
        if attr is None:
            continue
        value = attr.value
        if (isinstance(value, Lit) and value.value in (0, False)) or (isinstance(value, (Tup, Obj)) and not value.items):
            return meta
    return ""


def _mentions(path: str, needles: tuple[bytes, ...]) -> bool:
    try:
        raw = read_regular(path, _MAX_BYTES)
    except OSError:
        return False
    return any(needle in raw for needle in needles)


def _show(value: Node) -> str:
    if isinstance(value, (Tup, Obj)) and not value.items:
        return "[]" if isinstance(value, Tup) else "{}"
    if isinstance(value, Lit):
        return json.dumps(value.value)  # as Terraform writes it: 0, true, "x"
    return getattr(value, "text", "?")

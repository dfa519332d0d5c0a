"""Training jobs defined with the SageMaker Python SDK in a `.py` file or a notebook, read with `ast`.

The code is parsed, never imported or executed: a pull request's code is untrusted.
Every call of an SDK estimator or `ModelTrainer` whose import resolves to the SDK
is one job, at the constructor's line (`.fit()` / `.train()` is not required: the
constructor defines the job, and a Pipelines or Step Functions `TrainingStep` only
wraps it). A call under `if False:` never runs and is skipped; so is one in local
mode, with a note. Values follow values.py; the SDK config file (config.py) and the
SDK's defaults fill what the code leaves out, in the SDK's order (request.py).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from smscan.sources.requests.extract import JobSite
from smscan.sources.requests.found import FoundJob, Note, ReadResult
from smscan.sources.requests.runtime import RunTime
from smscan.sources.sdk import estimator, trainer
from smscan.sources.sdk.classes import CLASSES, JobClass, job_class
from smscan.sources.sdk.config import SdkConfig, SdkConfigs
from smscan.sources.sdk.notebook import NotebookProblem, notebook_source
from smscan.sources.sdk.request import RequestBuilder
from smscan.sources.sdk.scopes import ScopeBuilder
from smscan.sources.sdk.values import Evaluator, Known, SdkObject, text_of
from smscan.sources.terraform.mapping import pascal
from smscan.yamlpos import YList, YMap

MARKERS = (b"sagemaker",)
# A job needs one of these names in the text: the call, its import, or a subclass's base.
_CLASS_NAMES = re.compile(r"\b(?:" + "|".join(sorted({job.name for job in CLASSES.values()})) + r")\b")
_TRAINER = job_class("sagemaker.train.ModelTrainer")


class SdkReader:
    def __init__(self, configs: SdkConfigs) -> None:
        self.configs = configs

    def read(self, file: str, text: str, notebook: bool = False) -> ReadResult:
        result = ReadResult()
        if not _CLASS_NAMES.search(text):
            return result  # names no class that defines a job: most code that imports sagemaker
        line_of: Callable[[int], int] = _identity
        parsed: ast.Module | None = None
        if notebook:
            try:
                source = notebook_source(text)
            except NotebookProblem as err:
                result.problems.append(Note(err.line, str(err)))
                return result
            result.notes.extend(Note(line, message) for line, message in source.skipped)
            text, line_of, parsed = source.text, source.line, source.tree
        try:
            tree = parsed if parsed is not None else ast.parse(text)
        except SyntaxError as err:
            line = line_of(err.lineno or 1)
            result.problems.append(Note(line, f"not valid Python ({err.msg}): the file is not read"))
            return result
        except (ValueError, RecursionError) as err:  # NUL bytes; absurd nesting
            result.problems.append(Note(None, f"cannot be parsed as Python: {err}"))
            return result
        scopes = ScopeBuilder()
        scopes.build(tree)
        if not any(name == "sagemaker" or name.startswith("sagemaker.") for name in scopes.imports.values()):
            return result
        ev = Evaluator(scopes.imports, scopes.defined, scopes, line_of)
        config = self.configs.for_code(file)
        names: dict[str, int] = {}
        for call, found, chained, target in _job_calls(tree, ev):
            job = self._job(call, found, chained, ev, config)
            if isinstance(job, str):
                result.notes.append(Note(line_of(call.lineno), job))
                continue
            builder = job
            pointer = target or f"{found.name}@{line_of(call.lineno)}"
            names[pointer] = names.get(pointer, 0) + 1
            if names[pointer] > 1:
                pointer = f"{pointer}@{line_of(call.lineno)}"
            if config is None:
                self.configs.unconfigured = True
            site = JobSite("sdk", pointer, builder.line, _materialize(builder.request, ev), "literal")
            notes = tuple(Note(line, message) for line, message in builder.notes)
            result.jobs.append(FoundJob(file, site, notes))
        return result

    def _job(self, call: ast.Call, found: JobClass, chained: list[ast.Call], ev: Evaluator, config: SdkConfig | None) -> RequestBuilder | str:
        builder = RequestBuilder(ev.line(call.lineno))
        keywords: dict[str, tuple[ast.expr | Known, int]] = {}
        for keyword in call.keywords:
            if keyword.arg is not None:
                keywords[keyword.arg] = (keyword.value, ev.line(keyword.lineno))
                continue
            spread = ev.value(keyword.value)
            if isinstance(spread, YMap):
                for key, value in spread.items():
                    keywords[key] = (Known(value, spread.key_pos[key].line), spread.key_pos[key].line)
            else:
                how = spread.how if isinstance(spread, RunTime) else "a value that is not a dict"
                builder.unknown_kwargs = text_of(keyword.value)
                builder.notes.append((ev.line(keyword.lineno), f"**{text_of(keyword.value)} is {how}: the settings it holds are unknown"))
        jumpstart = isinstance(call.func, ast.Attribute) and call.func.attr == "from_jumpstart_config"
        if found.family == "trainer":
            local = trainer.build(keywords, chained, ev, builder, jumpstart)
        else:
            local = estimator.build(found, call, keywords, chained, ev, builder)
        if local:
            return local
        if config is not None:
            builder.notes.extend(config.apply(builder))
        if found.family == "trainer":
            trainer.apply_defaults(builder)
        else:
            estimator.apply_defaults(found, builder)
        return builder

    def summary_note(self) -> str:
        if not self.configs.unconfigured:
            return ""
        self.configs.unconfigured = False
        return (
            "SageMaker SDK code was read without an SDK config file (config.yaml with SageMaker: TrainingJob:, "
            "or --sdk-config): admin or user defaults on the machine that runs the code may change the values read"
        )


def _identity(line: int) -> int:
    return line


def _job_calls(tree: ast.Module, ev: Evaluator) -> list[tuple[ast.Call, JobClass, list[ast.Call], str]]:
    """(constructor call, its class, calls that add to it, the name it is bound to).

    The calls that add to it: `with_*` chained on a ModelTrainer, and
    `name.set_hyperparameters(...)` on the name an estimator is bound to.
    """
    chains: dict[int, list[ast.Call]] = {}
    targets: dict[int, str] = {}
    later: dict[str, list[ast.Call]] = {}
    found: list[tuple[ast.Call, JobClass]] = []
    subclasses = _subclasses(tree, ev)
    for node in ev.scopes.live:
        if isinstance(node, ast.Call):
            job = _class_of(node, ev, subclasses)
            if job is not None:
                found.append((node, job))
            inner = _chain_root(node)
            if inner is not node:
                chains.setdefault(id(inner), []).insert(0, node)
            func = node.func
            adds = isinstance(func, ast.Attribute) and (func.attr == "set_hyperparameters" or func.attr.startswith("with_"))
            if adds and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                scope = ev.scope(node).name
                later.setdefault(f"{scope}.{func.value.id}" if scope else func.value.id, []).append(node)
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            scope = ev.scope(node).name
            name = node.targets[0].id
            if isinstance(node.value, ast.Call):
                targets[id(_chain_root(node.value))] = f"{scope}.{name}" if scope else name
    out = []
    for call, job in found:
        target = targets.get(id(call), "")
        out.append((call, job, chains.get(id(call), []) + later.get(target, []), target))
    return out


def _class_of(call: ast.Call, ev: Evaluator, subclasses: dict[str, JobClass]) -> JobClass | None:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in ("from_jumpstart_config", "from_recipe"):
        return _TRAINER if job_class(ev.qualified(func.value)) == _TRAINER else None
    if isinstance(func, ast.Name) and func.id in subclasses:
        return subclasses[func.id]
    return job_class(ev.qualified(func))


def _subclasses(tree: ast.Module, ev: Evaluator) -> dict[str, JobClass]:
    """`class TeamEstimator(PyTorch): ...` in the file: its calls are PyTorch jobs (keywords as PyTorch's)."""
    found: dict[str, JobClass] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                job = found.get(base.id) if isinstance(base, ast.Name) else None
                job = job or job_class(ev.qualified(base))
                if job is not None:
                    found[node.name] = job
                    break
    return found


def _chain_root(call: ast.Call) -> ast.Call:
    """`ModelTrainer(...).with_a(...).with_b(...)` -> the ModelTrainer(...) call."""
    node = call
    while isinstance(node.func, ast.Attribute) and node.func.attr.startswith("with_") and isinstance(node.func.value, ast.Call):
        node = node.func.value
    return node


def _materialize(value: object, ev: Evaluator) -> object:
    """SDK config objects left inside values (`InstanceGroup(...)` in a list) as PascalCase maps."""
    if isinstance(value, SdkObject):
        out = YMap()
        out.pos, out.key_pos = ev.pos(value.call), {}
        for name, keyword in value.keywords().items():
            out[pascal(name)] = _materialize(ev.value(keyword.value), ev)
            out.key_pos[pascal(name)] = ev.pos(keyword.value)
        return out
    if isinstance(value, YMap):
        for key in list(value):
            value[key] = _materialize(value[key], ev)
        return value
    if isinstance(value, YList):
        for index, item in enumerate(value):
            value[index] = _materialize(item, ev)
        return value
    return value


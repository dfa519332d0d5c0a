"""The HTML audit report: one self-contained file an auditor opens offline, reads and filters.

Safety model. Every value from a scan (job names, tags, environment keys, evidence) may be
hostile, so: templates are autoescaped; findings reach the page's JavaScript only as one JSON
block with `<`, `>`, `&` and U+2028/2029 escaped, which the script turns into DOM text nodes
(never innerHTML); only http(s) references become links; and a Content-Security-Policy allows
nothing but the page's own inline script and style, by hash, so even a missed escape could not
run code or load anything from the network.

Scale. 10,000 findings are not 10,000 table rows: the script renders one page at a time.
Past MAX_ROWS findings the page embeds the most severe MAX_ROWS and says so; the JSON
report has them all (an HTML file of millions of rows would not open fast, or at all).
The rows are streamed into the page from the store, never held as a list; the charts,
filters and sections come from the store's counts (docs/PERFORMANCE.md, memory).
"""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
from collections.abc import Iterable
from itertools import islice
from typing import Any, TextIO

import jinja2
from markupsafe import Markup

from smscan.errors import RenderError
from smscan.findings import count_of
from smscan.gate.score import total_score
from smscan.gate.verdict import Verdict
from smscan.models import Finding, PolicyInfo, ScanResult, Severity, Status
from smscan.reports.html import layout, view
from smscan.reports.interface import RenderOptions
from smscan.reports.jsonsafe import jsonable

TEMPLATE = "report.html.j2"
SCRIPT = "report.js"
STYLE = "report.css"

# One data block row per finding; the page's script reads rows by these positions.
COLUMNS = (
    "policy",  # index into "policies"
    "severity",
    "status",
    "name",
    "arn",
    "account",
    "region",
    "message",
    "origin",
    "evidence",  # [[path, operator, expected, actual[], satisfied, note], ...]
    "waiver",  # {reason, owner, expires, source} | null
    "baseline",
    "location",  # "path:line:column" | null
    "summary",  # the message as the table shows it: without the job name, first clause
)

_JSON_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}

_env: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    global _env
    if _env is None:
        env = jinja2.Environment(
            loader=jinja2.PackageLoader("smscan.reports", "templates"),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default=True),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters.update(
            pct=view.fmt_percent,
            duration=view.fmt_duration,
            display=view.display,
            short=view.shorten,
            remediation=_ordered_remediation,
            channel=channel_label,
        )
        env.tests["web_url"] = view.is_web_url
        env.globals.update(filter_href=view.filter_href, STATUS_LABELS={s.value: t for s, t in view.STATUS_LABELS.items()})
        _env = env
    return _env


UNKNOWN_SHOWN = 500
WAIVED_SHOWN = 500
MAX_ROWS = 10_000  # findings embedded in the page (about 9 MB); the JSON report lists every one
_ROWS_HERE = "\x00smscan-rows\x00"  # where the template's output takes the streamed data block
_ROW_BATCH = 1_000


def render(result: ScanResult, verdict: Verdict, options: RenderOptions, out: TextIO) -> None:
    env = environment()
    script, style = _static(env, SCRIPT), _static(env, STYLE)
    store = result.findings
    # One read of the store in order, while the page is written: the data block streams
    # the most severe MAX_ROWS findings (the JSON report has every one). Everything else
    # comes from the store's counts, its facets and one count of distinct failing jobs,
    # never from holding the findings, so a store on disk is not read again and again.
    facets = store.facets()
    failing = store.jobs((Status.FAIL,))
    seen = {policy_id: top for policy_id, (top, _) in facets.policy_severities().items()}
    policies = _policy_table(result, seen)
    score = total_score(result.counts.values())
    context: dict[str, Any] = {
        "result": result,
        "verdict": verdict,
        "meta": result.meta,
        "generated_at": options.generated_at,
        "score": score.fraction,
        "score_text": score.text(),
        "evaluated": score.evaluated,
        "totals": view.status_totals(result),
        "statuses": [s.value for s in view.STATUSES],
        "severities": [s.value for s in view.SEVERITIES],
        "charts": view.charts(result, failing),
        "policy_rows": view.policy_rows(result, failing),
        "policy_ids": [p.id for p in policies],
        "accounts": sorted(facets.accounts),
        "regions": sorted(facets.regions),
        "findings_count": len(store),
        "rows_shown": min(len(store), MAX_ROWS),
        "packs": sorted({posixpath.dirname(p.pack_relpath or p.source_path) or "." for p in result.policies}),
        "waived": store.first(WAIVED_SHOWN, (Status.WAIVED,)),
        "waived_count": count_of(store, (Status.WAIVED,)),
        "WAIVED_SHOWN": WAIVED_SHOWN,
        "unknown": store.first(UNKNOWN_SHOWN, (Status.UNKNOWN,)),
        "baseline": view.baseline_counts(result, facets.baseline),
        "fixed": sorted(result.fixed, key=lambda f: f.sort_key),
        "trend": view.trend(result, options.generated_at),
        "trend_layout": layout.trend_plot,
        "data_json": Markup(_ROWS_HERE),
        "script": Markup(script),
        "style": Markup(style),
        "csp": Markup(_csp(script, style)),  # our own hashes and keywords: no data in it
    }
    try:
        for chunk in env.get_template(TEMPLATE).generate(context):
            before, mark, after = chunk.partition(_ROWS_HERE)
            out.write(before)
            if mark:
                _write_data_block(out, policies, islice(store, MAX_ROWS))
                out.write(after)
    except jinja2.TemplateError as exc:
        raise RenderError(f"html report: template {getattr(exc, 'name', None) or TEMPLATE}: {exc}") from exc


def _static(env: jinja2.Environment, name: str) -> str:
    """The inline script and stylesheet, verbatim: never rendered, so never a template sink."""
    assert env.loader is not None
    text = env.loader.get_source(env, name)[0]
    if "</script" in text.lower() or "</style" in text.lower():
        raise RenderError(f"html report: {name} must not contain a closing script/style tag")
    return text


def _csp(script: str, style: str) -> str:
    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    return (
        "default-src 'none'; "
        f"script-src {digest(script)}; style-src {digest(style)}; "
        "img-src 'none'; base-uri 'none'; form-action 'none'"
    )


def _policy_table(result: ScanResult, seen: dict[str, Severity]) -> list[PolicyInfo]:
    known = {p.id: p for p in result.policies}
    for policy_id, severity in seen.items():  # a finding of a policy missing from the pack still gets a row
        known.setdefault(policy_id, PolicyInfo(policy_id, policy_id, severity, ""))
    return sorted(known.values(), key=lambda p: p.id)


def _write_data_block(out: TextIO, policies: list[PolicyInfo], findings: Iterable[Finding]) -> None:
    """The page's one JSON block, `{..., "rows": [...]}`, written a batch of rows at a time."""
    index = {p.id: i for i, p in enumerate(policies)}
    doc = {
        "version": 1,
        "columns": COLUMNS,
        "severities": [s.value for s in view.SEVERITIES],
        "policies": [_policy_doc(p) for p in policies],
        "rows": [],
    }
    head = _json(doc)
    assert head.endswith("[]}")
    out.write(_inert(head[:-2]))
    separator = ""
    batch: list[str] = []
    for f in findings:
        batch.append(separator + _json(_row(f, index)))
        separator = ","
        if len(batch) >= _ROW_BATCH:
            out.write(_inert("".join(batch)))
            batch.clear()
    out.write(_inert("".join(batch)) + "]}")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _inert(text: str) -> str:
    """JSON text that cannot close the script element it sits in. One str.replace per
    character: str.translate with a mapping goes through Python for every character."""
    for char, escaped in _JSON_ESCAPES.items():
        if chr(char) in text:
            text = text.replace(chr(char), escaped)
    return text


def _policy_doc(p: PolicyInfo) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "severity": p.severity.value,
        "remediation": [[k, channel_label(k), str(v)] for k, v in _ordered_remediation(p.remediation)],
        "references": [[r, view.is_web_url(r)] for r in p.references],
        "frameworks": [[k, list(v)] for k, v in sorted(p.frameworks.items())],
    }


REMEDIATION_ORDER = ("summary", "console", "cli", "sdk", "cloudformation", "terraform")
CHANNEL_LABELS = {
    "summary": "Summary", "console": "AWS console", "cli": "AWS CLI", "sdk": "SDK",
    "cloudformation": "CloudFormation", "terraform": "Terraform",
}


def channel_label(key: str) -> str:
    return CHANNEL_LABELS.get(key, key)


def _ordered_remediation(remediation: Any) -> list[tuple[str, Any]]:
    items = dict(remediation)
    first = [(k, items.pop(k)) for k in REMEDIATION_ORDER if k in items]
    return first + sorted(items.items())


def _row(f: Finding, index: dict[str, int]) -> list[Any]:
    r = f.resource
    loc = f.location
    return [
        index[f.policy_id],
        f.severity.value if isinstance(f.severity, Severity) else str(f.severity),
        f.status.value,
        r.name,
        r.arn,
        r.account_id,
        r.region,
        f.message,
        str(r.origin),
        [
            [e.path, e.operator, jsonable(e.expected), jsonable(list(e.actual)), e.satisfied, e.note]
            for e in f.evidence
        ],
        None if f.waiver is None else {
            "reason": f.waiver.reason, "owner": f.waiver.owner,
            "expires": f.waiver.expires, "source": f.waiver.source,
        },
        f.baseline,
        None if loc is None else f"{loc.path}:{loc.line}:{loc.column}",
        layout.short_message(f),
    ]

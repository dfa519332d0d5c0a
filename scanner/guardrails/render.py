"""The four output formats of `smscan guardrails`: pure functions from packed documents to files.

- scp: each SCP as minified JSON, exactly the text whose size was checked;
- iam: each document indented (IAM does not count whitespace), for an identity policy or,
  with the boundary Allow statement, a permissions boundary;
- cloudformation: one template of AWS::Organizations::Policy resources (SCPs);
- terraform: one file of aws_organizations_policy resources (SCPs) and their attachments.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from smscan import __version__
from smscan.errors import UsageError
from smscan.guardrails.compile import Compiled, Exemptions, compile_guardrails
from smscan.guardrails.pack import IAM_LIMIT, SCP_LIMIT, minified, pack, size
from smscan.policy.model import Policy

FORMATS = ("scp", "iam", "cloudformation", "terraform")
BOUNDARY_ALLOW = {"Sid": "AllowWithinBoundary", "Effect": "Allow", "Action": "*", "Resource": "*"}
NAME = "smscan-guardrails"


@dataclass(frozen=True)
class Guardrails:
    compiled: Compiled
    documents: tuple[dict[str, Any], ...]
    fmt: str
    limit: int


def build(
    policies: Sequence[Policy], fmt: str, exemptions: Exemptions | None = None,
    boundary: bool = False, limit: int | None = None,
) -> Guardrails:
    if fmt not in FORMATS:
        raise UsageError(f"unknown guardrail format {fmt!r} (expected one of {', '.join(FORMATS)})")
    if boundary and fmt != "iam":
        raise UsageError("--boundary applies to --format iam only (an SCP needs no Allow statement)")
    compiled = compile_guardrails(policies, exemptions or Exemptions())
    if not compiled.statements:
        left = [f"{p} (detect-only)" for p, _ in compiled.detect_only] + [f"{p} ({why})" for p, why in compiled.skipped]
        left += [f"{p} (no prevent: section)" for p in compiled.unmapped]
        raise UsageError("no guardrail statement to write: " + ", ".join(left))
    limit = limit or (IAM_LIMIT if fmt == "iam" else SCP_LIMIT)
    documents = pack(compiled.statements, limit, [BOUNDARY_ALLOW] if boundary else [])
    return Guardrails(compiled, tuple(documents), fmt, limit)


def render(guardrails: Guardrails) -> list[tuple[str, str]]:
    """(file name, text) pairs; scp and iam give one file per document."""
    docs, fmt = guardrails.documents, guardrails.fmt
    if fmt == "scp":
        return [(f"{NAME}-{i}.scp.json", minified(d) + "\n") for i, d in enumerate(docs, 1)]
    if fmt == "iam":
        return [(f"{NAME}-{i}.iam.json", json.dumps(d, indent=2, ensure_ascii=False) + "\n") for i, d in enumerate(docs, 1)]
    if fmt == "cloudformation":
        return [(f"{NAME}.cfn.json", json.dumps(cloudformation(guardrails), indent=2, ensure_ascii=False) + "\n")]
    return [(f"{NAME}.tf", terraform(guardrails))]


def _description(guardrails: Guardrails, doc: dict[str, Any]) -> str:
    ids = sorted({s["Sid"] for s in doc["Statement"] if s["Effect"] == "Deny"})
    text = f"smscan {__version__}: deny non-compliant SageMaker training jobs ({', '.join(ids)})"
    return text if len(text) <= 512 else text[:509] + "..."  # the API's limit for a policy description


def _summary(compiled: Compiled) -> dict[str, Any]:
    return {
        "generator": f"smscan {__version__}",
        "preventable": list(compiled.preventable),
        "detect_only": dict(compiled.detect_only),
        "not_generated": {p: why for p, why in compiled.skipped},
    }


def cloudformation(guardrails: Guardrails) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    for i, doc in enumerate(guardrails.documents, 1):
        logical = f"SmscanGuardrails{i}"
        resources[logical] = {
            "Type": "AWS::Organizations::Policy",
            "Properties": {
                "Name": f"{NAME}-{i}",
                "Description": _description(guardrails, doc),
                "Type": "SERVICE_CONTROL_POLICY",
                "Content": doc,
                "TargetIds": {"Ref": "TargetIds"},
            },
        }
        outputs[f"{logical}Id"] = {"Description": f"Id of {NAME}-{i}", "Value": {"Ref": logical}}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "smscan guardrails: SCPs that deny non-compliant SageMaker training jobs",
        "Metadata": {"smscan": _summary(guardrails.compiled)},
        "Parameters": {
            "TargetIds": {
                "Type": "CommaDelimitedList",
                "Description": "Root, OU or account ids to attach the guardrails to (start with a test OU)",
            }
        },
        "Resources": resources,
        "Outputs": outputs,
    }


def _hcl_string(text: str) -> str:
    # JSON's escapes are HCL's; ${ and %{ would start a template sequence in HCL.
    return json.dumps(text, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")


def terraform(guardrails: Guardrails) -> str:
    compiled = guardrails.compiled
    lines = [f"# Generated by smscan {__version__}: SCPs that deny non-compliant SageMaker training jobs.",
             "# Preventable: " + ", ".join(compiled.preventable)]
    for policy_id, reason in compiled.detect_only:
        lines.append(f"# Detect-only: {policy_id}: {reason}")
    for policy_id, why in compiled.skipped:
        lines.append(f"# Not generated: {policy_id}: {why}")
    lines += [
        "",
        'variable "target_ids" {',
        '  description = "Root, OU or account ids to attach the guardrails to (start with a test OU)"',
        "  type        = list(string)",
        "  default     = []",
        "}",
    ]
    for i, doc in enumerate(guardrails.documents, 1):
        name = f"smscan_guardrails_{i}"
        content = minified(doc).replace("${", "$${").replace("%{", "%%{")
        lines += [
            "",
            f'resource "aws_organizations_policy" "{name}" {{',
            f'  name        = "{NAME}-{i}"',
            f"  description = {_hcl_string(_description(guardrails, doc))}",
            '  type        = "SERVICE_CONTROL_POLICY"',
            "  content     = <<-EOT",
            f"    {content}",
            "  EOT",
            "}",
            "",
            f'resource "aws_organizations_policy_attachment" "{name}" {{',
            "  for_each  = toset(var.target_ids)",
            f"  policy_id = aws_organizations_policy.{name}.id",
            "  target_id = each.value",
            "}",
        ]
    return "\n".join(lines) + "\n"


def sizes(guardrails: Guardrails) -> list[int]:
    return [size(d) for d in guardrails.documents]

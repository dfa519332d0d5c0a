"""A value known only when the job is created, as a reader marks it in a document tree.

Readers of request-like files (Step Functions, Pipelines, CloudFormation, Terraform,
SDK code) build a YMap/YList tree of a CreateTrainingJob request; wherever a value
depends on run time (an intrinsic function, a variable, a JSONPath), they put a
`RunTime` leaf instead of guessing. The cleaner turns each one into an unknown
pointer of the record, so a policy that reads it is UNKNOWN, never PASS.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunTime:
    how: str  # what decides it, for the message: "Terraform variable var.subnets"
    expression: str = ""  # the source text of the expression, when short and not a literal
    # For a CloudFormation Ref / Fn::GetAtt of a resource of the same template: its Type. The
    # value is then that resource's own name or ARN (a Lambda function's, say), which tells
    # what kind of thing it is even though the value itself is decided at deploy time.
    resource_type: str = ""

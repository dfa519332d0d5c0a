"""The notify action's SNS subject and message stay inside SNS's limits (Publish, API Reference:
a subject is ASCII without line breaks and under 100 characters; a message at most 256 KB)."""

from __future__ import annotations

from smscan.events import notify
from tests.factories import make_finding, make_result


def test_a_long_or_non_ascii_job_name_still_gives_a_valid_subject() -> None:
    text = notify.subject("trainingjob-" + "é\n" * 80, 3)
    assert len(text) < 100 and text.isascii() and "\n" not in text
    assert text.startswith("smscan: 3 failing policies on training job trainingjob-")


def test_the_message_names_job_policies_and_links_and_fits_sns() -> None:
    findings = [make_finding(f"policy-{i}", name="churn") for i in range(80)]
    result = make_result(findings)
    text = notify.message(
        result, findings, job_name="churn", job_arn=findings[0].resource.arn, account="123456789012",
        region="us-east-1", status="InProgress", event_id="e-1", remediation_url="https://example.com/p/",
    )
    assert "Job:     arn:aws:sagemaker:" in text and "Event:   e-1" in text
    assert "- [HIGH] policy-0: " in text and "Remediation: https://example.com/p/policy-0" in text
    assert "... and 30 more" in text  # 50 listed
    assert len(text.encode()) <= notify.MESSAGE_MAX
    assert findings[0].message not in text  # never a finding's own words (they may quote values)

"""Guardrails: compile policies into IAM / SCP Deny statements, and prove them on the examples."""

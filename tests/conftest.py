"""Shared test settings. Machines here are shared and noisy: no Hypothesis deadlines."""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("smscan", deadline=None, print_blob=True)
settings.load_profile("smscan")

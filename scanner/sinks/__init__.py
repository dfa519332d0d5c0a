"""Sinks: findings sent to another system after a scan (see interface.py)."""

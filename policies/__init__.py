"""smscan's built-in policy pack: one YAML file per policy, file stem == policy id.

The files are data, not code; docs/POLICIES.md is the language they are written in.
"""

from pathlib import Path

PACK_DIR = Path(__file__).parent

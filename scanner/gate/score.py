"""The compliance score: one function and one rounding rule for every format.

score = PASS / (PASS + FAIL + ERROR + UNKNOWN). A check that could not be judged
(ERROR) or whose value is known only at run time (UNKNOWN) is in the denominator
and never in the numerator: it must not make a fleet look more compliant than it is.
WAIVED and NOT_APPLICABLE checks are left out of both.

The value is floored to a tenth of a percent with integer arithmetic, so 250 passes
and one FAIL read 99.6%, 100,000 passes and one ERROR read 99.9%, and 100.0% means
that every evaluated check passed. Terminal, Markdown, HTML, JSON and history all
take their number from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from smscan.models import Status

COUNTED_AGAINST = (Status.FAIL, Status.ERROR, Status.UNKNOWN)


@dataclass(frozen=True)
class Score:
    passed: int
    evaluated: int

    @property
    def permille(self) -> int | None:
        """Tenths of a percent, floored: 996 for 250/251. None when nothing was evaluated."""
        if self.evaluated == 0:
            return None
        return self.passed * 1000 // self.evaluated

    @property
    def fraction(self) -> float | None:
        """The floored score as a fraction (0.996), as JSON and history store it."""
        permille = self.permille
        return None if permille is None else permille / 1000

    def text(self, empty: str = "n/a") -> str:
        permille = self.permille
        return empty if permille is None else f"{permille // 10}.{permille % 10}%"

    def __str__(self) -> str:
        return self.text()


def score_of(counts: Mapping[Status, int]) -> Score:
    passed = int(counts.get(Status.PASS, 0))
    return Score(passed, passed + sum(int(counts.get(s, 0)) for s in COUNTED_AGAINST))


def total_score(counts: Iterable[Mapping[Status, int]]) -> Score:
    """The score over several policies' counts (a ScanResult's `counts.values()`)."""
    totals: dict[Status, int] = {}
    for per_policy in counts:
        for status, n in per_policy.items():
            totals[status] = totals.get(status, 0) + int(n)
    return score_of(totals)


def fraction_text(value: float | None) -> str:
    """A stored fraction (history, an older report) shown with the same floor."""
    if value is None:
        return "n/a"
    return Score(round(value * 1_000_000), 1_000_000).text()

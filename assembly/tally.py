"""Weighted yes/no/abstain motions, counted exactly.

Weights may be delegate counts (ints) or shares like 1.5, so every sum and threshold is a
``Fraction``: 2/3 of 1.5 + 1.5 is compared without rounding, and "exactly two thirds" is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

Number = int | float | Decimal | Fraction
MAJORITIES = ("simple", "two_thirds")
CHOICES = ("yes", "no", "abstain")  # a motion's choices
MILLI = 1000  # secret tallies are integers in thousandths of a vote
OUTCOMES = ("adopted", "rejected", "no_quorum")


def milli(weight: Decimal) -> int:
    """A delegate's weight in a secret ballot's counters: thousandths of a vote."""
    return int(weight * MILLI)


def exact(value: Any, what: str = "weight") -> Fraction:
    """``value`` as an exact Fraction; floats go through their shortest repr, so 0.1 is 1/10."""
    # bool is an int subclass: `weight: true` is a typo, not a weight of 1.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | Fraction):
        raise ValueError(f"{what}: expected a number, got {value!r}")
    if isinstance(value, float | Decimal) and not math.isfinite(value):
        raise ValueError(f"{what}: expected a finite number, got {value!r}")
    if isinstance(value, float):
        return Fraction(Decimal(str(value)))
    return Fraction(value)


def plain(value: Fraction) -> int | float:
    """A JSON-friendly number: an int when integral, else the nearest float."""
    return int(value) if value.denominator == 1 else float(value)


@dataclass(frozen=True)
class MotionResult:
    """Exact weights; ``cast`` is yes + no (abstentions take part but are not cast)."""

    yes: Fraction
    no: Fraction
    abstain: Fraction
    cast: Fraction
    quorum_met: bool
    outcome: str  # one of OUTCOMES

    def to_json(self) -> dict[str, Any]:
        return {
            "yes": plain(self.yes),
            "no": plain(self.no),
            "abstain": plain(self.abstain),
            "cast": plain(self.cast),
            "quorum_met": self.quorum_met,
            "outcome": self.outcome,
        }


def tally_motion(
    yes: Number, no: Number, abstain: Number, *, majority: str, quorum: Number, total_weight: Number
) -> MotionResult:
    """Count a motion.

    Quorum: yes + no + abstain >= quorum * total_weight (abstaining is taking part).
    ``simple``: yes > no, so a tie fails. ``two_thirds``: yes >= 2/3 of (yes + no) and yes > 0, so
    exactly two thirds passes and a motion nobody voted on does not.
    """
    y, n, a = (exact(v, name) for v, name in ((yes, "yes"), (no, "no"), (abstain, "abstain")))
    for v, name in ((y, "yes"), (n, "no"), (a, "abstain")):
        if v < 0:
            raise ValueError(f"{name}: must not be negative, got {plain(v)}")
    if majority not in MAJORITIES:
        raise ValueError(f"majority: expected one of {', '.join(MAJORITIES)}, got {majority!r}")
    q = exact(quorum, "quorum")
    if not 0 <= q <= 1:
        raise ValueError(f"quorum: expected a share between 0 and 1, got {plain(q)}")
    total = exact(total_weight, "total_weight")
    if total <= 0:
        raise ValueError(f"total_weight: must be positive, got {plain(total)}")
    taking_part = y + n + a
    if taking_part > total:
        # More weight voted than exists: a registration or counting error, not a result.
        raise ValueError(f"total_weight {plain(total)} is less than the weight taking part ({plain(taking_part)})")
    cast = y + n
    quorum_met = taking_part >= q * total
    passed = y > n if majority == "simple" else (3 * y >= 2 * cast and y > 0)
    outcome = "no_quorum" if not quorum_met else "adopted" if passed else "rejected"
    return MotionResult(yes=y, no=n, abstain=a, cast=cast, quorum_met=quorum_met, outcome=outcome)

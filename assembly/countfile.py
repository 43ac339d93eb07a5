"""Ballot files (YAML or JSON) counted into the JSON the ``mayday count`` command prints.

```yaml
kind: ranked
candidates: [A, B, C, D]
ballots:                                   # "=" ties; candidates left out rank below all listed
  - {count: 5, ranking: "A > C > B = D"}   # count defaults to 1; an optional weight multiplies
  - {ranking: [D, [A, B]]}                 # or a list of names and tiers
# -> {"kind": "ranked", "ranking": [["A"], ["C"], ["B", "D"]], "pairwise": {...}, "strongest_paths": {...}}

kind: motion
majority: simple                           # yes > no; or two_thirds: yes >= 2/3 of (yes + no)
quorum: 0.5                                # share of total_weight taking part, abstentions included
total_weight: 120
ballots: [{choice: yes, weight: 3}, {choice: abstain}]    # weight defaults to 1
# -> {"kind": "motion", "yes": 3, "no": 0, "abstain": 1, "cast": 3, "quorum_met": false,
#     "outcome": "no_quorum"}              # or "adopted" / "rejected"
```

Errors are one line naming the culprit (``ballots[2]: unknown candidate 'E'``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from assembly.schulze import BallotError, Ranking, normalise_ranking, schulze
from assembly.tally import CHOICES, exact, plain, tally_motion
from mayday.definitions import load_text

KINDS = ("ranked", "motion")
RANKED_KEYS = {"kind", "candidates", "ballots"}
RANKED_BALLOT_KEYS = {"ranking", "count", "weight"}
MOTION_KEYS = {"kind", "majority", "quorum", "total_weight", "ballots"}
MOTION_BALLOT_KEYS = {"choice", "weight"}
# Far beyond any assembly, but it keeps sums within float range for the JSON output.
MAX_COUNT = 10**12
MAX_WEIGHT = 10**12


def _keys(raw: dict[str, Any], allowed: set[str], where: str, required: tuple[str, ...] = ()) -> None:
    unknown = sorted(str(k) for k in set(raw) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    for key in required:
        if key not in raw:
            raise ValueError(f"{where}: missing {key!r}")


def _list(raw: Any, where: str) -> list[Any]:
    if not isinstance(raw, list):
        raise ValueError(f"{where}: expected a list")
    return raw


def _weight(raw: Any, where: str) -> Fraction:
    w = exact(raw, where)
    if not 0 < w <= MAX_WEIGHT:
        raise ValueError(f"{where}: expected a positive number up to {MAX_WEIGHT:,}, got {raw!r}")
    return w


def _candidates(raw: Any) -> list[str]:
    if not isinstance(raw, list) or not raw:
        raise ValueError("candidates: expected a non-empty list of names")
    seen: set[str] = set()
    for i, name in enumerate(raw):
        where = f"candidates[{i}]"
        if not isinstance(name, str) or not name.strip():
            raise BallotError(f"{where}: expected a name, got {name!r}")
        # Text rankings split on ">" and "=" and trim spaces, so such names could never be ranked.
        if name != name.strip() or ">" in name or "=" in name:
            raise BallotError(f"{where}: a name may not contain '>' or '=' or start or end with a space")
        if name in seen:
            raise BallotError(f"{where}: duplicate candidate {name!r}")
        seen.add(name)
    return raw


def _ranked(raw: dict[str, Any]) -> dict[str, Any]:
    _keys(raw, RANKED_KEYS, "ranked ballots", ("candidates", "ballots"))
    candidates = _candidates(raw["candidates"])
    ballots: list[tuple[Fraction, Ranking]] = []
    for i, b in enumerate(_list(raw["ballots"], "ballots")):
        where = f"ballots[{i}]"
        if not isinstance(b, dict):
            raise BallotError(f"{where}: expected a mapping like {{count: 3, ranking: 'A > B = C'}}")
        try:
            _keys(b, RANKED_BALLOT_KEYS, where, ("ranking",))
            count = b.get("count", 1)
            if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_COUNT:
                raise ValueError(f"{where}.count: expected a whole number from 1 to {MAX_COUNT:,}, got {count!r}")
            weight = _weight(b.get("weight", 1), f"{where}.weight")
            ranking = normalise_ranking(b["ranking"], candidates)  # text or a list of tiers
        except BallotError as e:
            raise BallotError(f"{where}: {e}") from None
        except ValueError as e:
            raise BallotError(str(e)) from None
        ballots.append((count * weight, ranking))
    return {"kind": "ranked", **schulze(candidates, ballots).to_json()}


def _motion(raw: dict[str, Any]) -> dict[str, Any]:
    _keys(raw, MOTION_KEYS, "motion", ("majority", "quorum", "total_weight", "ballots"))
    sums = dict.fromkeys(CHOICES, Fraction(0))
    for i, b in enumerate(_list(raw["ballots"], "ballots")):
        where = f"ballots[{i}]"
        if not isinstance(b, dict):
            raise BallotError(f"{where}: expected a mapping like {{choice: yes, weight: 2}}")
        try:
            _keys(b, MOTION_BALLOT_KEYS, where, ("choice",))
            weight = _weight(b.get("weight", 1), f"{where}.weight")
        except ValueError as e:
            raise BallotError(str(e)) from None
        choice = b["choice"]
        if not isinstance(choice, str) or choice not in CHOICES:
            raise BallotError(f"{where}: unknown choice {choice!r} (expected yes, no or abstain)")
        sums[choice] += weight
    result = tally_motion(
        sums["yes"],
        sums["no"],
        sums["abstain"],
        majority=raw["majority"],
        quorum=raw["quorum"],
        total_weight=raw["total_weight"],
    )
    return {"kind": "motion", **result.to_json()}


def count_text(text: str) -> dict[str, Any]:
    """Parse a ballots file and count it; SpecError (malformed text), BallotError or ValueError."""
    raw = load_text(text)
    if not isinstance(raw, dict):
        raise ValueError("expected a mapping with a 'kind' (ranked or motion)")
    kind = raw.get("kind")
    if kind == "ranked":
        return _ranked(raw)
    if kind == "motion":
        return _motion(raw)
    if kind is None:
        raise ValueError("missing 'kind' (ranked or motion)")
    raise ValueError(f"unknown kind {kind!r} (expected {' or '.join(KINDS)})")


def _number(v: Any) -> str:
    return str(plain(v) if isinstance(v, Fraction) else v)


def _matrix(names: list[str], m: dict[str, dict[str, Any]]) -> list[str]:
    """A table with a row and a column per candidate; the diagonal is "-"."""
    rows = [[x, *(_number(m[x][y]) if x != y else "-" for y in names)] for x in names]
    width = max(len(c) for c in [*names, *(c for row in rows for c in row[1:])])
    label = max(len(x) for x in names)
    return [f"  {row[0]:<{label}}" + "".join(f"  {c:>{width}}" for c in row[1:]) for row in [["", *names], *rows]]


def format_count(result: dict[str, Any]) -> str:
    """The human-readable form of ``count_text``'s result."""
    if result["kind"] == "ranked":
        names = [name for tier in result["ranking"] for name in tier]
        lines = ["Schulze ranking, best first (= marks a tie):"]
        lines += [f"  {i}. {' = '.join(tier)}" for i, tier in enumerate(result["ranking"], 1)]
        lines += ["", "Pairwise preferences: weight ranking the row above the column"]
        lines += _matrix(names, result["pairwise"])
        lines += ["", "Strongest paths: the row beats the column if its entry beats the mirrored one"]
        lines += _matrix(names, result["strongest_paths"])
        return "\n".join(lines)
    outcome = {"adopted": "adopted", "rejected": "rejected", "no_quorum": "no quorum"}[result["outcome"]]
    rows = [(k, _number(result[k])) for k in ("yes", "no", "abstain", "cast")]
    width = max(len(v) for _, v in rows)
    lines = [f"Motion: {outcome}"]
    lines += [f"  {k:<8} {v:>{width}}" + ("  (yes + no)" if k == "cast" else "") for k, v in rows]
    lines.append(f"  quorum   {'met' if result['quorum_met'] else 'not met'}")
    return "\n".join(lines)

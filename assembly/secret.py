"""Secret ballots: what goes to the stream's side store instead of the log (pure: the core's
handlers return these writes with their events, and the shell commits both together).

A vote becomes integer counter increments (thousandths of a vote) and one receipt: a hash of the
ballot, a nonce only the voter's browser holds, the choice and the weight. To replace their vote a
voter presents the old nonce and choice; the store removes that receipt (it must be there) and
moves the counters, all in the same transaction as the "X has voted" event. Nobody without the
nonce can tell which receipt is whose, and no row, time or order links a voter to a choice: the
ballot's opening creates every counter it has (``open_write``), so no vote ever creates one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from assembly.tally import CHOICES
from mayday.events import SideWrite

NONCE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")

# The counters' names: the one place they are made (the votes move them, the close reads them).


def prefix(ballot: int) -> str:
    return f"b{ballot}:"


def choice_counter(ballot: int, choice: str) -> str:
    """A motion's counter: the weight (in thousandths) that chose ``choice``."""
    return f"{prefix(ballot)}{choice}"


def pair_counter(ballot: int, above: str, below: str) -> str:
    """A ranking's counter: the weight that ranked ``above`` over ``below``."""
    return f"{prefix(ballot)}{above}>{below}"


def receipt(ballot: int, nonce: str, choice: Any, weight_milli: int) -> str:
    canonical = json.dumps([ballot, nonce, choice, weight_milli], separators=(",", ":"), sort_keys=True)
    return prefix(ballot) + "r" + hashlib.sha256(canonical.encode()).hexdigest()


def counters(ballot: int, kind: str, candidates: Sequence[str]) -> tuple[str, ...]:
    """Every counter a ballot can move, sorted: one per choice of a motion; one per ordered pair
    of different candidates (x above y) for a ranking."""
    if kind == "motion":
        return tuple(sorted(choice_counter(ballot, c) for c in CHOICES))
    return tuple(sorted(pair_counter(ballot, x, y) for x in candidates for y in candidates if x != y))


def open_write(ballot: int, kind: str, candidates: Sequence[str]) -> SideWrite:
    """What a secret ballot's opening writes with its ``ballot_opened``: all its counters, at 0,
    created at once in sorted order. No vote then creates one, so where a counter sits in the
    store, and when it came to be, says nothing about who chose it first."""
    return SideWrite(init=counters(ballot, kind, candidates))


def close_write(ballot: int) -> SideWrite:
    """What the close writes with its totals: the counters and receipts are no longer needed."""
    return SideWrite(clear_prefix=prefix(ballot))


def increments(ballot: int, kind: str, candidates: tuple[str, ...], choice: Any, sign: int, w: int) -> dict[str, int]:
    """Counter moves for one vote: one counter for a motion; for a ranking, one per ordered pair
    (x above y), the pairwise matrix that the Schulze count needs and no more."""
    if kind == "motion":
        return {choice_counter(ballot, choice): sign * w}
    level = {name: len(choice) for name in candidates}  # unranked: below every ranked one
    for i, tier in enumerate(choice):
        for name in tier:
            level[name] = i
    return {pair_counter(ballot, x, y): sign * w for x in candidates for y in candidates if level[x] < level[y]}


def vote_write(
    ballot: int,
    kind: str,
    candidates: tuple[str, ...],
    weight_milli: int,
    choice: Any,
    nonce: str,
    previous: tuple[Any, str] | None,
) -> SideWrite:
    moves = increments(ballot, kind, candidates, choice, +1, weight_milli)
    remove: tuple[str, ...] = ()
    if previous is not None:
        old_choice, old_nonce = previous
        for key, by in increments(ballot, kind, candidates, old_choice, -1, weight_milli).items():
            moves[key] = moves.get(key, 0) + by
        remove = (receipt(ballot, old_nonce, old_choice, weight_milli),)
    return SideWrite(
        increments={k: v for k, v in moves.items() if v},
        add_tokens=(receipt(ballot, nonce, choice, weight_milli),),
        remove_tokens=remove,
    )

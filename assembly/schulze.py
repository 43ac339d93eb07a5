"""The Schulze method (beatpath, winning votes) over weighted ranked ballots.

A ballot is a ranking: tiers of candidate names, best first; names in one tier are tied, and
candidates a ballot leaves out rank below every listed one, tied among themselves (the rule of
Schulze's paper and of the Debian constitution). The count follows Schulze (2011), "A new monotonic,
clone-independent, reversal symmetric, and Condorcet-consistent single-winner election method":

* ``pairwise``: d[x][y], the weight of ballots that rank x strictly above y;
* ``strongest_paths``: the strongest path x -> y, where a link x -> y exists when d[x][y] > d[y][x];
  a link's strength is the pair (d[x][y], d[y][x]): more support is stronger, and of two links
  with equal support the one with *less opposition* is stronger (Schulze 2011, section 2.1: "winning
  votes" with its tie-break); a path is as strong as its weakest link. p[x][y] is the support of
  that path and q[x][y] its opposition (both 0 without a path);
* ``ranking_from_paths``: x beats y when (p[x][y], q[x][y]) is stronger than (p[y][x], q[y][x]);
  Schulze proves this relation transitive.

Matrices are dicts of dicts keyed by name, without the diagonal (d[x] has no key x), holding ints
when the weights are integral and floats otherwise, so they go to JSON as they are. Weights are
summed exactly (as fractions), so 0.1 + 0.2 ties with 0.3.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from assembly.tally import Number, exact, plain

Ranking = list[list[str]]  # tiers, best first; candidates in a tier are tied
Matrix = dict[str, dict[str, Any]]  # m[x][y] for x != y; numbers (int | float)


class BallotError(ValueError):
    """A ballot or candidate list that cannot be counted; the message names the culprit."""


def check_candidates(candidates: Sequence[str]) -> list[str]:
    """The candidates as a list: at least one, distinct, non-empty names."""
    if isinstance(candidates, str) or not isinstance(candidates, Sequence) or not candidates:
        raise BallotError("expected a non-empty list of candidates")
    seen: set[str] = set()
    for name in candidates:
        if not isinstance(name, str) or not name.strip():
            raise BallotError(f"expected a candidate name, got {name!r}")
        if name in seen:
            raise BallotError(f"duplicate candidate {name!r}")
        seen.add(name)
    return list(candidates)


def parse_ranking(text: str, candidates: Sequence[str]) -> Ranking:
    """``"A > C > B = D"`` -> ``[["A"], ["C"], ["B", "D"]]``. Unranked candidates are not added."""
    if not isinstance(text, str):
        raise BallotError(f"expected a ranking like 'A > B = C', got {text!r}")
    if not text.strip():
        raise BallotError("empty ranking")
    tiers = [[name.strip() for name in tier.split("=")] for tier in text.split(">")]
    for tier in tiers:
        if "" in tier:
            raise BallotError(f"missing candidate name in ranking {text.strip()!r}")
    return normalise_ranking(tiers, candidates)


def normalise_ranking(tiers: Sequence[Sequence[str]] | str, candidates: Sequence[str]) -> Ranking:
    """Validate a structured ranking: a list of tiers (lists of names) and/or single names.

    ``["A", ["B", "C"]]`` -> ``[["A"], ["B", "C"]]``. A string is parsed with ``parse_ranking``.
    """
    if isinstance(tiers, str):
        return parse_ranking(tiers, candidates)
    if not isinstance(tiers, Sequence):
        raise BallotError(f"expected a ranking (a list of tiers), got {tiers!r}")
    known = set(candidates)
    seen: set[str] = set()
    out: Ranking = []
    for tier in tiers:
        names = [tier] if isinstance(tier, str) else tier
        if not isinstance(names, Sequence):
            raise BallotError(f"expected a candidate name or a list of tied names, got {tier!r}")
        if not names:
            raise BallotError("empty tier in ranking")
        for name in names:
            if not isinstance(name, str):
                raise BallotError(f"expected a candidate name, got {name!r}")
            if name not in known:
                raise BallotError(f"unknown candidate {name!r}")
            if name in seen:
                raise BallotError(f"candidate {name!r} ranked twice")
            seen.add(name)
        out.append(list(names))
    if not out:
        raise BallotError("empty ranking")
    return out


def pairwise(candidates: Sequence[str], ballots: Iterable[tuple[Number, Ranking]]) -> Matrix:
    """d[x][y]: total weight of ballots ranking x strictly above y (every x != y present, 0 if none).

    Ballots are (weight, ranking); rankings are validated against ``candidates``.
    """
    names = check_candidates(candidates)
    n = len(names)
    # Identical rankings are merged first, so a large assembly costs O(distinct rankings * n^2).
    weights: dict[tuple[int, ...], Fraction] = {}
    for weight, ranking in ballots:
        w = exact(weight, "ballot weight")
        if w <= 0:
            raise BallotError(f"ballot weight must be positive, got {plain(w)}")
        tiers = normalise_ranking(ranking, names)
        level = dict.fromkeys(names, len(tiers))  # unranked: one tier below every listed one
        for i, tier in enumerate(tiers):
            for name in tier:
                level[name] = i
        key = tuple(level[name] for name in names)
        weights[key] = weights.get(key, Fraction(0)) + w
    d = [[Fraction(0)] * n for _ in range(n)]
    for levels, w in weights.items():
        for i in range(n):
            for j in range(n):
                if levels[i] < levels[j]:
                    d[i][j] += w
    return {x: {y: plain(d[i][j]) for j, y in enumerate(names) if j != i} for i, x in enumerate(names)}


def _paths(candidates: Sequence[str], d: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Strongest paths as comparable keys (support, -opposition); None where there is no path.
    Floyd–Warshall widest paths, O(n^3)."""
    names = check_candidates(candidates)

    def dd(x: str, y: str) -> Any:
        return d.get(x, {}).get(y, 0)

    none = None
    p: dict[str, dict[str, Any]] = {
        x: {y: ((dd(x, y), -dd(y, x)) if dd(x, y) > dd(y, x) else none) for y in names if y != x} for x in names
    }
    for k in names:
        for i in names:
            if i == k or p[i][k] is None:
                continue
            p_ik = p[i][k]
            for j in names:
                if j != i and j != k and p[k][j] is not None:
                    via = min(p_ik, p[k][j])
                    if p[i][j] is None or via > p[i][j]:
                        p[i][j] = via
    return p


def strongest_paths(candidates: Sequence[str], d: Mapping[str, Mapping[str, Any]]) -> Matrix:
    """p[x][y]: the support of the strongest path from x to y (0 without a path)."""
    paths = _paths(candidates, d)
    return {x: {y: (key[0] if key else 0) for y, key in row.items()} for x, row in paths.items()}


def path_opposition(candidates: Sequence[str], d: Mapping[str, Mapping[str, Any]]) -> Matrix:
    """q[x][y]: the opposition of the strongest path's weakest link (0 without a path): what breaks
    a tie between two paths of equal support."""
    paths = _paths(candidates, d)
    return {x: {y: (-key[1] if key else 0) for y, key in row.items()} for x, row in paths.items()}


def ranking_from_paths(
    candidates: Sequence[str], p: Mapping[str, Mapping[str, Any]], q: Mapping[str, Mapping[str, Any]] | None = None
) -> Ranking:
    """Tiers best first; x beats y iff (p[x][y], q[x][y]) is stronger than (p[y][x], q[y][x]):
    more support, or equal support and less opposition (``q`` None: support alone). Input order
    is kept within a tier.

    Tiers group candidates by how many others beat them. As "beats" is transitive, whoever beats x
    also beats everyone x beats, so x beating y puts x in an earlier tier, and candidates sharing a
    tier never beat one another. (Candidates in different tiers need not beat one another either:
    "beats" is a partial order, and this is its layering by number of candidates above.)
    """
    names = check_candidates(candidates)

    def pp(x: str, y: str) -> Any:
        support = p.get(x, {}).get(y, 0)
        if not support:
            return (0, 0)  # no path: weaker than any path
        return (support, -(q.get(x, {}).get(y, 0) if q is not None else 0))

    beaten_by = {x: sum(1 for y in names if y != x and pp(y, x) > pp(x, y)) for x in names}
    return [[x for x in names if beaten_by[x] == level] for level in sorted(set(beaten_by.values()))]


@dataclass(frozen=True)
class SchulzeResult:
    ranking: Ranking
    pairwise: Matrix
    strongest_paths: Matrix
    path_opposition: Matrix

    @property
    def winners(self) -> list[str]:
        """The potential winners: the first tier (one name unless tied)."""
        return self.ranking[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "ranking": self.ranking,
            "pairwise": self.pairwise,
            "strongest_paths": self.strongest_paths,
            "path_opposition": self.path_opposition,
        }


def schulze(candidates: Sequence[str], ballots: Iterable[tuple[Number, Ranking]]) -> SchulzeResult:
    """Count ranked ballots (weight, ranking) with the Schulze method."""
    names = check_candidates(candidates)
    d = pairwise(names, ballots)
    p, q = strongest_paths(names, d), path_opposition(names, d)
    return SchulzeResult(ranking=ranking_from_paths(names, p, q), pairwise=d, strongest_paths=p, path_opposition=q)

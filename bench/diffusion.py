"""Diffusion benchmark: the Bass fit of one tactic's 10,000 adoptions (circles/diffusion.py).

    python bench/diffusion.py [--adoptions 10000] [--runs 7] [--seed 1]

Three tactics of ``--adoptions`` adoptions each, drawn from the Bass model's closed form
(p = 0.002, q = 0.06 per day, m = the adoptions): over a year, rounded to whole adoptions a day;
the same with seeded Poisson noise on each day's adoptions; and over ten years (p and q / 10).
Every adoption but the first learned from an earlier (or same-day) adopter drawn at random.
Prints, best and median of ``--runs`` runs, and the best run's CPU time:

* ``bass_fit`` with a forecast to two years past the observation -- target: under 100 ms for
  10,000 adoptions -- and, inside it, the start (a grid of p and q over the daily series);
* baselines in the same run: ``cumulative`` (reading and counting the same adoptions, no fit),
  and ``numpy.polyfit`` of a cubic to the same daily cumulative series (a linear least-squares
  fit, the least a curve fit on these points can cost); the ratios of the fit to both;
* for the domain: ``check`` (every rule, the learning edges included) and ``learning_network``.

Not a test: nothing here is collected by pytest. Bounded: ``--runs`` runs of each step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from circles.diffusion import (
    Adoption,
    _start,
    bass_cumulative,
    bass_fit,
    check,
    cumulative,
    learning_network,
)

ORIGIN = dt.date(2027, 1, 1)
COUNTRIES = ["NG", "GH", "KE", "ZA", "NL", "BE", "DE", "FR", "PH", "ID", "IN", "BD", "BR", "AR", "MX", "US"]


def tactic(n: int, p: float, q: float, days: int, noise: bool, rng: random.Random) -> list[Adoption]:
    """``n`` adoptions (about ``n`` with noise) over ``days`` days from the closed form with m = n."""
    f = bass_cumulative(np.arange(days + 1), p, q, n)
    if noise:
        per_day = np.random.default_rng(rng.randrange(2**32)).poisson(np.diff(f))
    else:
        per_day = np.diff(np.round(f)).astype(int)
    out: list[Adoption] = []
    for k, count in enumerate(per_day):
        for _ in range(int(count)):
            teacher = out[rng.randrange(len(out))].circle if out else None
            out.append(
                Adoption(ORIGIN + dt.timedelta(days=k), f"circle-{len(out):05d}", rng.choice(COUNTRIES), teacher)
            )
    rng.shuffle(out)  # as a log or an import would hand them over: not sorted
    return out


Times = list[tuple[float, float]]  # (wall, CPU of this process) per run


def timed(fn: Callable[[], Any], runs: int) -> tuple[Times, Any]:
    """Wall and CPU times of ``runs`` calls of ``fn``. CPU time is what other sessions on this
    shared machine disturb least."""
    times, result = [], None
    for _ in range(runs):
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    return times, result


def best(times: Times) -> float:
    return min(w for w, _ in times)


def ms(times: Times) -> str:
    walls, cpus = [w for w, _ in times], [c for _, c in times]
    return f"{min(walls) * 1000:8.2f} ms  {statistics.median(walls) * 1000:8.2f} ms  {min(cpus) * 1000:8.2f} ms"


def run(name: str, adoptions: list[Adoption], p: float, q: float, runs: int) -> None:
    n = len(adoptions)
    last = max((a.date - ORIGIN).days for a in adoptions)
    horizon = last + 730
    per_day = np.bincount([(a.date - ORIGIN).days for a in adoptions], minlength=last + 1)
    t, y = np.arange(1, last + 2, dtype=float), np.cumsum(per_day).astype(float)
    print(f"{name}: {n} adoptions over {last + 1} days (the last one on day {last}), true p = {p}, q = {q}")

    t_cum, _ = timed(lambda: cumulative(adoptions, ORIGIN), runs)
    t_poly, _ = timed(lambda: np.polyfit(t, y, 3), runs)
    t_start, _ = timed(lambda: _start(t, y, float(n), 100.0 * n), runs)
    t_fit, fit = timed(lambda: bass_fit(adoptions, ORIGIN, horizon), runs)
    t_check, _ = timed(lambda: check(adoptions, ORIGIN, today=ORIGIN + dt.timedelta(days=last)), runs)
    t_net, net = timed(lambda: learning_network(adoptions, ORIGIN, today=ORIGIN + dt.timedelta(days=last)), runs)
    rows = [
        ("baseline: cumulative (read and count, no fit)", t_cum),
        ("baseline: numpy.polyfit, cubic, same daily series", t_poly),
        (f"bass_fit, forecast to day {horizon} (target < 100 ms)", t_fit),
        ("  of which the start: grid of 625 (p, q) on the series", t_start),
        ("check: every rule, learning edges included", t_check),
        (f"learning_network ({len(net.edges)} edges, {net.generations} generations)", t_net),
    ]
    for label, times in rows:
        print(f"  {label:<62} {ms(times)}")
    print(
        f"  fit / cumulative {best(t_fit) / best(t_cum):.1f}x, fit / polyfit {best(t_fit) / best(t_poly):.0f}x;"
        f" fitted p = {fit.p:.5f} ({fit.p / p - 1:+.1%}), q = {fit.q:.5f} ({fit.q / q - 1:+.1%}),"
        f" m = {fit.m:.0f}; R² {fit.r2:.5f}, RMSE {fit.rmse:.1f}\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--adoptions", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    n = args.adoptions
    cases = [
        ("a year, rounded closed form", tactic(n, 0.002, 0.06, 365, False, rng), 0.002, 0.06),
        ("a year, Poisson noise", tactic(n, 0.002, 0.06, 365, True, rng), 0.002, 0.06),
        ("ten years, rounded closed form", tactic(n, 0.0002, 0.006, 3650, False, rng), 0.0002, 0.006),
    ]
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores, shared)")
    print(f"  {'step':<62} {'best':>11}  {'median':>11}  {'best CPU':>11}\n")
    for name, adoptions, p, q in cases:
        run(name, adoptions, p, q, args.runs)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

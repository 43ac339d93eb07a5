"""Ledger benchmark: the circles ledger's fold, integrity check, export and a circle's statement.

    python bench/ledger.py [--postings 100000] [--circles 200] [--runs 5] [--seed 1] [--no-bean-check]

A synthetic network: ``--circles`` circles, each twinned with one or two others (both pledge
10 %), and transactions drawn as a circles domain would post them: tithes on dues and donations
(some converted from another currency), deliveries, approved cover, spending, exchanges and
reversals, until ``--postings`` postings. Prints, best and median of ``--runs`` runs:

* fold: ``Ledger.post`` for every transaction (every rule, the hash chain, balances), and
  ``check`` (every invariant re-run from the transactions alone) -- target: both together
  under 1 s for 100,000 postings; baseline: summing the same postings into a dict of Decimal
  per account and commodity, with no rule, no hash, no check (the least any fold can cost);
* ``to_beancount`` of the whole ledger, then Beancount's own ``bean-check`` on it (one run:
  it must accept the file) and, for scale, ``beancount.loader.load_string`` in this process;
* a state snapshot's ledger rebuilt (``Ledger.restored``: the entries applied without validating
  or hashing again); baseline: every entry added again, as the snapshots did before;
* a circle's statement (running balances) and its balances over 10,000 of its transactions
  -- target well under 300 ms; baseline: listing the same postings without running balances.

Not a test: nothing here is collected by pytest. Bounded: ``--runs`` runs of each step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from circles.chart import account
from circles.entries import cover, delivery, exchange, reversal, tithe
from circles.export import to_beancount
from circles.integrity import check
from circles.ledger import Conversion, Ledger, Posting, Transaction
from circles.views import statement

START = dt.date(2027, 1, 1)
CENT = Decimal("0.01")
SHARE = Decimal("0.10")


def network(n_circles: int, rng: random.Random) -> tuple[list[str], dict[str, list[str]]]:
    """Circle ids and each circle's twins (a ring, plus a second twin for every third circle)."""
    circles = [f"circle-{i:04d}" for i in range(n_circles)]
    twins: dict[str, list[str]] = {c: [] for c in circles}
    for i, c in enumerate(circles):
        other = circles[(i + 1) % n_circles]
        twins[c].append(other)
        twins[other].append(c)
    for i in range(0, n_circles, 3):
        a, b = circles[i], circles[(i + n_circles // 2) % n_circles]
        if a != b and b not in twins[a]:
            twins[a].append(b)
            twins[b].append(a)
    return circles, twins


def money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) * CENT


def transactions(
    postings: int,
    circles: list[str],
    twins: dict[str, list[str]],
    rng: random.Random,
    home: str | None = None,
    limit: int = 10**7,
) -> list[Transaction]:
    """Transactions up to ``postings`` postings or ``limit`` transactions; with ``home``, every one
    touches that circle."""
    out: list[Transaction] = []
    owed: dict[tuple[str, str], Decimal] = {}
    reversible: list[Transaction] = []
    total = 0
    n = 0
    while total < postings and len(out) < limit:
        n += 1
        date = START + dt.timedelta(days=n // 50)
        circle = home if home is not None else rng.choice(circles)
        mine = twins[circle]
        kind = rng.random()
        tid = f"t{n}"
        if kind < 0.40:
            amount = money(rng, 50, 5000)
            conv = None
            if rng.random() < 0.15:  # received in dollars, booked in euros at the circle's rate
                usd = money(rng, 50, 5000)
                rate = Decimal("0.92")
                amount = (usd * rate).quantize(CENT)
                conv = Conversion(usd, "USD", rate, date - dt.timedelta(days=1))
            txn = tithe(
                id=tid,
                date=date,
                narration=f"dues {n}",
                circle=circle,
                source=rng.choice(("dues", "donations", "settlements")),
                amount=amount,
                commodity="EUR",
                shares={t: SHARE for t in mine},
                conversion=conv,
            )
            for t in mine:
                owed[(circle, t)] = owed.get((circle, t), Decimal(0)) + (amount * SHARE).quantize(
                    CENT, rounding="ROUND_DOWN"
                )
            reversible.append(txn)
        elif kind < 0.62:
            twin = rng.choice(mine)
            due = owed.get((circle, twin), Decimal(0))
            amount = min(due, money(rng, 5, 300)) if due > 0 else money(rng, 5, 300)
            txn = delivery(
                id=tid, date=date, narration=f"delivery {n}", circle=circle, twin=twin, amount=amount, commodity="EUR"
            )
            owed[(circle, twin)] = due - amount
        elif kind < 0.82:
            amount = money(rng, 5, 800)
            txn = Transaction(
                tid,
                date,
                f"strike pay {n}",
                (
                    Posting(account(circle, "campaign"), amount, "EUR"),
                    Posting(account(circle, "general"), -amount, "EUR"),
                ),
            )
        elif kind < 0.92:
            twin = rng.choice(mine)
            txn = cover(
                id=tid,
                date=date,
                narration=f"cover {n}",
                circle=circle,
                twin=twin,
                amount=money(rng, 20, 900),
                commodity="EUR",
            )
        elif kind < 0.97:
            sold = money(rng, 10, 500)
            txn = exchange(
                id=tid,
                date=date,
                narration=f"exchange {n}",
                circle=circle,
                sold=sold,
                sold_commodity="EUR",
                bought=(sold * Decimal("1.087")).quantize(CENT),
                bought_commodity="USD",
                rate=Decimal("1.087"),
                rate_date=date,
            )
        else:
            if not reversible:
                continue
            original = reversible.pop(rng.randrange(len(reversible)))
            txn = reversal(original, id=tid, date=date, narration=f"correction of {original.id}")
        out.append(txn)
        total += len(txn.postings)
    return out


def opened(circles: list[str], twins: dict[str, list[str]]) -> Ledger:
    ledger = Ledger()
    for c in circles:
        ledger = ledger.open_circle(c, START)
    for c in circles:
        for t in twins[c]:
            ledger = ledger.open_pledge(c, t, START)
    return ledger


def fold(base: Ledger, txns: list[Transaction]) -> Ledger:
    ledger = base
    for txn in txns:
        ledger = ledger.post(txn)
    return ledger


def repost(entries: tuple[Any, ...]) -> Ledger:
    """How a snapshot's ledger was rebuilt before ``Ledger.restored``: every entry added again."""
    ledger = Ledger()
    for entry in entries:
        ledger = ledger.add(entry)
    return ledger


def baseline_sum(txns: list[Transaction]) -> dict[tuple[str, str], Decimal]:
    sums: dict[tuple[str, str], Decimal] = {}
    for txn in txns:
        for p in txn.postings:
            key = (p.account, p.commodity)
            sums[key] = sums.get(key, Decimal(0)) + p.amount
    return sums


Times = list[tuple[float, float]]  # (wall, CPU of this process) per run


def timed(fn: Callable[..., Any], runs: int, setup: Callable[[], Any] | None = None) -> tuple[Times, Any]:
    """Wall and CPU times of ``runs`` calls of ``fn`` (given ``setup()``'s result, made untimed
    before each). CPU time is what other sessions on this shared machine disturb least."""
    times, result = [], None
    for _ in range(runs):
        args = () if setup is None else (setup(),)
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn(*args)
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    return times, result


def best(times: Times) -> float:
    return min(w for w, _ in times)


def ms(times: Times) -> str:
    walls, cpus = [w for w, _ in times], [c for _, c in times]
    return f"{min(walls) * 1000:8.1f} ms  {statistics.median(walls) * 1000:8.1f} ms  {min(cpus) * 1000:8.1f} ms"


def plus(a: Times, b: Times) -> Times:
    return [(wa + wb, ca + cb) for (wa, ca), (wb, cb) in zip(a, b, strict=True)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--postings", type=int, default=100_000)
    ap.add_argument("--circles", type=int, default=200)
    ap.add_argument("--statement-txns", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-bean-check", action="store_true")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    circles, twins = network(args.circles, rng)
    pledged = {(c, t) for c in circles for t in twins[c]}
    base = opened(circles, twins)
    txns = transactions(args.postings, circles, twins, rng)
    n_postings = sum(len(t.postings) for t in txns)
    print(f"network: {len(circles)} circles, {len(pledged)} pledges, {len(base.accounts)} accounts")
    print(f"ledger: {len(txns)} transactions, {n_postings} postings\n")
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores, shared)")
    print(f"{'step':<58} {'best':>11}  {'median':>11}  {'best CPU':>11}")

    t_base, _ = timed(lambda: baseline_sum(txns), args.runs)
    # Each fold starts from a ledger with the accounts open and nothing posted, made untimed.
    t_fold, ledger = timed(lambda fresh: fold(fresh, txns), args.runs, setup=lambda: opened(circles, twins))
    t_check, report = timed(lambda: check(ledger, pledged), args.runs)
    assert report.ok, report.problems[:3]
    both = plus(t_fold, t_check)
    print(f"{'baseline: sum postings into dicts of Decimal':<58} {ms(t_base)}")
    print(f"{'fold: Ledger.post every transaction':<58} {ms(t_fold)}")
    print(f"{'check: every invariant re-run':<58} {ms(t_check)}")
    print(f"{'fold + check (target < 1 s)':<58} {ms(both)}")
    print(f"  fold / baseline {best(t_fold) / best(t_base):.1f}x, check / fold {best(t_check) / best(t_fold):.2f}x")
    per = [best(t) / n_postings * 1e6 for t in (t_fold, t_check)]
    print(f"  per posting: fold {per[0]:.2f} us, check {per[1]:.2f} us")
    print(f"  checks: {', '.join(f'{c.name} {c.count}' for c in report.checks)}\n")

    # A network's state snapshot holds its ledger as Ledger.snapshot(): rebuilt at a restart.
    parts = ledger.snapshot()
    t_repost, _ = timed(lambda: repost(parts[0]), args.runs)
    t_restore, restored = timed(lambda: Ledger.restored(*parts), args.runs)
    assert restored.head == ledger.head and restored.balances() == ledger.balances()
    print(f"{'snapshot restore, baseline: every entry added again':<58} {ms(t_repost)}")
    print(f"{'snapshot restore: Ledger.restored (no validation, no hash)':<58} {ms(t_restore)}")
    print(f"  restored / re-added {best(t_restore) / best(t_repost):.2f}x\n")

    t_export, text = timed(lambda: to_beancount(ledger), args.runs)
    print(f"{'to_beancount (' + f'{len(text) / 1e6:.1f} MB)':<58} {ms(t_export)}")
    from beancount import loader

    t0 = time.perf_counter()
    _, errors, _ = loader.load_string(text)
    t_load = time.perf_counter() - t0
    print(f"{'beancount.loader.load_string, in process (one run)':<58} {t_load * 1000:8.1f} ms  errors: {len(errors)}")
    if not args.no_bean_check:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "circles.beancount"
            path.write_text(text, encoding="utf-8")
            bean_check = Path(sys.executable).with_name("bean-check")
            r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
            done = subprocess.run([str(bean_check), str(path)], capture_output=True, text=True, timeout=600)
            t_bc, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
        verdict = "accepted" if done.returncode == 0 and not done.stdout.strip() else f"REFUSED: {done.stdout[:500]}"
        label = "bean-check on the file (one run, process start included)"
        print(f"{label:<58} {t_bc * 1000:8.1f} ms  {'':>11}  {cpu * 1000:8.1f} ms  {verdict}")
        if done.returncode != 0:
            sys.exit(1)
    print()

    # One circle with --statement-txns transactions of its own among the others.
    home = circles[0]
    own = transactions(10**9, circles, twins, random.Random(args.seed + 1), home=home, limit=args.statement_txns)
    own = [
        Transaction(f"h{t.id}", t.date, t.narration, t.postings, None if t.reverses is None else f"h{t.reverses}")
        for t in own
    ]
    big = fold(ledger, own)
    n_home = len(big.circle_transactions(home))
    t_list, _ = timed(lambda: big.circle_postings(home), args.runs)
    t_stmt, lines = timed(lambda: statement(big, home), args.runs)
    t_bal, _ = timed(lambda: big.circle_balances(home), args.runs)
    print(f"circle {home}: {n_home} transactions, {len(lines)} postings of its own, in a ledger of {len(big)}")
    print(f"{'baseline: its postings, listed (circle_postings)':<58} {ms(t_list)}")
    print(f"{'statement: its postings with running balances':<58} {ms(t_stmt)}")
    print(f"{'circle_balances':<58} {ms(t_bal)}")
    print(f"{'statement + balances (target well under 300 ms)':<58} {ms(plus(t_stmt, t_bal))}")
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

"""Planner benchmark: 1,000 sites x 7 days in ~50 real IANA zones.

    python bench/plan_bench.py [--sites 1000] [--days 7] [--runs 7] [--seed 1]

Prints, best and median of ``--runs`` runs each:

* parse + validate of the definition (YAML and JSON text -> RelaySpec), timed on its own;
* ``relay.plan.plan(spec)`` -- the target is under 1 s for 1,000 sites x 7 days;
* the baseline: the irreducible cost of turning the same local wall-clock times into instants with
  pytz alone (``tz.localize(naive)`` for every leg start and end, zones and naive datetimes
  prepared beforehand), and the planner / baseline ratio;
* plan_to_json, for scale (what POST /api/plan and relay_created also pay).

Not a test: nothing here is collected by pytest. Bounded: ``--runs`` runs of each step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pytz
import yaml

from relay.plan import plan, plan_to_json
from relay.spec import load_spec

# ~50 real zones: northern and southern DST, no DST, half- and quarter-hour offsets (some with
# DST: St John's, Adelaide, Lord Howe's 30-minute shift, Chatham's +12:45/+13:45).
ZONES = [
    "Pacific/Auckland", "Pacific/Chatham", "Australia/Sydney", "Australia/Adelaide",
    "Australia/Darwin", "Australia/Lord_Howe", "Australia/Perth", "Asia/Tokyo", "Asia/Seoul",
    "Asia/Manila", "Asia/Shanghai", "Asia/Jakarta", "Asia/Yangon", "Asia/Dhaka", "Asia/Kathmandu",
    "Asia/Kolkata", "Asia/Colombo", "Asia/Karachi", "Asia/Kabul", "Asia/Dubai", "Asia/Tehran",
    "Asia/Jerusalem", "Asia/Beirut", "Europe/Istanbul", "Europe/Moscow", "Europe/Kyiv",
    "Europe/Athens", "Africa/Cairo", "Africa/Johannesburg", "Africa/Nairobi", "Africa/Lagos",
    "Africa/Casablanca", "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/London",
    "Europe/Dublin", "Europe/Lisbon", "Atlantic/Azores", "America/Sao_Paulo", "America/St_Johns",
    "America/Halifax", "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "Pacific/Marquesas",
    "America/Santiago", "America/Havana",
]  # fmt: skip

# Start dates: two windows that each contain clock changes (EU spring forward 2027-03-28, southern
# autumn 2027-04-04; EU fall back 2027-10-31, US 2027-11-07), so some legs start or end in a gap
# or an overlap and get a warning.
WINDOWS = [dt.date(2027, 3, 24), dt.date(2027, 10, 27)]
# Local start times: 01:30 and 02:30 land in gaps/overlaps on change days in many zones.
STARTS = ["00:00", "01:30", "02:30", "06:00", "08:00", "09:00", "13:30", "18:00", "22:00", "23:45"]
DURATIONS = ["1h", "4h", "8h", "8h30m", "12h", "20h"]  # all < 23h: daily legs never overlap
ENDS = ["02:45", "06:00", "14:00", "17:30", "23:00"]  # end <= start means the next day


def make_definition(n_sites: int, days: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    sites = []
    for i in range(n_sites):
        zone = ZONES[i % len(ZONES)]
        legs: dict[str, Any] = {
            "date": (rng.choice(WINDOWS) + dt.timedelta(days=rng.randrange(5))).isoformat(),
            "start": rng.choice(STARTS),
            "days": days,
        }
        if rng.random() < 0.6:
            legs["duration"] = rng.choice(DURATIONS)
        else:
            end = rng.choice([e for e in ENDS if e != legs["start"]])
            legs["end"] = end
        if rng.random() < 0.1:
            legs["fold"] = 1
        site: dict[str, Any] = {"id": f"s{i:04d}", "name": f"Site {i}", "tz": zone, "legs": legs}
        if i and rng.random() < 0.3:
            site["backup"] = f"s{rng.randrange(i):04d}"
        sites.append(site)
    return {"name": "Benchmark relay", "checkin_grace": "10m", "sites": sites}


def local_times(spec: Any) -> list[tuple[Any, dt.datetime]]:
    """(zone, naive local datetime) for every leg start and end, as the planner meets them."""
    out = []
    for site in spec.sites:
        tz, rule = pytz.timezone(site.tz), site.legs
        for day in range(rule.days):
            date = rule.date + dt.timedelta(days=day)
            start = dt.datetime.combine(date, rule.start)
            out.append((tz, start))
            if rule.duration is not None:
                out.append((tz, start + rule.duration))  # the planner adds it in UTC; same count
            else:
                end_date = date if rule.end > rule.start else date + dt.timedelta(days=1)
                out.append((tz, dt.datetime.combine(end_date, rule.end)))
    return out


def timed(fn: Any, runs: int) -> tuple[float, float, Any]:
    times, result = [], None
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sites", type=int, default=1000)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    definition = make_definition(args.sites, args.days, args.seed)
    yaml_text = yaml.safe_dump(definition, sort_keys=False, allow_unicode=True)
    json_text = json.dumps(definition)
    spec = load_spec(json_text)
    assert spec == load_spec(yaml_text)
    pairs = local_times(spec)

    rows = []
    b, m, _ = timed(lambda: load_spec(yaml_text), args.runs)
    rows.append(("parse+validate (YAML text)", b, m))
    b, m, _ = timed(lambda: load_spec(json_text), args.runs)
    rows.append(("parse+validate (JSON text)", b, m))
    plan_best, plan_med, p = timed(lambda: plan(spec), args.runs)
    rows.append(("plan(spec)", plan_best, plan_med))
    base_best, base_med, _ = timed(lambda: [tz.localize(naive) for tz, naive in pairs], args.runs)
    rows.append(("baseline: pytz tz.localize x every start+end", base_best, base_med))
    b, m, _ = timed(lambda: plan_to_json(p), args.runs)
    rows.append(("plan_to_json(plan)", b, m))

    warned = sum(1 for leg in p.legs if leg.warnings)
    zones = len({s.tz for s in spec.sites})
    print(f"python {sys.version.split()[0]}, pytz {pytz.VERSION} (tzdb {pytz.OLSON_VERSION})")
    print(
        f"{args.sites} sites x {args.days} days in {zones} zones: {len(p.legs)} legs "
        f"({warned} with a DST warning), {len(p.handoffs)} handoffs, {len(p.coverage)} coverage spans; "
        f"{len(pairs)} local times; YAML {len(yaml_text) / 1024:.0f} KiB, JSON {len(json_text) / 1024:.0f} KiB"
    )
    print(f"runs: {args.runs} each (best / median)\n")
    print(f"{'step':<48}{'best ms':>10}{'median ms':>12}")
    for name, best, med in rows:
        print(f"{name:<48}{best * 1000:>10.1f}{med * 1000:>12.1f}")
    print()
    print(f"planner / pytz-localize baseline: {plan_best / base_best:.1f}x (best), {plan_med / base_med:.1f}x (median)")
    verdict = "MET" if plan_best < 1.0 else "MISSED"
    print(f"target plan < 1 s: {verdict} ({plan_best * 1000:.0f} ms best, {plan_med * 1000:.0f} ms median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

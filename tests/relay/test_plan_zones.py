"""Time-zone cases for the relay planner: DST gaps and overlaps, odd offsets, zones that dropped DST.

Every expected UTC instant below was worked out by hand from the zone's rules (written in the
comment next to the case), never by asking pytz, so a wrong tz database or a wrong use of it fails.

2027 transition dates used (all Sundays; checked against a calendar):
  US / Canada (New_York, St_Johns)      DST 14 March 02:00 -> 03:00, back 7 November 02:00 -> 01:00
  EU (London 01:00 UTC, Berlin)         DST 28 March, back 31 October (both at 01:00 UTC)
  NZ (Auckland, Chatham)                back 4 April, DST 26 September (both at 14:00 UTC the day before)
  AU (Sydney, Adelaide, Lord_Howe)      back 4 April, DST 3 October
  Chile (Santiago)                      back 4 April 03:00 UTC (Sun 00:00 -03 -> Sat 23:00 -04),
                                        DST 5 September 04:00 UTC (00:00 -04 -> 01:00 -03).
    Chile's rule (Apr Sun>=2 03:00u, Sep Sun>=2 04:00u) was confirmed by reading pytz's transition
    list for America/Santiago once by hand; the instants here are still computed from that rule.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from typing import Any

import pytest
import pytz

from relay import plan as plan_mod
from relay.plan import Leg, PlanError, plan, plan_to_json, resolve_local
from relay.spec import parse_spec


def Z(text: str) -> dt.datetime:
    """'2027-04-03T13:30Z' -> an aware UTC datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def one_leg(tz: str, legs: dict[str, Any], fold: int | None = None) -> Leg:
    site: dict[str, Any] = {"id": "s", "tz": tz, "legs": legs}
    if fold is not None:
        site["fold"] = fold
    p = plan(parse_spec({"name": "zones", "sites": [site]}))
    assert len(p.legs) == 1
    return p.legs[0]


@dataclass(frozen=True)
class Case:
    tz: str
    legs: dict[str, Any]
    start: str  # UTC
    end: str  # UTC
    hours: float
    local_start: str  # isoformat with offset
    local_end: str
    # (prefix, fragment): a warning that starts with "<prefix> " and contains fragment
    warnings: tuple[tuple[str, str], ...] = ()
    fold: int | None = None


def leg(date: str, start: str, **kw: Any) -> dict[str, Any]:
    return {"date": date, "start": start, **kw}


NONEXISTENT = "does not exist"
FIRST = "took the first occurrence"
SECOND = "took the second occurrence"

CASES = [
    # ---------------------------------------------------------------- half-hour offsets
    pytest.param(
        # Kolkata is +05:30 all year: 06:00 - 5:30 = 00:30Z; 8h later 08:30Z = 14:00 local.
        Case("Asia/Kolkata", leg("2027-05-01", "06:00", duration="8h"),
             "2027-05-01T00:30Z", "2027-05-01T08:30Z", 8,
             "2027-05-01T06:00:00+05:30", "2027-05-01T14:00:00+05:30"),
        id="kolkata-plain",
    ),
    pytest.param(
        # Local midnight to midnight at +05:30 is the previous day 18:30Z to 18:30Z, 24 h.
        Case("Asia/Kolkata", leg("2027-05-01", "00:00", end="00:00"),
             "2027-04-30T18:30Z", "2027-05-01T18:30Z", 24,
             "2027-05-01T00:00:00+05:30", "2027-05-02T00:00:00+05:30"),
        id="kolkata-midnight-to-midnight",
    ),
    pytest.param(
        # Adelaide DST (+10:30) ends Sun 4 Apr 2027 03:00 -> 02:00 (+09:30). Midnight 4th is
        # +10:30 -> 3 Apr 13:30Z; midnight 5th is +09:30 -> 4 Apr 14:30Z: 25 elapsed hours.
        Case("Australia/Adelaide", leg("2027-04-04", "00:00", end="00:00"),
             "2027-04-03T13:30Z", "2027-04-04T14:30Z", 25,
             "2027-04-04T00:00:00+10:30", "2027-04-05T00:00:00+09:30"),
        id="adelaide-end-midnight-25h",
    ),
    pytest.param(
        # 02:30 on 4 Apr happens twice (02:00-02:59). First occurrence is +10:30 -> 16:00Z.
        # One hour later, 17:00Z, the wall clock reads 02:30 again, now +09:30.
        Case("Australia/Adelaide", leg("2027-04-04", "02:30", duration="1h"),
             "2027-04-03T16:00Z", "2027-04-03T17:00Z", 1,
             "2027-04-04T02:30:00+10:30", "2027-04-04T02:30:00+09:30",
             (("start", "go back 1:00); " + FIRST + " (+10:30)"),)),
        id="adelaide-ambiguous-first",
    ),
    pytest.param(
        # Same, fold: 1 -> the second 02:30, at +09:30 -> 17:00Z; ends 18:00Z = 03:30 +09:30.
        Case("Australia/Adelaide", leg("2027-04-04", "02:30", duration="1h"),
             "2027-04-03T17:00Z", "2027-04-03T18:00Z", 1,
             "2027-04-04T02:30:00+09:30", "2027-04-04T03:30:00+09:30",
             (("start", SECOND + " (+09:30)"),), fold=1),
        id="adelaide-ambiguous-fold1",
    ),
    pytest.param(
        # Adelaide DST starts Sun 3 Oct 2027 02:00 (+09:30) -> 03:00 (+10:30). 02:30 is missing;
        # moved forward by the 1 h gap to 03:30 +10:30 = 2 Oct 17:00Z.
        Case("Australia/Adelaide", leg("2027-10-03", "02:30", duration="1h"),
             "2027-10-02T17:00Z", "2027-10-02T18:00Z", 1,
             "2027-10-03T03:30:00+10:30", "2027-10-03T04:30:00+10:30",
             (("start", NONEXISTENT + " in Australia/Adelaide "
                                      "(clocks go forward 1:00); moved to 03:30"),)),
        id="adelaide-nonexistent-start",
    ),
    pytest.param(
        # 24 h from local midnight on the DST-start day: 00:00 +09:30 = 2 Oct 14:30Z, ends
        # 3 Oct 14:30Z which is 4 Oct 01:00 +10:30 on the wall, not midnight.
        Case("Australia/Adelaide", leg("2027-10-03", "00:00", duration="24h"),
             "2027-10-02T14:30Z", "2027-10-03T14:30Z", 24,
             "2027-10-03T00:00:00+09:30", "2027-10-04T01:00:00+10:30"),
        id="adelaide-24h-duration-dst-start",
    ),
    pytest.param(
        # St John's DST starts Sun 14 Mar 2027 02:00 (-03:30) -> 03:00 (-02:30). 02:15 is missing:
        # moved to 03:15 -02:30 = 05:45Z; 2 h later 07:45Z = 05:15 -02:30.
        Case("America/St_Johns", leg("2027-03-14", "02:15", duration="2h"),
             "2027-03-14T05:45Z", "2027-03-14T07:45Z", 2,
             "2027-03-14T03:15:00-02:30", "2027-03-14T05:15:00-02:30",
             (("start", NONEXISTENT + " in America/St_Johns (clocks go forward 1:00)"),)),
        id="st-johns-nonexistent-start",
    ),
    pytest.param(
        # St John's falls back Sun 7 Nov 2027 02:00 (-02:30) -> 01:00 (-03:30). 01:30 first
        # occurrence is -02:30 -> 04:00Z; 30 min later is the transition instant 04:30Z, whose
        # wall clock is 01:00 -03:30.
        Case("America/St_Johns", leg("2027-11-07", "01:30", duration="30m"),
             "2027-11-07T04:00Z", "2027-11-07T04:30Z", 0.5,
             "2027-11-07T01:30:00-02:30", "2027-11-07T01:00:00-03:30",
             (("start", FIRST + " (-02:30)"),)),
        id="st-johns-ambiguous-first",
    ),
    pytest.param(
        # Second 01:30 is -03:30 -> 05:00Z; ends 05:30Z = 02:00 -03:30.
        Case("America/St_Johns", leg("2027-11-07", "01:30", duration="30m"),
             "2027-11-07T05:00Z", "2027-11-07T05:30Z", 0.5,
             "2027-11-07T01:30:00-03:30", "2027-11-07T02:00:00-03:30",
             (("start", SECOND + " (-03:30)"),), fold=1),
        id="st-johns-ambiguous-fold1",
    ),
    pytest.param(
        # Midnight 7 Nov is -02:30 -> 02:30Z; midnight 8 Nov is -03:30 -> 8 Nov 03:30Z: 25 h.
        Case("America/St_Johns", leg("2027-11-07", "00:00", end="00:00"),
             "2027-11-07T02:30Z", "2027-11-08T03:30Z", 25,
             "2027-11-07T00:00:00-02:30", "2027-11-08T00:00:00-03:30"),
        id="st-johns-end-midnight-25h",
    ),
    # ---------------------------------------------------------------- quarter-hour offsets
    pytest.param(
        # Kathmandu +05:45, no DST: 09:00 -> 03:15Z, 17:00 -> 11:15Z.
        Case("Asia/Kathmandu", leg("2027-05-01", "09:00", end="17:00"),
             "2027-05-01T03:15Z", "2027-05-01T11:15Z", 8,
             "2027-05-01T09:00:00+05:45", "2027-05-01T17:00:00+05:45"),
        id="kathmandu-plain",
    ),
    pytest.param(
        # HH:MM:SS start: 05:45:30 +05:45 = 00:00:30Z; 15 min later 00:15:30Z = 06:00:30 local.
        Case("Asia/Kathmandu", leg("2027-05-01", "05:45:30", duration="15m"),
             "2027-05-01T00:00:30Z", "2027-05-01T00:15:30Z", 0.25,
             "2027-05-01T05:45:30+05:45", "2027-05-01T06:00:30+05:45"),
        id="kathmandu-seconds",
    ),
    pytest.param(
        # Chatham (+13:45 DST) falls back Sun 4 Apr 2027 03:45 -> 02:45 (+12:45), i.e. 3 Apr 14:00Z.
        # 03:00 happens twice; first is +13:45 -> 3 Apr 13:15Z; 1 h later 14:15Z = 03:00 +12:45.
        Case("Pacific/Chatham", leg("2027-04-04", "03:00", duration="1h"),
             "2027-04-03T13:15Z", "2027-04-03T14:15Z", 1,
             "2027-04-04T03:00:00+13:45", "2027-04-04T03:00:00+12:45",
             (("start", FIRST + " (+13:45)"),)),
        id="chatham-ambiguous-first",
    ),
    pytest.param(
        # Second 03:00 is +12:45 -> 14:15Z; ends 15:15Z = 04:00 +12:45.
        Case("Pacific/Chatham", leg("2027-04-04", "03:00", duration="1h"),
             "2027-04-03T14:15Z", "2027-04-03T15:15Z", 1,
             "2027-04-04T03:00:00+12:45", "2027-04-04T04:00:00+12:45",
             (("start", SECOND + " (+12:45)"),), fold=1),
        id="chatham-ambiguous-fold1",
    ),
    pytest.param(
        # Chatham DST starts Sun 26 Sep 2027 02:45 (+12:45) -> 03:45 (+13:45). 03:00 is missing;
        # +1 h -> 04:00 +13:45 = 25 Sep 14:15Z.
        Case("Pacific/Chatham", leg("2027-09-26", "03:00", duration="1h"),
             "2027-09-25T14:15Z", "2027-09-25T15:15Z", 1,
             "2027-09-26T04:00:00+13:45", "2027-09-26T05:00:00+13:45",
             (("start", NONEXISTENT + " in Pacific/Chatham "
                                      "(clocks go forward 1:00); moved to 04:00 +13:45"),)),
        id="chatham-nonexistent-start",
    ),
    pytest.param(
        # 24 h from midnight 26 Sep: 00:00 +12:45 = 25 Sep 11:15Z -> 26 Sep 11:15Z = 27 Sep 01:00 +13:45.
        Case("Pacific/Chatham", leg("2027-09-26", "00:00", duration="24h"),
             "2027-09-25T11:15Z", "2027-09-26T11:15Z", 24,
             "2027-09-26T00:00:00+12:45", "2027-09-27T01:00:00+13:45"),
        id="chatham-24h-duration-dst-start",
    ),
    # ---------------------------------------------------------------- 30-minute DST (Lord Howe)
    pytest.param(
        # Lord Howe DST starts Sun 3 Oct 2027 02:00 (+10:30) -> 02:30 (+11:00). 02:15 is missing;
        # moved forward 30 min to 02:45 +11:00 = 2 Oct 15:45Z.
        Case("Australia/Lord_Howe", leg("2027-10-03", "02:15", duration="1h"),
             "2027-10-02T15:45Z", "2027-10-02T16:45Z", 1,
             "2027-10-03T02:45:00+11:00", "2027-10-03T03:45:00+11:00",
             (("start", NONEXISTENT + " in Australia/Lord_Howe "
                                      "(clocks go forward 0:30); moved to 02:45 +11:00"),)),
        id="lord-howe-nonexistent-start",
    ),
    pytest.param(
        # Lord Howe falls back Sun 4 Apr 2027 02:00 (+11:00) -> 01:30 (+10:30). 01:45 twice; first
        # is +11:00 -> 3 Apr 14:45Z; 30 min later (15:15Z) the wall reads 01:45 again at +10:30.
        Case("Australia/Lord_Howe", leg("2027-04-04", "01:45", duration="30m"),
             "2027-04-03T14:45Z", "2027-04-03T15:15Z", 0.5,
             "2027-04-04T01:45:00+11:00", "2027-04-04T01:45:00+10:30",
             (("start", "go back 0:30); " + FIRST + " (+11:00)"),)),
        id="lord-howe-ambiguous-first",
    ),
    pytest.param(
        # Second 01:45 is +10:30 -> 15:15Z; ends 15:45Z = 02:15 +10:30.
        Case("Australia/Lord_Howe", leg("2027-04-04", "01:45", duration="30m"),
             "2027-04-03T15:15Z", "2027-04-03T15:45Z", 0.5,
             "2027-04-04T01:45:00+10:30", "2027-04-04T02:15:00+10:30",
             (("start", "go back 0:30); " + SECOND + " (+10:30)"),), fold=1),
        id="lord-howe-ambiguous-fold1",
    ),
    pytest.param(
        # Midnight 4 Apr at +11:00 = 3 Apr 13:00Z; midnight 5 Apr at +10:30 = 4 Apr 13:30Z: 24.5 h.
        Case("Australia/Lord_Howe", leg("2027-04-04", "00:00", end="00:00"),
             "2027-04-03T13:00Z", "2027-04-04T13:30Z", 24.5,
             "2027-04-04T00:00:00+11:00", "2027-04-05T00:00:00+10:30"),
        id="lord-howe-end-midnight-24.5h",
    ),
    pytest.param(
        # Midnight 3 Oct at +10:30 = 2 Oct 13:30Z; midnight 4 Oct at +11:00 = 3 Oct 13:00Z: 23.5 h.
        Case("Australia/Lord_Howe", leg("2027-10-03", "00:00", end="00:00"),
             "2027-10-02T13:30Z", "2027-10-03T13:00Z", 23.5,
             "2027-10-03T00:00:00+10:30", "2027-10-04T00:00:00+11:00"),
        id="lord-howe-end-midnight-23.5h",
    ),
    pytest.param(
        # Nonexistent END: 2 Oct 22:00 +10:30 = 11:30Z until 02:00 on the 3rd, which is missing ->
        # 02:30 +11:00 = 15:30Z. 4 elapsed hours; warning on the end only.
        Case("Australia/Lord_Howe", leg("2027-10-02", "22:00", end="02:00"),
             "2027-10-02T11:30Z", "2027-10-02T15:30Z", 4,
             "2027-10-02T22:00:00+10:30", "2027-10-03T02:30:00+11:00",
             (("end", NONEXISTENT + " in Australia/Lord_Howe (clocks go forward 0:30)"),)),
        id="lord-howe-nonexistent-end",
    ),
    # ---------------------------------------------------------------- southern hemisphere
    pytest.param(
        # Auckland falls back Sun 4 Apr 2027 03:00 (+13) -> 02:00 (+12). 02:30 first = +13 ->
        # 3 Apr 13:30Z; 1 h later 14:30Z = 02:30 +12 (second occurrence on the wall).
        Case("Pacific/Auckland", leg("2027-04-04", "02:30", duration="1h"),
             "2027-04-03T13:30Z", "2027-04-03T14:30Z", 1,
             "2027-04-04T02:30:00+13:00", "2027-04-04T02:30:00+12:00",
             (("start", FIRST + " (+13:00)"),)),
        id="auckland-ambiguous-first",
    ),
    pytest.param(
        # Second 02:30 = +12 -> 14:30Z; ends 15:30Z = 03:30 +12.
        Case("Pacific/Auckland", leg("2027-04-04", "02:30", duration="1h"),
             "2027-04-03T14:30Z", "2027-04-03T15:30Z", 1,
             "2027-04-04T02:30:00+12:00", "2027-04-04T03:30:00+12:00",
             (("start", SECOND + " (+12:00)"),), fold=1),
        id="auckland-ambiguous-fold1",
    ),
    pytest.param(
        # Auckland DST starts Sun 26 Sep 2027 02:00 (+12) -> 03:00 (+13): 02:30 -> 03:30 +13 = 25 Sep 14:30Z.
        Case("Pacific/Auckland", leg("2027-09-26", "02:30", duration="1h"),
             "2027-09-25T14:30Z", "2027-09-25T15:30Z", 1,
             "2027-09-26T03:30:00+13:00", "2027-09-26T04:30:00+13:00",
             (("start", NONEXISTENT + " in Pacific/Auckland "
                                      "(clocks go forward 1:00); moved to 03:30 +13:00"),)),
        id="auckland-nonexistent-start",
    ),
    pytest.param(
        # Midnight 26 Sep +12 = 25 Sep 12:00Z; midnight 27 Sep +13 = 26 Sep 11:00Z: 23 h.
        Case("Pacific/Auckland", leg("2027-09-26", "00:00", end="00:00"),
             "2027-09-25T12:00Z", "2027-09-26T11:00Z", 23,
             "2027-09-26T00:00:00+12:00", "2027-09-27T00:00:00+13:00"),
        id="auckland-end-midnight-23h",
    ),
    pytest.param(
        # Sydney DST starts Sun 3 Oct 2027 02:00 (+10) -> 03:00 (+11). 24 h from midnight:
        # 2 Oct 14:00Z -> 3 Oct 14:00Z = 4 Oct 01:00 +11.
        Case("Australia/Sydney", leg("2027-10-03", "00:00", duration="24h"),
             "2027-10-02T14:00Z", "2027-10-03T14:00Z", 24,
             "2027-10-03T00:00:00+10:00", "2027-10-04T01:00:00+11:00"),
        id="sydney-24h-duration-dst-start",
    ),
    pytest.param(
        # Sydney falls back Sun 4 Apr 2027 03:00 (+11) -> 02:00 (+10). Midnight to midnight:
        # 3 Apr 13:00Z -> 4 Apr 14:00Z, 25 h.
        Case("Australia/Sydney", leg("2027-04-04", "00:00", end="00:00"),
             "2027-04-03T13:00Z", "2027-04-04T14:00Z", 25,
             "2027-04-04T00:00:00+11:00", "2027-04-05T00:00:00+10:00"),
        id="sydney-end-midnight-25h",
    ),
    pytest.param(
        # Santiago falls back at 4 Apr 2027 03:00Z: Sun 00:00 -03 -> Sat 23:00 -04. Midnight 3 Apr
        # is -03 -> 03:00Z; midnight 4 Apr only exists at -04 -> 04:00Z: 25 h, no warning.
        Case("America/Santiago", leg("2027-04-03", "00:00", end="00:00"),
             "2027-04-03T03:00Z", "2027-04-04T04:00Z", 25,
             "2027-04-03T00:00:00-03:00", "2027-04-04T00:00:00-04:00"),
        id="santiago-end-midnight-25h",
    ),
    pytest.param(
        # Sat 3 Apr 23:30 happens twice in Santiago; first is -03 -> 4 Apr 02:30Z.
        Case("America/Santiago", leg("2027-04-03", "23:30", duration="1h"),
             "2027-04-04T02:30Z", "2027-04-04T03:30Z", 1,
             "2027-04-03T23:30:00-03:00", "2027-04-03T23:30:00-04:00",
             (("start", FIRST + " (-03:00)"),)),
        id="santiago-ambiguous-first",
    ),
    pytest.param(
        # Second 23:30 is -04 -> 03:30Z; ends 04:30Z = Sun 00:30 -04.
        Case("America/Santiago", leg("2027-04-03", "23:30", duration="1h"),
             "2027-04-04T03:30Z", "2027-04-04T04:30Z", 1,
             "2027-04-03T23:30:00-04:00", "2027-04-04T00:30:00-04:00",
             (("start", SECOND + " (-04:00)"),), fold=1),
        id="santiago-ambiguous-fold1",
    ),
    pytest.param(
        # Santiago DST starts 5 Sep 2027 04:00Z: 00:00 -04 -> 01:00 -03, so local midnight is missing.
        # Moved to 01:00 -03 = 04:00Z.
        Case("America/Santiago", leg("2027-09-05", "00:00", duration="1h"),
             "2027-09-05T04:00Z", "2027-09-05T05:00Z", 1,
             "2027-09-05T01:00:00-03:00", "2027-09-05T02:00:00-03:00",
             (("start", "2027-09-05 00:00 " + NONEXISTENT + " in America/Santiago"),)),
        id="santiago-nonexistent-midnight-start",
    ),
    pytest.param(
        # Nonexistent END: 4 Sep 00:00 -04 = 04:00Z until midnight 5 Sep (missing) -> 01:00 -03 =
        # 5 Sep 04:00Z. 24 elapsed hours though the wall clock shows 25.
        Case("America/Santiago", leg("2027-09-04", "00:00", end="00:00"),
             "2027-09-04T04:00Z", "2027-09-05T04:00Z", 24,
             "2027-09-04T00:00:00-04:00", "2027-09-05T01:00:00-03:00",
             (("end", NONEXISTENT + " in America/Santiago "
                                    "(clocks go forward 1:00); moved to 01:00 -03:00"),)),
        id="santiago-nonexistent-end",
    ),
    # ---------------------------------------------------------------- northern hemisphere
    pytest.param(
        # New York DST starts Sun 14 Mar 2027 02:00 EST -> 03:00 EDT: 02:30 -> 03:30 -04 = 07:30Z.
        Case("America/New_York", leg("2027-03-14", "02:30", duration="1h"),
             "2027-03-14T07:30Z", "2027-03-14T08:30Z", 1,
             "2027-03-14T03:30:00-04:00", "2027-03-14T04:30:00-04:00",
             (("start", NONEXISTENT + " in America/New_York "
                                      "(clocks go forward 1:00); moved to 03:30 -04:00"),)),
        id="new-york-nonexistent-start",
    ),
    pytest.param(
        # Midnight 14 Mar -05 = 05:00Z; midnight 15 Mar -04 = 15 Mar 04:00Z: 23 h.
        Case("America/New_York", leg("2027-03-14", "00:00", end="00:00"),
             "2027-03-14T05:00Z", "2027-03-15T04:00Z", 23,
             "2027-03-14T00:00:00-05:00", "2027-03-15T00:00:00-04:00"),
        id="new-york-end-midnight-23h",
    ),
    pytest.param(
        # Falls back Sun 7 Nov 2027 02:00 EDT -> 01:00 EST. 01:30 first = -04 -> 05:30Z; 1 h later
        # 06:30Z = 01:30 -05.
        Case("America/New_York", leg("2027-11-07", "01:30", duration="1h"),
             "2027-11-07T05:30Z", "2027-11-07T06:30Z", 1,
             "2027-11-07T01:30:00-04:00", "2027-11-07T01:30:00-05:00",
             (("start", FIRST + " (-04:00)"),)),
        id="new-york-ambiguous-first",
    ),
    pytest.param(
        # Second 01:30 = -05 -> 06:30Z; ends 07:30Z = 02:30 -05.
        Case("America/New_York", leg("2027-11-07", "01:30", duration="1h"),
             "2027-11-07T06:30Z", "2027-11-07T07:30Z", 1,
             "2027-11-07T01:30:00-05:00", "2027-11-07T02:30:00-05:00",
             (("start", SECOND + " (-05:00)"),), fold=1),
        id="new-york-ambiguous-fold1",
    ),
    pytest.param(
        # Ambiguous END: midnight 7 Nov EDT = 04:00Z until 01:30, first occurrence (EDT) = 05:30Z: 1.5 h.
        Case("America/New_York", leg("2027-11-07", "00:00", end="01:30"),
             "2027-11-07T04:00Z", "2027-11-07T05:30Z", 1.5,
             "2027-11-07T00:00:00-04:00", "2027-11-07T01:30:00-04:00",
             (("end", FIRST + " (-04:00)"),)),
        id="new-york-ambiguous-end-first",
    ),
    pytest.param(
        # Same with fold: 1 -> the end is the second 01:30 (EST) = 06:30Z: 2.5 h.
        Case("America/New_York", leg("2027-11-07", "00:00", end="01:30"),
             "2027-11-07T04:00Z", "2027-11-07T06:30Z", 2.5,
             "2027-11-07T00:00:00-04:00", "2027-11-07T01:30:00-05:00",
             (("end", SECOND + " (-05:00)"),), fold=1),
        id="new-york-ambiguous-end-fold1",
    ),
    pytest.param(
        # 24 h from midnight 7 Nov (-04 -> 04:00Z) ends 8 Nov 04:00Z = 7 Nov 23:00 EST.
        Case("America/New_York", leg("2027-11-07", "00:00", duration="24h"),
             "2027-11-07T04:00Z", "2027-11-08T04:00Z", 24,
             "2027-11-07T00:00:00-04:00", "2027-11-07T23:00:00-05:00"),
        id="new-york-24h-duration-dst-end",
    ),
    pytest.param(
        # London DST starts 28 Mar 2027 01:00 GMT -> 02:00 BST: 01:30 -> 02:30 +01 = 01:30Z.
        Case("Europe/London", leg("2027-03-28", "01:30", duration="1h"),
             "2027-03-28T01:30Z", "2027-03-28T02:30Z", 1,
             "2027-03-28T02:30:00+01:00", "2027-03-28T03:30:00+01:00",
             (("start", NONEXISTENT + " in Europe/London "
                                      "(clocks go forward 1:00); moved to 02:30 +01:00"),)),
        id="london-nonexistent-start",
    ),
    pytest.param(
        # Falls back 31 Oct 2027 02:00 BST -> 01:00 GMT. 01:30 first = BST -> 00:30Z.
        Case("Europe/London", leg("2027-10-31", "01:30", duration="1h"),
             "2027-10-31T00:30Z", "2027-10-31T01:30Z", 1,
             "2027-10-31T01:30:00+01:00", "2027-10-31T01:30:00+00:00",
             (("start", FIRST + " (+01:00)"),)),
        id="london-ambiguous-first",
    ),
    pytest.param(
        # Second 01:30 = GMT -> 01:30Z.
        Case("Europe/London", leg("2027-10-31", "01:30", duration="1h"),
             "2027-10-31T01:30Z", "2027-10-31T02:30Z", 1,
             "2027-10-31T01:30:00+00:00", "2027-10-31T02:30:00+00:00",
             (("start", SECOND + " (+00:00)"),), fold=1),
        id="london-ambiguous-fold1",
    ),
    pytest.param(
        # Berlin falls back 31 Oct 2027 03:00 CEST -> 02:00 CET. Midnight 31st +02 = 30 Oct 22:00Z;
        # midnight 1 Nov +01 = 31 Oct 23:00Z: 25 h.
        Case("Europe/Berlin", leg("2027-10-31", "00:00", end="00:00"),
             "2027-10-30T22:00Z", "2027-10-31T23:00Z", 25,
             "2027-10-31T00:00:00+02:00", "2027-11-01T00:00:00+01:00"),
        id="berlin-end-midnight-25h",
    ),
    pytest.param(
        # Berlin DST starts 28 Mar 2027 02:00 CET -> 03:00 CEST. 27 Mar 22:00 +01 = 21:00Z until
        # 02:30 (missing) -> 03:30 +02 = 01:30Z: 4.5 elapsed hours; warning on the end.
        Case("Europe/Berlin", leg("2027-03-27", "22:00", end="02:30"),
             "2027-03-27T21:00Z", "2027-03-28T01:30Z", 4.5,
             "2027-03-27T22:00:00+01:00", "2027-03-28T03:30:00+02:00",
             (("end", NONEXISTENT + " in Europe/Berlin"),)),
        id="berlin-nonexistent-end",
    ),
    # ---------------------------------------------------------------- zones that dropped DST
    pytest.param(
        # Brazil's old DST began the first Sunday of November at 00:00 (-> 01:00); abolished 2019.
        # 2027-11-07 00:00 now exists at -03 -> 03:00Z, and midnight to midnight is 24 h.
        Case("America/Sao_Paulo", leg("2027-11-07", "00:00", end="00:00"),
             "2027-11-07T03:00Z", "2027-11-08T03:00Z", 24,
             "2027-11-07T00:00:00-03:00", "2027-11-08T00:00:00-03:00"),
        id="sao-paulo-no-dst",
    ),
    pytest.param(
        # Iran's old DST began 22 Mar 00:00 (-> 01:00); abolished 2022, now +03:30 all year.
        # 22 Mar 2027 00:30 -> 21 Mar 21:00Z, no warning.
        Case("Asia/Tehran", leg("2027-03-22", "00:30", duration="1h"),
             "2027-03-21T21:00Z", "2027-03-21T22:00Z", 1,
             "2027-03-22T00:30:00+03:30", "2027-03-22T01:30:00+03:30"),
        id="tehran-no-dst",
    ),
    pytest.param(
        # Turkey stayed on +03 from 2016; under EU rules 31 Oct 03:30 would be ambiguous. 00:30Z.
        Case("Europe/Istanbul", leg("2027-10-31", "03:30", duration="1h"),
             "2027-10-31T00:30Z", "2027-10-31T01:30Z", 1,
             "2027-10-31T03:30:00+03:00", "2027-10-31T04:30:00+03:00"),
        id="istanbul-no-dst",
    ),
    pytest.param(
        # Mexico dropped DST in Oct 2022 (old rule: first Sunday of April 02:00 -> 03:00). -06 all
        # year: 4 Apr 2027 02:30 -> 08:30Z.
        Case("America/Mexico_City", leg("2027-04-04", "02:30", duration="1h"),
             "2027-04-04T08:30Z", "2027-04-04T09:30Z", 1,
             "2027-04-04T02:30:00-06:00", "2027-04-04T03:30:00-06:00"),
        id="mexico-city-no-dst",
    ),
    pytest.param(
        # Samoa dropped DST in 2021 (old rule: last Sunday of September 03:00 -> 04:00). +13 all year:
        # 26 Sep 2027 03:30 -> 25 Sep 14:30Z.
        Case("Pacific/Apia", leg("2027-09-26", "03:30", duration="1h"),
             "2027-09-25T14:30Z", "2027-09-25T15:30Z", 1,
             "2027-09-26T03:30:00+13:00", "2027-09-26T04:30:00+13:00"),
        id="apia-no-dst-2027",
    ),
    pytest.param(
        # Samoa skipped Friday 30 Dec 2011: 29 Dec 23:59:59 -10 was followed by 31 Dec 00:00 +14
        # (the switch at 30 Dec 10:00Z). 30 Dec 12:00 never existed; forward by the 24 h gap ->
        # 31 Dec 12:00 +14 = 30 Dec 22:00Z.
        Case("Pacific/Apia", leg("2011-12-30", "12:00", duration="1h"),
             "2011-12-30T22:00Z", "2011-12-30T23:00Z", 1,
             "2011-12-31T12:00:00+14:00", "2011-12-31T13:00:00+14:00",
             (("start", "2011-12-30 12:00 " + NONEXISTENT + " in Pacific/Apia (clocks go forward 24:00)"),)),
        id="apia-skipped-day-start",
    ),
    pytest.param(
        # 29 Dec 2011 12:00 -10 = 22:00Z until 12:00 "next day" (30 Dec, missing) -> 31 Dec 12:00 +14
        # = 30 Dec 22:00Z: 24 elapsed hours spanning two calendar days on the wall.
        Case("Pacific/Apia", leg("2011-12-29", "12:00", end="12:00"),
             "2011-12-29T22:00Z", "2011-12-30T22:00Z", 24,
             "2011-12-29T12:00:00-10:00", "2011-12-31T12:00:00+14:00",
             (("end", NONEXISTENT),)),
        id="apia-skipped-day-end",
    ),
    # ---------------------------------------------------------------- no DST, extreme offsets
    pytest.param(
        # Lagos +01 all year; EU's change day means nothing there: 28 Mar 02:30 -> 01:30Z.
        Case("Africa/Lagos", leg("2027-03-28", "02:30", duration="1h"),
             "2027-03-28T01:30Z", "2027-03-28T02:30Z", 1,
             "2027-03-28T02:30:00+01:00", "2027-03-28T03:30:00+01:00"),
        id="lagos-no-dst",
    ),
    pytest.param(
        # Lagos midnight to midnight on 31 Oct: 30 Oct 23:00Z -> 31 Oct 23:00Z, exactly 24 h.
        Case("Africa/Lagos", leg("2027-10-31", "00:00", end="00:00"),
             "2027-10-30T23:00Z", "2027-10-31T23:00Z", 24,
             "2027-10-31T00:00:00+01:00", "2027-11-01T00:00:00+01:00"),
        id="lagos-end-midnight-24h",
    ),
    pytest.param(
        # Kiritimati +14: New Year 2027 arrives there at 31 Dec 2026 10:00Z.
        Case("Pacific/Kiritimati", leg("2027-01-01", "00:00", duration="24h"),
             "2026-12-31T10:00Z", "2027-01-01T10:00Z", 24,
             "2027-01-01T00:00:00+14:00", "2027-01-02T00:00:00+14:00"),
        id="kiritimati-plus-14",
    ),
    pytest.param(
        # Pacific/Samoa is NOT Samoa (Apia) but American Samoa (Pago Pago), -11 all year:
        # 1 Jan 2027 00:00 -> 11:00Z, 25 h after Kiritimati's same wall-clock instant.
        Case("Pacific/Samoa", leg("2027-01-01", "00:00", duration="24h"),
             "2027-01-01T11:00Z", "2027-01-02T11:00Z", 24,
             "2027-01-01T00:00:00-11:00", "2027-01-02T00:00:00-11:00"),
        id="pacific-samoa-is-pago-pago",
    ),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_zone_case(case: Case) -> None:
    got = one_leg(case.tz, case.legs, case.fold)
    assert got.start == Z(case.start)
    assert got.end == Z(case.end)
    assert got.start.utcoffset() == dt.timedelta(0)
    assert got.end.utcoffset() == dt.timedelta(0)
    assert got.hours == pytest.approx(case.hours)
    assert got.local_start.isoformat() == case.local_start
    assert got.local_end.isoformat() == case.local_end
    # the local values name the same instants as the UTC ones
    assert got.local_start == got.start
    assert got.local_end == got.end
    assert len(got.warnings) == len(case.warnings), got.warnings
    for warning, (prefix, fragment) in zip(got.warnings, case.warnings, strict=True):
        assert warning.startswith(prefix + " "), warning
        assert fragment in warning, warning


def test_cases_cover_at_least_ten_zones() -> None:
    zones = {p.values[0].tz for p in CASES}
    assert len(zones) >= 10, sorted(zones)


def test_leg_json_reports_elapsed_hours_on_dst_days() -> None:
    """The ``hours`` field is elapsed time: 23 and 25 on the US change days, 24 otherwise."""
    spec = parse_spec(
        {
            "name": "hours",
            "legs": {"date": "2027-03-14", "start": "00:00", "end": "00:00"},
            "sites": [
                {"id": "spring", "tz": "America/New_York"},
                {"id": "autumn", "tz": "America/New_York", "legs": {"date": "2027-11-07"}},
                {"id": "plain", "tz": "America/New_York", "legs": {"date": "2027-05-01"}},
                {"id": "lhi", "tz": "Australia/Lord_Howe", "legs": {"date": "2027-10-03"}},
            ],
        }
    )
    legs = {leg["site"]: leg for leg in plan_to_json(plan(spec))["legs"]}
    assert legs["spring"]["hours"] == 23
    assert legs["autumn"]["hours"] == 25
    assert legs["plain"]["hours"] == 24
    assert legs["lhi"]["hours"] == 23.5
    # 14 Mar 00:00 EST = 05:00Z; 15 Mar 00:00 EDT = 04:00Z
    assert (legs["spring"]["start"], legs["spring"]["end"]) == (
        "2027-03-14T05:00:00Z",
        "2027-03-15T04:00:00Z",
    )
    assert legs["spring"]["local_end"] == "2027-03-15T00:00:00-04:00"


# -------------------------------------------------------------------- Lord Howe: 30-minute shifts


def lhi(sid: str, legs: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"id": sid, "tz": "Australia/Lord_Howe", "legs": legs, **kw}


def test_lord_howe_fall_back_opens_a_30_minute_gap() -> None:
    """On 4 Apr 2027 Lord Howe's clock reads 01:30-01:59 twice (02:00 +11:00 -> 01:30 +10:30).

    ``early`` strikes until 01:30 (first occurrence, +11:00 -> 3 Apr 14:30Z); ``late`` starts at the
    second 01:30 (fold: 1, +10:30 -> 15:00Z). Same wall clock, 30 minutes of nobody striking.
    """
    spec = parse_spec(
        {
            "name": "lhi",
            "sites": [
                lhi("early", {"date": "2027-04-03", "start": "20:00", "end": "01:30"}),
                lhi("late", {"date": "2027-04-04", "start": "01:30", "duration": "2h"}, fold=1),
            ],
        }
    )
    p = plan(spec)
    early, late = p.legs
    # 3 Apr 20:00 +11:00 = 09:00Z
    assert (early.site, early.start, early.end) == ("early", Z("2027-04-03T09:00Z"), Z("2027-04-03T14:30Z"))
    assert (late.site, late.start, late.end) == ("late", Z("2027-04-03T15:00Z"), Z("2027-04-03T17:00Z"))
    assert early.warnings[0].startswith("end ") and "first occurrence" in early.warnings[0]
    assert late.warnings[0].startswith("start ") and "second occurrence" in late.warnings[0]
    assert [(g.start, g.end) for g in p.gaps] == [(Z("2027-04-03T14:30Z"), Z("2027-04-03T15:00Z"))]
    assert [(h.at, h.from_leg, h.to_leg) for h in p.handoffs] == [
        (Z("2027-04-03T09:00Z"), None, 0),
        (Z("2027-04-03T14:30Z"), 0, None),
        (Z("2027-04-03T15:00Z"), None, 1),
        (Z("2027-04-03T17:00Z"), 1, None),
    ]


def test_lord_howe_spring_forward_closes_a_30_minute_wall_clock_gap() -> None:
    """On 3 Oct 2027 02:00-02:29 does not exist (02:00 +10:30 -> 02:30 +11:00).

    ``early`` ends at 02:00 (missing -> 02:30 +11:00 = 2 Oct 15:30Z); ``late`` starts at 02:30
    (+11:00 -> 15:30Z). Thirty minutes apart on the wall, yet a direct handoff with no gap.
    """
    spec = parse_spec(
        {
            "name": "lhi",
            "sites": [
                lhi("early", {"date": "2027-10-02", "start": "20:00", "end": "02:00"}),
                lhi("late", {"date": "2027-10-03", "start": "02:30", "duration": "1h"}),
            ],
        }
    )
    p = plan(spec)
    early, late = p.legs
    # 2 Oct 20:00 +10:30 = 09:30Z
    assert (early.start, early.end) == (Z("2027-10-02T09:30Z"), Z("2027-10-02T15:30Z"))
    assert late.start == Z("2027-10-02T15:30Z")
    assert early.warnings[0].startswith("end ") and "forward 0:30" in early.warnings[0]
    assert late.warnings == ()
    assert p.gaps == ()
    assert [(h.at, h.from_leg, h.to_leg) for h in p.handoffs] == [
        (Z("2027-10-02T09:30Z"), None, 0),
        (Z("2027-10-02T15:30Z"), 0, 1),
        (Z("2027-10-02T16:30Z"), 1, None),
    ]


# -------------------------------------------------------------------- repetition across a DST change


def test_days_repeat_on_local_dates_across_dst() -> None:
    """``days: 3`` from Sat 13 Mar 2027 09:00 New York: 09:00 EST, then 09:00 EDT twice.

    13 Mar -05 -> 14:00Z; 14 and 15 Mar -04 -> 13:00Z. Successive starts are 23 h then 24 h apart.
    """
    p = plan(
        parse_spec(
            {
                "name": "ny",
                "sites": [
                    {
                        "id": "ny",
                        "tz": "America/New_York",
                        "legs": leg("2027-03-13", "09:00", duration="8h", days=3),
                    }
                ],
            }
        )
    )
    assert [leg.start for leg in p.legs] == [
        Z("2027-03-13T14:00Z"),
        Z("2027-03-14T13:00Z"),
        Z("2027-03-15T13:00Z"),
    ]
    assert all(leg.local_start.strftime("%H:%M") == "09:00" for leg in p.legs)


def test_apia_start_with_fold_one_on_a_non_ambiguous_time_is_ignored() -> None:
    """fold: 1 only matters for ambiguous times; 2027 Apia has none. 09:00 +13 = 20:00Z the day before."""
    got = one_leg("Pacific/Apia", leg("2027-05-01", "09:00", duration="1h"), fold=1)
    assert got.start == Z("2027-04-30T20:00Z")
    assert got.warnings == ()


def test_apia_skipped_day_landing_on_the_next_leg_is_refused() -> None:
    """``days: 3`` from 29 Dec 2011 12:00 in Apia: the 30th (skipped) moves to 31 Dec 12:00 +14,
    exactly where the 31st's own leg is. One site cannot be two sites striking: refused."""
    with pytest.raises(PlanError, match="site apia: its legs on 2011-12-30 and 2011-12-31 overlap"):
        plan(
            parse_spec(
                {
                    "name": "apia",
                    "sites": [
                        {
                            "id": "apia",
                            "tz": "Pacific/Apia",
                            "legs": leg("2011-12-29", "12:00", duration="1h", days=3),
                        }
                    ],
                }
            )
        )


# -------------------------------------------------------------------- resolve_local directly


def test_resolve_local_plain_time_has_no_warning() -> None:
    # Kathmandu 12:00 +05:45 = 06:15Z
    got, warning = resolve_local("Asia/Kathmandu", dt.datetime(2027, 6, 1, 12, 0))
    assert warning is None
    assert got == Z("2027-06-01T06:15Z")


@pytest.mark.parametrize(
    ("fold", "expected"),
    [
        # Chatham 4 Apr 2027 03:10: first at +13:45 -> 3 Apr 13:25Z, second at +12:45 -> 14:25Z.
        (0, "2027-04-03T13:25Z"),
        (1, "2027-04-03T14:25Z"),
    ],
)
def test_resolve_local_ambiguous(fold: int, expected: str) -> None:
    got, warning = resolve_local("Pacific/Chatham", dt.datetime(2027, 4, 4, 3, 10), fold)
    assert got == Z(expected)
    assert warning is not None and "happens twice in Pacific/Chatham (clocks go back 1:00)" in warning


# -------------------------------------------------------------------- tz database independence


def test_tzdb_is_pytz_bundled() -> None:
    assert plan_mod.TZDB_VERSION == pytz.OLSON_VERSION
    with pytz.open_resource("Australia/Lord_Howe") as f:
        path = os.path.realpath(f.name)
    assert path.startswith(os.path.realpath(os.path.dirname(pytz.__file__)) + os.sep), path


def test_plan_does_not_depend_on_host_tz(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = parse_spec(
        {
            "name": "hosts",
            "legs": {"date": "2027-10-03", "start": "02:15", "duration": "1h"},
            "sites": [
                {"id": "lhi", "tz": "Australia/Lord_Howe"},
                {"id": "ny", "tz": "America/New_York"},
                {"id": "cht", "tz": "Pacific/Chatham"},
            ],
        }
    )
    outputs = []
    for host_tz in ("UTC", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"):
        monkeypatch.setenv("TZ", host_tz)
        time.tzset()
        outputs.append(plan_to_json(plan(spec)))
    monkeypatch.undo()
    time.tzset()
    assert all(o == outputs[0] for o in outputs)

"""Relay definitions for tests whose legs start a few seconds from a given instant."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytz


def soon(
    now: dt.datetime,
    legs: list[tuple[str, str, float, float]],
    grace: str = "10m",
    backups: dict[str, str] | None = None,
    board: str = "public",
) -> dict[str, Any]:
    """``legs``: (site id, zone, seconds from now to start, seconds long), written in local time."""
    base = now.replace(microsecond=0) + dt.timedelta(seconds=1)
    sites = []
    for sid, zone, start_s, dur_s in legs:
        local = (base + dt.timedelta(seconds=start_s)).astimezone(pytz.timezone(zone))
        site: dict[str, Any] = {
            "id": sid,
            "name": f"Site {sid.upper()}",
            "tz": zone,
            "legs": {
                "date": local.date().isoformat(),
                "start": local.strftime("%H:%M:%S"),
                "duration": f"{int(dur_s)}s",
            },
        }
        if backups and sid in backups:
            site["backup"] = backups[sid]
        sites.append(site)
    return {"name": "test relay", "checkin_grace": grace, "board": board, "sites": sites}

"""The timer shell: one APScheduler date job per stream (a relay, an assembly), armed at the
stream's next deadline as derived from its state.

Why this shape (see docs/architecture.md):
- Date triggers at UTC instants, never local cron expressions: a cron at a local time that does not
  exist fires late, and one at an ambiguous time fires twice.
- ``misfire_grace_time=None``: a job that could not run on time (a paused process, a busy loop)
  still runs, late; the default of one second would silently drop the handoff. ``coalesce``: a
  backlog runs once, because one Tick applies everything due.
- The job only sends ``Tick`` down the ordinary command path. Exactly once across processes comes
  from the log's compare-and-append, not from APScheduler (whose job stores cannot be shared
  between processes safely), so every process arms its own timer and the log picks one winner.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

import pytz
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

log = logging.getLogger("mayday.timers")


class DeadlineTimers:
    def __init__(self, fire: Callable[[str], Awaitable[None]]) -> None:
        self._fire = fire
        self._armed: dict[str, dt.datetime] = {}
        self._scheduler = AsyncIOScheduler(
            timezone=pytz.utc,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def arm(self, key: str, when: dt.datetime | None) -> None:
        """Point the stream's single timer at ``when`` (None: nothing pending, drop the timer)."""
        if self._armed.get(key) == when:
            return
        if when is None:
            self._armed.pop(key, None)
            try:
                self._scheduler.remove_job(key)
            except JobLookupError:
                pass
            return
        self._armed[key] = when
        self._scheduler.add_job(
            self._run,
            DateTrigger(run_date=when.astimezone(pytz.utc)),
            args=[key, when],
            id=key,
            replace_existing=True,
        )

    async def _run(self, key: str, when: dt.datetime) -> None:
        if self._armed.get(key) == when:
            del self._armed[key]  # fired: the next arm() must re-add even for the same instant
        try:
            await self._fire(key)
        except Exception:
            log.exception("tick for %s failed", key)

    def armed_count(self) -> int:
        return len(self._armed)

    def armed(self, key: str) -> dt.datetime | None:
        """The instant the stream's timer is set for (what tests and /api/health look at)."""
        return self._armed.get(key)

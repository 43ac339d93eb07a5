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
- A tick that fails (storage down, a bug in a handler) is retried with capped exponential backoff
  until one succeeds: the deadline stays armed, it is never forgotten. ``failing()`` tells the
  health route which streams are behind and why.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytz
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

log = logging.getLogger("mayday.timers")

RETRY_FIRST = 0.1  # seconds before the first retry of a failed tick
RETRY_MAX = 5.0  # the backoff's cap: a failed deadline is tried again at least this often


@dataclass(frozen=True, slots=True)
class Failing:
    """A stream whose last tick failed: the deadline it is late for, tries so far, the error."""

    deadline: dt.datetime
    attempts: int
    error: str
    retry_at: dt.datetime


def backoff(attempt: int) -> float:
    """Seconds before retry number ``attempt`` (1, 2, ...): doubling from RETRY_FIRST, capped,
    with jitter so that many streams failing together do not retry in lockstep."""
    # The exponent is capped before it is used: 0.1 * 2**1024 is past a float (OverflowError), and
    # a tick failing for 75 minutes would then never be tried again.
    base = min(RETRY_MAX, RETRY_FIRST * 2 ** min(attempt - 1, 32))
    return base * random.uniform(0.75, 1.0)


class DeadlineTimers:
    def __init__(self, fire: Callable[[str], Awaitable[None]]) -> None:
        self._fire = fire
        self._armed: dict[str, dt.datetime] = {}
        self._failing: dict[str, Failing] = {}
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
        """Point the stream's single timer at ``when`` (None: nothing pending, drop the timer).

        While a tick of the stream is failing, arming it for the deadline it is late for keeps the
        retry's backoff (the state still derives that deadline until a tick succeeds); arming it
        for another instant means the state moved on, and the new instant wins."""
        failing = self._failing.get(key)
        if failing is not None:
            if when == failing.deadline:
                return
            del self._failing[key]
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
        self._add(key, when, when)

    def _add(self, key: str, when: dt.datetime, run_at: dt.datetime) -> None:
        self._scheduler.add_job(
            self._run,
            DateTrigger(run_date=run_at.astimezone(pytz.utc)),
            args=[key, when],
            id=key,
            replace_existing=True,
        )

    async def _run(self, key: str, when: dt.datetime) -> None:
        if self._armed.get(key) == when:
            del self._armed[key]  # fired: the next arm() must re-add even for the same instant
        try:
            await self._fire(key)
        except Exception as e:
            self._retry(key, when, e)
            return
        if self._failing.pop(key, None) is not None:
            log.warning("tick for %s succeeded again (deadline %s)", key, when.isoformat())

    def _retry(self, key: str, when: dt.datetime, error: Exception) -> None:
        if not self._scheduler.running:
            return
        previous = self._failing.get(key)
        if previous is not None and previous.deadline != when:
            previous = None
        attempts = (previous.attempts if previous else 0) + 1
        delay = backoff(attempts)
        retry_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay)
        self._failing[key] = Failing(when, attempts, f"{type(error).__name__}: {error}", retry_at)
        self._armed[key] = when
        log_ = log.exception if attempts == 1 else log.warning
        log_("tick for %s failed (try %d); retrying in %.2f s", key, attempts, delay)
        self._add(key, when, retry_at)

    def armed_count(self) -> int:
        return len(self._armed)

    def armed(self, key: str) -> dt.datetime | None:
        """The instant the stream's timer is set for (what tests and /api/health look at)."""
        return self._armed.get(key)

    def failing(self) -> dict[str, Failing]:
        """Streams whose last tick failed and is being retried."""
        return dict(self._failing)

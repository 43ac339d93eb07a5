"""mayday/timers.py without waiting: the backoff's curve, what ``failing()`` reports, and how arming
treats a deadline whose tick is failing. The scheduler is started paused, so nothing fires by
itself: a test runs the job (``_run``) when it wants a tick, and reads when the retry was set for
from the scheduler's job. tests/faults/test_ticks.py runs the same shell against the real clock."""

from __future__ import annotations

import datetime as dt

import pytest

from mayday import timers as timers_module
from mayday.timers import RETRY_FIRST, RETRY_MAX, DeadlineTimers, Failing, backoff

UTC = dt.UTC


class Fire:
    """The tick: fails with ``errors`` in turn, then succeeds; records the keys it was called with."""

    def __init__(self, *errors: Exception) -> None:
        self.errors, self.calls = list(errors), []

    async def __call__(self, key: str) -> None:
        self.calls.append(key)
        if self.errors:
            raise self.errors.pop(0)


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """backoff() takes the top of its jitter range, so each delay is exact."""
    monkeypatch.setattr(timers_module.random, "uniform", lambda low, high: high)


@pytest.fixture
async def paused():
    """``paused(fire)``: DeadlineTimers whose scheduler is running but paused (jobs are kept and
    their run times computed; none runs). Shut down at teardown."""
    made: list[DeadlineTimers] = []

    def make(fire: Fire) -> DeadlineTimers:
        timers = DeadlineTimers(fire)
        timers._scheduler.start(paused=True)
        made.append(timers)
        return timers

    yield make
    for timers in made:
        timers.shutdown()


def run_at(timers: DeadlineTimers, key: str) -> dt.datetime | None:
    """When the stream's job is set to run (None: no job)."""
    job = timers._scheduler.get_job(key)
    return None if job is None else job.next_run_time


# --- backoff ---------------------------------------------------------------------------------


def test_backoff_doubles_from_the_first_retry_up_to_the_cap(no_jitter):
    assert [backoff(n) for n in range(1, 9)] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0])
    assert backoff(1) == RETRY_FIRST and backoff(1024) == RETRY_MAX


def test_backoff_stays_at_the_cap_however_long_a_tick_keeps_failing(no_jitter):
    """Attempt 1025 is about 75 minutes of 5 s retries: it once overflowed a float, and the
    tick was never tried again."""
    assert backoff(1025) == RETRY_MAX and backoff(10_000) == RETRY_MAX and backoff(10**9) == RETRY_MAX


def test_backoff_jitter_takes_up_to_a_quarter_off(monkeypatch):
    monkeypatch.setattr(timers_module.random, "uniform", lambda low, high: low)
    assert backoff(1) == pytest.approx(0.075) and backoff(50) == pytest.approx(RETRY_MAX * 0.75)
    monkeypatch.undo()
    for n in range(1, 12):
        base = min(RETRY_MAX, RETRY_FIRST * 2 ** (n - 1))
        assert all(0.75 * base <= backoff(n) <= base for _ in range(50))


# --- failing() and the retry ------------------------------------------------------------------


async def test_a_failed_tick_is_reported_and_retried_after_the_backoff(paused, no_jitter):
    fire = Fire(ConnectionError("storage is down"))
    timers = paused(fire)
    due = dt.datetime.now(UTC) - dt.timedelta(seconds=1)
    timers.arm("r1", due)
    assert run_at(timers, "r1") == due and timers.failing() == {}

    before = dt.datetime.now(UTC)
    await timers._run("r1", due)
    after = dt.datetime.now(UTC)
    failing = timers.failing()
    assert list(failing) == ["r1"] and fire.calls == ["r1"]
    f = failing["r1"]
    assert (f.deadline, f.attempts, f.error) == (due, 1, "ConnectionError: storage is down")
    assert before + dt.timedelta(seconds=0.1) <= f.retry_at <= after + dt.timedelta(seconds=0.1)
    assert run_at(timers, "r1") == f.retry_at  # the retry is the job now
    assert timers.armed("r1") == due and timers.armed_count() == 1  # still armed for what it is late for
    failing["r1"] = None  # a copy: the caller cannot change what the timers hold
    assert isinstance(timers.failing()["r1"], Failing)


async def test_each_further_failure_waits_twice_as_long(paused, no_jitter):
    timers = paused(Fire(*(RuntimeError(f"try {n}") for n in range(1, 5))))
    due = dt.datetime.now(UTC) - dt.timedelta(seconds=1)
    timers.arm("r1", due)
    gaps = []
    for n in range(1, 5):
        start = dt.datetime.now(UTC)
        await timers._run("r1", due)
        f = timers.failing()["r1"]
        assert (f.attempts, f.error) == (n, f"RuntimeError: try {n}")
        gaps.append(round((f.retry_at - start).total_seconds(), 1))
    assert gaps == [0.1, 0.2, 0.4, 0.8]


async def test_re_arming_the_failing_deadline_keeps_the_backoff(paused, no_jitter):
    """Every fold arms the stream's next deadline again; while its tick fails that is the same
    overdue instant, which must not reset the retry to "now" nor the count to 1."""
    timers = paused(Fire(OSError("one"), OSError("two"), OSError("three")))
    due = dt.datetime.now(UTC) - dt.timedelta(seconds=1)
    timers.arm("r1", due)
    await timers._run("r1", due)
    await timers._run("r1", due)
    kept = timers.failing()["r1"]
    assert kept.attempts == 2
    for _ in range(3):
        timers.arm("r1", due)
    assert timers.failing()["r1"] == kept and run_at(timers, "r1") == kept.retry_at
    assert timers.armed("r1") == due
    await timers._run("r1", due)
    assert timers.failing()["r1"].attempts == 3  # counting on, not from 1


async def test_another_deadline_failing_starts_its_count_again(paused, no_jitter):
    timers = paused(Fire(OSError("one"), OSError("two"), OSError("three")))
    first = dt.datetime.now(UTC) - dt.timedelta(seconds=2)
    timers.arm("r1", first)
    await timers._run("r1", first)
    await timers._run("r1", first)
    assert timers.failing()["r1"].attempts == 2
    second = first + dt.timedelta(seconds=1)  # the state moved on to a later overdue deadline
    timers.arm("r1", second)
    assert timers.failing() == {} and run_at(timers, "r1") == second
    await timers._run("r1", second)
    f = timers.failing()["r1"]
    assert (f.deadline, f.attempts, f.error) == (second, 1, "OSError: three")


async def test_success_after_failures_clears_the_report_and_the_timer(paused, no_jitter):
    fire = Fire(ConnectionError("down"))
    timers = paused(fire)
    due = dt.datetime.now(UTC) - dt.timedelta(seconds=1)
    timers.arm("r1", due)
    await timers._run("r1", due)
    assert "r1" in timers.failing()
    await timers._run("r1", due)
    assert fire.calls == ["r1", "r1"]
    assert timers.failing() == {} and timers.armed("r1") is None and timers.armed_count() == 0
    timers.arm("r1", due)  # it fired, so arming the same instant again sets a timer again
    assert run_at(timers, "r1") == due and timers.armed("r1") == due


async def test_disarming_a_failing_stream_drops_its_retry(paused, no_jitter):
    timers = paused(Fire(ConnectionError("down")))
    due = dt.datetime.now(UTC) - dt.timedelta(seconds=1)
    timers.arm("r1", due)
    await timers._run("r1", due)
    timers.arm("r1", None)  # nothing pending any more (the stream was folded elsewhere)
    assert timers.failing() == {} and timers.armed("r1") is None and run_at(timers, "r1") is None
    timers.arm("r1", None)  # and again: nothing to remove, no error


async def test_arming_the_same_instant_twice_keeps_one_job(paused):
    timers = paused(Fire())
    later = dt.datetime.now(UTC) + dt.timedelta(hours=1)
    timers.arm("r1", later)
    timers.arm("r1", later)
    timers.arm("r2", later)
    assert [job.id for job in timers._scheduler.get_jobs()] == ["r1", "r2"]
    assert timers.armed_count() == 2


async def test_a_tick_failing_after_shutdown_is_not_retried():
    timers = DeadlineTimers(Fire(ConnectionError("down")))
    due = dt.datetime.now(UTC) - dt.timedelta(seconds=1)
    await timers._run("r1", due)  # never started (or already shut down): nothing to retry on
    assert timers.failing() == {}

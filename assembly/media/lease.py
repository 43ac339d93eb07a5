"""Which process is an assembly's media origin: a lease in Redis, fenced by a token. Pure.

Every process that holds a room for an assembly asks for the lease; one holds it at a time and is
the **origin** (it mixes and encodes every channel once and publishes the packets); the others are
**edges** (they forward the origin's packets to their own listeners). The shell
(``assembly/media/cluster.py``) runs three Lua scripts against Redis and feeds their answers here:

* acquire: ``SET lease NX PX ttl`` with a fencing token from ``INCR`` (a free lease only);
* renew: extend the lease only if it still holds our token (compare-and-extend);
* publish: ``PUBLISH`` only if the lease still holds our token -- so an origin that lost its lease
  (paused, cut off from Redis, or simply slow) cannot keep publishing, whatever it believes.

This module decides *when* to ask and what each answer means; it keeps no clock of its own (the
caller passes ``now``, seconds on its monotonic clock) and does no I/O. A lease is taken as ours
only until ``sent + ttl``, where ``sent`` is when the request that won or renewed it *left*: an
answer that comes back late never stretches it.

Edges refuse packets stamped with a token lower than the highest they have seen
(``timeline.accept``), and Redis refuses a stale origin's publish: fencing at both ends.

**Cut off.** While Redis does not answer, no packet crosses between processes, whoever holds the
lease. A process that has failed to reach Redis for ``CUT_OFF`` seconds (an origin: from the moment
its lease lapses unrenewed) is ``cut_off``: its room mixes on its own for its own listeners from
the voices connected to it, and publishes nothing (Redis would refuse it anyway). The first answer
from Redis ends it: the process is an origin or an edge again, as the lease then says.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

TTL = 3.0  # seconds a lease lives in Redis without renewal: the longest an origin's death goes unnoticed
RENEW_EVERY = 1.0  # seconds between an origin's renewals: two may fail before the lease lapses
ACQUIRE_EVERY = 0.5  # seconds between an edge's attempts to take a lease someone else holds
RETRY_MIN, RETRY_MAX = 0.1, 2.0  # backoff after Redis failed to answer (doubling)
# Seconds of unanswered calls before a process counts as cut off: an edge does not give up its
# origin's packets for a blip, and an origin's renewals fail for TTL - RENEW_EVERY before it lapses.
CUT_OFF = TTL - RENEW_EVERY

Action = Literal["acquire", "renew"]


@dataclass(frozen=True, slots=True)
class Lease:
    token: int = 0  # our fencing token while we are the origin; 0 while we are an edge
    valid_until: float = 0.0  # while origin: the lease is surely ours until then (our clock)
    next_try: float = 0.0  # when to ask Redis next
    highest: int = 0  # the highest token anyone was given that we know of
    failures: int = 0  # Redis calls failed in a row (for the backoff)
    cut_off_at: float | None = None  # while Redis fails: from when this process counts as cut off

    @property
    def origin(self) -> bool:
        return self.token != 0


def due(lease: Lease, now: float) -> tuple[Lease, Action | None]:
    """What to ask Redis now, if anything. An origin whose lease ran out unrenewed (Redis did not
    answer in time) is an edge again from this moment: it stops mixing for others before anyone
    else can be given the lease, and its next publish would be refused anyway."""
    if lease.origin and now >= lease.valid_until:
        # Unrenewed until it lapsed: Redis has not answered for a while; cut off from now on.
        cut = now if lease.cut_off_at is None else min(lease.cut_off_at, now)
        lease = replace(lease, token=0, next_try=min(lease.next_try, now), cut_off_at=cut)
    if now < lease.next_try:
        return lease, None
    return lease, "renew" if lease.origin else "acquire"


def acquired(lease: Lease, token: int, sent: float, ttl: float = TTL) -> Lease:
    """The acquire script gave us the lease with ``token``."""
    if token <= lease.highest:
        raise ValueError(f"fencing token {token} is not above {lease.highest}: tokens only grow")
    return Lease(token=token, valid_until=sent + ttl, next_try=sent + RENEW_EVERY, highest=token)


def held_by_other(lease: Lease, token: int, now: float) -> Lease:
    """The acquire script found the lease held, by the holder of ``token`` (0: it could not say)."""
    return Lease(token=0, next_try=now + ACQUIRE_EVERY, highest=max(lease.highest, token))


def renewed(lease: Lease, ok: bool, sent: float, ttl: float = TTL) -> Lease:
    """The renew script answered: ``ok`` if the lease still held our token (now extended)."""
    if not lease.origin:
        return lease  # we had already given it up (expired locally): the answer changes nothing
    if ok:
        return replace(lease, valid_until=sent + ttl, next_try=sent + RENEW_EVERY, failures=0, cut_off_at=None)
    return Lease(token=0, next_try=sent + ACQUIRE_EVERY, highest=lease.highest)


def refused(lease: Lease, now: float) -> Lease:
    """A publish was refused: the lease no longer holds our token. We are an edge at once."""
    return Lease(token=0, next_try=now + ACQUIRE_EVERY, highest=lease.highest)


def failed(lease: Lease, now: float, sent: float | None = None) -> Lease:
    """Redis did not answer (down, timeout): ask again after a capped, doubling pause. An origin
    stays origin until ``valid_until`` (``due`` demotes it then). ``sent``: when the failed call
    left (default ``now``); ``CUT_OFF`` seconds after the first one, the process is cut off."""
    failures = lease.failures + 1
    pause = min(RETRY_MAX, RETRY_MIN * 2 ** (failures - 1))
    cut = lease.cut_off_at if lease.cut_off_at is not None else (now if sent is None else sent) + CUT_OFF
    return replace(lease, next_try=now + pause, failures=failures, cut_off_at=cut)


def cut_off(lease: Lease, now: float) -> bool:
    """Whether this process should run its room on its own: not the origin, and Redis
    unreachable for long enough (see the module's "Cut off")."""
    return not lease.origin and lease.cut_off_at is not None and now >= lease.cut_off_at


def seen(lease: Lease, token: int) -> Lease:
    """A packet or an answer showed that ``token`` was given out."""
    return lease if token <= lease.highest else replace(lease, highest=token)

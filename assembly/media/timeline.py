"""What an edge does with the origin's packets, and how every listener's timeline stays unbroken.
Pure: state in, verdicts and timestamps out; the caller passes ``now`` (seconds).

**Acceptance** (``Feed``, ``accept``). The origin stamps every batch of packets with its fencing
token and a batch number. An edge drops a batch from a token lower than the highest it has seen
(a stale origin that has not noticed yet), notices a new origin (a higher token: ``SWITCH``) and
lost batches (a gap in the numbers: ``GAP``), after which video waits for a keyframe.

**Continuity** (``Timeline``, ``place``). A listener's RTP timeline must never jump back, and must
not start over when the origin changes: its connection (SSRC, sequence numbers) stays as it is and
nothing is renegotiated. Each channel therefore keeps one output timeline per process. Packets
from one source (one origin, by token) keep their spacing: ``out = in + offset``. When packets
start coming from another source, the offset is chosen so that the new source's first packet
lands where the old timeline would have reached by now (at least one packet after the last), so
the listener hears a gap as long as the outage, then the new origin, on the same stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Verdict(Enum):
    OK = "ok"
    STALE = "stale"  # from a lower token than one already seen, or a batch already taken: drop
    SWITCH = "switch"  # the first batch of a new origin (higher token)
    GAP = "gap"  # batches were lost between the last one taken and this one


@dataclass(frozen=True, slots=True)
class Feed:
    token: int = 0  # the highest fencing token seen
    seq: int = -1  # the last batch number taken from it


def accept(feed: Feed, token: int, seq: int) -> tuple[Feed, Verdict]:
    """Whether to take batch ``seq`` stamped with ``token``."""
    if token < feed.token or (token == feed.token and seq <= feed.seq):
        return feed, Verdict.STALE
    if token > feed.token:
        return Feed(token, seq), Verdict.SWITCH
    return Feed(token, seq), Verdict.OK if seq == feed.seq + 1 else Verdict.GAP


@dataclass(frozen=True, slots=True)
class Timeline:
    source: int | None = None  # whose timestamps are being placed (a fencing token)
    offset: int = 0  # out = in + offset, for this source
    last: int | None = None  # the last timestamp given out
    last_at: float = 0.0  # when (the caller's clock, seconds)


def place(timeline: Timeline, source: int, ts: int, now: float, rate: int, step: int) -> tuple[Timeline, int]:
    """The output timestamp of a packet from ``source`` stamped ``ts`` (``rate`` units per second;
    ``step``: one packet's length, the least a new source moves the timeline on)."""
    if source == timeline.source:
        out = ts + timeline.offset
        if timeline.last is not None and out <= timeline.last - rate:
            # The same source went back by more than a second: it restarted its clock (cannot
            # happen with one origin's tick count; handled as a new source rather than trusted).
            return place(Timeline(None, 0, timeline.last, timeline.last_at), source, ts, now, rate, step)
    elif timeline.last is None:
        out = ts
    else:
        out = timeline.last + max(step, round((now - timeline.last_at) * rate))
    return Timeline(source, out - ts, out, now), out

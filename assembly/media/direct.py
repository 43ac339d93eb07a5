"""Audio sent straight from the tick: aiortc's per-packet RTP work, without a task per listener.

aiortc gives every RTCRtpSender a task that waits on its track, then packs, encrypts and sends
each packet. With hundreds of listeners, waking those tasks and their per-packet bookkeeping cost
more than the sending itself (bench/README.md, py-spy). For the audio channels the hub replaces a
sender's RTP loop (``send()`` looks ``_run_rtp`` up on the instance) with a sink that the
subscriber's PacketTrack calls synchronously, doing what ``_run_rtp`` does for one packet: the
header with the sender's SSRC, sequence and timestamp origin, the ``mid`` and ``abs-send-time``
extensions, SRTP, one datagram, and the counters its RTCP sender reports. Audio has no NACK
history and no keyframes to care about; video keeps aiortc's own loop.

The private aiortc names this needs are reached only through ``aiortc_compat``, which checks them
(and the pinned aiortc version) at import; tests/media covers the path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RtpPacket
from aiortc.utils import random16, random32

from assembly.media import aiortc_compat


@dataclass(slots=True)
class Wire:
    """One encoded packet as every direct sink sends it: computed once per channel, not per listener."""

    payload: bytes
    timestamp: int  # RTP clock units (48 kHz for Opus): the hub's own timeline
    ntp: int  # when it was sent, NTP format (for abs-send-time and the sender reports)


def install(
    sender: RTCRtpSender, set_sink: Callable[[Callable[[Wire], None] | None], None], stop: Callable[[], None]
) -> None:
    """Make ``sender`` send through a sink instead of its own RTP task."""

    async def run_rtp(codec: Any) -> None:
        out = _Sink(sender, codec)
        set_sink(out.send)
        try:
            await asyncio.get_running_loop().create_future()  # until sender.stop() cancels it
        except asyncio.CancelledError:
            pass
        finally:
            set_sink(None)
            stop()  # as aiortc's loop does: the sender's track ends with it

    aiortc_compat.replace_rtp_loop(sender, run_rtp)


class _Sink:
    __slots__ = ("dtls", "extensions", "mid", "origin", "payload_type", "sender", "seq", "ssrc")

    def __init__(self, sender: RTCRtpSender, codec: Any) -> None:
        self.sender = sender
        self.payload_type = codec.payloadType
        self.seq = random16()
        self.origin = random32()
        self.ssrc, self.mid, self.extensions = aiortc_compat.rtp_header_fields(sender)
        self.dtls = sender.transport

    def send(self, wire: Wire) -> None:
        dtls = self.dtls
        if dtls.state != "connected":
            return
        timestamp = (self.origin + wire.timestamp) & 0xFFFFFFFF
        packet = RtpPacket(payload_type=self.payload_type, sequence_number=self.seq, timestamp=timestamp)
        packet.ssrc = self.ssrc
        packet.payload = wire.payload
        packet.marker = 1
        packet.extensions.abs_send_time = (wire.ntp >> 14) & 0x00FFFFFF
        packet.extensions.mid = self.mid
        if not aiortc_compat.send_rtp_nowait(dtls, packet.serialize(self.extensions)):
            return  # not connected, or it would have waited: dropped rather than stall every listener
        self.seq = (self.seq + 1) & 0xFFFF
        aiortc_compat.record_sent(self.sender, wire.ntp, timestamp, len(wire.payload))

"""Audio sent straight from the tick: aiortc's per-packet RTP work, without a task per listener.

aiortc gives every RTCRtpSender a task that waits on its track, then packs, encrypts and sends
each packet. With hundreds of listeners, waking those tasks and their per-packet bookkeeping cost
more than the sending itself (bench/README.md, py-spy). For the audio channels the hub replaces a
sender's RTP loop (``send()`` looks ``_run_rtp`` up on the instance) with a sink that the
subscriber's PacketTrack calls synchronously, doing what ``_run_rtp`` does for one packet: the
header with the sender's SSRC, sequence and timestamp origin, the ``mid`` and ``abs-send-time``
extensions, SRTP, one datagram, and the counters its RTCP sender reports. Audio has no NACK
history and no keyframes to care about; video keeps aiortc's own loop.

This reads private aiortc attributes, so aiortc is pinned (1.16.x), ``available()`` checks them
once, the hub falls back to the stock loop if they are missing, and tests/media covers the path.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RtpPacket
from aiortc.utils import random16, random32

_M = "_RTCRtpSender__"  # aiortc's name-mangled private attributes
_NEEDED = ("rtp_started", "rtp_exited", "mid", "rtp_header_extensions_map", "ntp_timestamp", "rtp_timestamp")


@dataclass(slots=True)
class Wire:
    """One encoded packet as every direct sink sends it: computed once per channel, not per listener."""

    payload: bytes
    timestamp: int  # RTP clock units (48 kHz for Opus): the hub's own timeline
    ntp: int  # when it was sent, NTP format (for abs-send-time and the sender reports)


def available(sender: RTCRtpSender) -> bool:
    return all(hasattr(sender, _M + name) for name in _NEEDED) and hasattr(sender, "_ssrc")


def install(
    sender: RTCRtpSender, set_sink: Callable[[Callable[[Wire], None] | None], None], stop: Callable[[], None]
) -> bool:
    """Make ``sender`` send through a sink instead of its own RTP task (False: not possible)."""
    if not available(sender):
        return False

    async def run_rtp(codec: Any) -> None:
        getattr(sender, _M + "rtp_started").set()
        out = _Sink(sender, codec)
        set_sink(out.send)
        try:
            await asyncio.get_running_loop().create_future()  # until sender.stop() cancels it
        except asyncio.CancelledError:
            pass
        finally:
            set_sink(None)
            stop()  # as aiortc's loop does: the sender's track ends with it
            getattr(sender, _M + "rtp_exited").set()

    sender._run_rtp = run_rtp  # type: ignore[method-assign]
    return True


class _Sink:
    __slots__ = ("dtls", "extensions", "mid", "origin", "payload_type", "sender", "seq")

    def __init__(self, sender: RTCRtpSender, codec: Any) -> None:
        self.sender = sender
        self.payload_type = codec.payloadType
        self.seq = random16()
        self.origin = random32()
        self.mid = getattr(sender, _M + "mid")
        self.extensions = getattr(sender, _M + "rtp_header_extensions_map")
        self.dtls = sender.transport

    def send(self, wire: Wire) -> None:
        dtls = self.dtls
        if dtls.state != "connected":
            return
        timestamp = (self.origin + wire.timestamp) & 0xFFFFFFFF
        packet = RtpPacket(payload_type=self.payload_type, sequence_number=self.seq, timestamp=timestamp)
        packet.ssrc = self.sender._ssrc
        packet.payload = wire.payload
        packet.marker = 1
        packet.extensions.abs_send_time = (wire.ntp >> 14) & 0x00FFFFFF
        packet.extensions.mid = self.mid
        data = dtls._tx_srtp.protect(packet.serialize(self.extensions))
        send = dtls.transport._connection.sendto(data, 1)  # aioice: ends in transport.sendto, no wait
        try:
            send.send(None)
        except StopIteration:
            pass
        except ConnectionError:
            return
        else:  # it would have waited: drop this packet rather than stall every listener
            with contextlib.suppress(Exception):
                send.close()
            return
        self.seq = (self.seq + 1) & 0xFFFF
        s = self.sender
        setattr(s, _M + "ntp_timestamp", wire.ntp)
        setattr(s, _M + "rtp_timestamp", timestamp)
        setattr(s, _M + "octet_count", getattr(s, _M + "octet_count") + len(wire.payload))
        setattr(s, _M + "packet_count", getattr(s, _M + "packet_count") + 1)

"""Audio sent straight from the tick: aiortc's per-packet RTP work, without a task per listener.

aiortc gives every RTCRtpSender a task that waits on its track, then packs, encrypts and sends
each packet. With hundreds of listeners, waking those tasks and their per-packet bookkeeping cost
more than the sending itself (bench/README.md, py-spy). For the audio channels the hub replaces a
sender's RTP loop (``send()`` looks ``_run_rtp`` up on the instance) with a sink that the
subscriber's PacketTrack calls synchronously, doing what ``_run_rtp`` does for one packet: the
header with the sender's SSRC, sequence and timestamp origin, the ``mid`` and ``abs-send-time``
extensions, SRTP, one datagram, and the counters its RTCP sender reports. Audio has no NACK
history and no keyframes to care about; video keeps aiortc's own loop.

Every listener of a channel gets the same packet but for three header fields (sequence number,
timestamp, SSRC): the extensions (the transceiver's ``mid`` and the packet's send time) and the
payload are the same for every sender whose negotiation gave the same extension ids. So the
serialized packet is built once per packet and such a group (``Wire.template``), and each sender
copies it and writes its own three fields in, instead of building and serializing its own.

The private aiortc names this needs are reached only through ``aiortc_compat``, which checks them
(and the pinned aiortc version) at import; tests/media covers the path.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RtpPacket
from aiortc.utils import random16, random32

from assembly.media import aiortc_compat

_SEQ_TS_SSRC = struct.Struct("!HII")  # bytes 2-11 of an RTP header


@dataclass(slots=True)
class Wire:
    """One encoded packet as every direct sink sends it: computed once per channel, not per listener."""

    payload: bytes
    timestamp: int  # RTP clock units (48 kHz for Opus): the hub's own timeline
    ntp: int  # when it was sent, NTP format (for abs-send-time and the sender reports)
    templates: dict[bytes, bytes] = field(default_factory=dict)  # per header shape: the packet, 0/0/0

    def template(self, shape: bytes, payload_type: int, mid: str | None, extensions: Any) -> bytes:
        """This packet serialized with sequence number, timestamp and SSRC zero, for senders whose
        header is shaped like ``shape`` (see ``_Sink``)."""
        packet = self.templates.get(shape)
        if packet is None:
            rtp = RtpPacket(payload_type=payload_type, marker=1, sequence_number=0, timestamp=0)
            rtp.ssrc, rtp.payload = 0, self.payload
            rtp.extensions.abs_send_time = (self.ntp >> 14) & 0x00FFFFFF
            rtp.extensions.mid = mid
            packet = self.templates[shape] = rtp.serialize(extensions)
        return packet


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
    __slots__ = ("dtls", "extensions", "mid", "origin", "payload_type", "sender", "seq", "shape", "ssrc")

    def __init__(self, sender: RTCRtpSender, codec: Any) -> None:
        self.sender = sender
        self.payload_type = codec.payloadType
        self.seq = random16()
        self.origin = random32()
        self.ssrc, self.mid, self.extensions = aiortc_compat.rtp_header_fields(sender)
        self.dtls = sender.transport
        # The header this sender writes, but for its three own fields: senders alike in it share
        # a Wire's template (same payload type, mid and extension ids).
        probe = RtpPacket(payload_type=self.payload_type, marker=1, sequence_number=0, timestamp=0)
        probe.ssrc, probe.extensions.abs_send_time, probe.extensions.mid = 0, 0, self.mid
        self.shape = probe.serialize(self.extensions)

    def send(self, wire: Wire) -> None:
        dtls = self.dtls
        if dtls.state != "connected":
            return
        timestamp = (self.origin + wire.timestamp) & 0xFFFFFFFF
        packet = bytearray(wire.template(self.shape, self.payload_type, self.mid, self.extensions))
        _SEQ_TS_SSRC.pack_into(packet, 2, self.seq, timestamp, self.ssrc)
        if not aiortc_compat.send_rtp_nowait(dtls, bytes(packet)):
            return  # not connected, or it would have waited: dropped rather than stall every listener
        self.seq = (self.seq + 1) & 0xFFFF
        aiortc_compat.record_sent(self.sender, wire.ntp, timestamp, len(wire.payload))

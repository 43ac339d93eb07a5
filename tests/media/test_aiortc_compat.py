"""The private aiortc/aioice hooks of assembly/media/aiortc_compat.py, each on real aiortc objects:
real peer connections on loopback, so a hook that no longer reaches aiortc fails here."""

from __future__ import annotations

import asyncio
import re
import tomllib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aioice.ice
import aiortc
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RTCP_PSFB_FIR, RTCP_PSFB_PLI, RtcpPsfbPacket, RtpPacket

from assembly.media import aiortc_compat
from assembly.media.aiortc_compat import NEEDS, SUPPORTED, Need, check

pytestmark = pytest.mark.timeout(60)

OPUS_SILENCE = b"\xf8\xff\xfe"  # one 20 ms Opus frame


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """ICE on 127.0.0.1 through the hook itself; aioice's own function is put back afterwards."""
    monkeypatch.setattr(aioice.ice, "get_host_addresses", aioice.ice.get_host_addresses)
    aiortc_compat.restrict_host_addresses(["127.0.0.1"])


@pytest.fixture
async def pcs(loopback: None) -> AsyncIterator[tuple[RTCPeerConnection, RTCPeerConnection]]:
    """The hub's side (it offers) and a participant's side."""
    hub, participant = (RTCPeerConnection(RTCConfiguration(iceServers=[])) for _ in range(2))
    yield hub, participant
    await hub.close()
    await participant.close()


async def connect(hub: RTCPeerConnection, participant: RTCPeerConnection) -> None:
    await hub.setLocalDescription(await hub.createOffer())
    await participant.setRemoteDescription(hub.localDescription)
    await participant.setLocalDescription(await participant.createAnswer())
    await hub.setRemoteDescription(participant.localDescription)
    await until(lambda: hub.connectionState == participant.connectionState == "connected")


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


async def outbound(sender: RTCRtpSender) -> Any:
    return next(s for s in (await sender.getStats()).values() if s.type == "outbound-rtp")


class DirectAudio:
    """A hub audio sender whose RTP loop is replaced, as direct.py does; what the loop saw."""

    def __init__(self, sender: RTCRtpSender) -> None:
        self.sender = sender
        self.codec: Any = None
        self.fields: tuple[int, str | None, Any] | None = None
        self.cancelled = False
        aiortc_compat.replace_rtp_loop(sender, self.run)

    async def run(self, codec: Any) -> None:
        self.codec = codec
        self.fields = aiortc_compat.rtp_header_fields(self.sender)
        try:
            await asyncio.get_running_loop().create_future()
        except asyncio.CancelledError:
            self.cancelled = True

    def packet(self, seq: int) -> bytes:
        assert self.fields is not None
        ssrc, mid, extensions = self.fields
        packet = RtpPacket(payload_type=self.codec.payloadType, sequence_number=seq, timestamp=seq * 960)
        packet.ssrc, packet.payload, packet.marker = ssrc, OPUS_SILENCE, 1
        packet.extensions.mid = mid
        return packet.serialize(extensions)


@pytest.fixture
async def direct_audio(pcs: tuple[RTCPeerConnection, RTCPeerConnection]) -> tuple[DirectAudio, RTCRtpReceiver]:
    """A connected pair: the hub sends audio through a replaced loop, the participant receives it."""
    hub, participant = pcs
    direct = DirectAudio(hub.addTransceiver("audio", direction="sendonly").sender)
    await connect(hub, participant)
    await until(lambda: direct.fields is not None)
    return direct, participant.getTransceivers()[0].receiver


def sources(receiver: RTCRtpReceiver) -> set[int]:
    return {s.source for s in receiver.getSynchronizationSources()}


# the import-time check ---------------------------------------------------------------------------


def test_the_installed_aiortc_passes_the_check_and_the_range_is_the_pin() -> None:
    check(aiortc.__version__)
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert f"aiortc{SUPPORTED}" in project["project"]["dependencies"]


@pytest.mark.parametrize("version", ["1.15.2", "1.17.0", "2.0", "unknown"])
def test_an_unsupported_aiortc_is_a_clear_import_error(version: str) -> None:
    with pytest.raises(
        ImportError, match=re.escape(f"aiortc>=1.16,<1.17 (pinned in pyproject.toml) and found aiortc {version}")
    ):
        check(version)


class Stripped:
    """A sender class as a future aiortc might have it: nothing of what the hooks need."""

    def __init__(self) -> None:
        self.ssrc = 1

    async def send(self) -> None:
        await self.run_rtp()

    async def run_rtp(self) -> None:
        pass

    async def _run_rtp(self) -> None:
        pass


@pytest.mark.parametrize(
    ("need", "said"),
    [
        (Need(Stripped, "_send_keyframe"), "there is no Stripped._send_keyframe"),
        (Need(Stripped, "_ssrc", instance=True), "Stripped.__init__ does not set Stripped._ssrc"),
        (Need(Stripped, "_run_rtp", read_by="send"), "Stripped.send does not look up _run_rtp"),
        (Need(Stripped, "_run_rtp", read_by="_handle_rtcp_packet"), "there is no Stripped._handle_rtcp_packet"),
    ],
)
def test_a_missing_private_name_is_a_clear_import_error(need: Need, said: str) -> None:
    with pytest.raises(ImportError) as raised:
        check(aiortc.__version__, [need])
    assert "aiortc>=1.16,<1.17" in str(raised.value)
    assert said in str(raised.value)
    check(aiortc.__version__, [Need(Stripped, "ssrc", instance=True), Need(Stripped, "run_rtp", read_by="send")])


async def test_every_checked_name_is_on_real_aiortc_objects(pcs: tuple[RTCPeerConnection, RTCPeerConnection]) -> None:
    hub, _ = pcs
    transceiver = hub.addTransceiver("audio")
    dtls = transceiver.sender.transport
    real = {
        RTCRtpSender: transceiver.sender,
        RTCRtpReceiver: transceiver.receiver,
        type(dtls): dtls,
        type(dtls.transport): dtls.transport,
    }
    for need in NEEDS:
        owner = real.get(need.owner, need.owner)
        assert hasattr(owner, need.name), need


# direct.py's hooks -------------------------------------------------------------------------------


async def test_replace_rtp_loop_runs_ours_as_the_senders_rtp_task(
    direct_audio: tuple[DirectAudio, RTCRtpReceiver],
) -> None:
    direct, _ = direct_audio
    assert "_run_rtp" in vars(direct.sender) and callable(RTCRtpSender._run_rtp)  # this sender only
    assert direct.codec.mimeType == "audio/opus"  # send() passed the negotiated codec
    async with asyncio.timeout(5):  # stop() cancels the loop and waits for it to say it exited
        await direct.sender.stop()
    assert direct.cancelled


async def test_rtp_header_fields_are_the_senders_own(
    pcs: tuple[RTCPeerConnection, RTCPeerConnection], direct_audio: tuple[DirectAudio, RTCRtpReceiver]
) -> None:
    hub, _ = pcs
    direct, _ = direct_audio
    assert direct.fields is not None
    ssrc, mid, extensions = direct.fields
    assert ssrc == (await outbound(direct.sender)).ssrc
    assert f"a=ssrc:{ssrc} " in hub.localDescription.sdp
    assert mid is not None and mid == hub.getTransceivers()[0].mid
    # send() configured the map from the negotiation: the mid goes into the header and back out
    assert RtpPacket.parse(direct.packet(1), extensions).extensions.mid == mid


async def test_send_rtp_nowait_reaches_the_remote_receiver(direct_audio: tuple[DirectAudio, RTCRtpReceiver]) -> None:
    direct, receiver = direct_audio
    ssrc = direct.fields[0] if direct.fields else None
    assert aiortc_compat.send_rtp_nowait(direct.sender.transport, direct.packet(1)) is True
    await until(lambda: ssrc in sources(receiver))  # decrypted, routed by SSRC, counted by aiortc
    await direct.sender.transport.transport.stop()  # the ICE connection goes: dropped, not raised
    assert aiortc_compat.send_rtp_nowait(direct.sender.transport, direct.packet(2)) is False


async def test_record_sent_feeds_the_senders_stats(direct_audio: tuple[DirectAudio, RTCRtpReceiver]) -> None:
    direct, _ = direct_audio
    before = await outbound(direct.sender)
    assert (before.packetsSent, before.bytesSent) == (0, 0)
    aiortc_compat.record_sent(direct.sender, ntp=1 << 32, rtp_timestamp=960, octets=3)
    aiortc_compat.record_sent(direct.sender, ntp=2 << 32, rtp_timestamp=1920, octets=3)
    after = await outbound(direct.sender)
    assert (after.packetsSent, after.bytesSent) == (2, 6)


# room.py's hooks ---------------------------------------------------------------------------------


async def test_on_keyframe_request_gets_the_pli_and_fir_aiortc_handles(
    pcs: tuple[RTCPeerConnection, RTCPeerConnection],
) -> None:
    hub, _ = pcs
    sender = hub.addTransceiver("video", direction="sendonly").sender
    asked: list[int] = []
    aiortc_compat.on_keyframe_request(sender, lambda: asked.append(1))
    assert callable(RTCRtpSender._send_keyframe)
    ssrc = (await outbound(sender)).ssrc
    for fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR):
        await sender._handle_rtcp_packet(RtcpPsfbPacket(fmt=fmt, ssrc=1, media_ssrc=ssrc))
    assert asked == [1, 1]


async def test_send_pli_reaches_the_remote_sender(pcs: tuple[RTCPeerConnection, RTCPeerConnection]) -> None:
    hub, participant = pcs
    sender = hub.addTransceiver("video", direction="sendonly").sender
    asked: list[int] = []
    aiortc_compat.on_keyframe_request(sender, lambda: asked.append(1))
    await connect(hub, participant)
    receiver = participant.getTransceivers()[0].receiver
    await aiortc_compat.send_pli(receiver, (await outbound(sender)).ssrc)
    await until(lambda: asked == [1])


async def test_set_receiving_drops_rtp_at_the_door(direct_audio: tuple[DirectAudio, RTCRtpReceiver]) -> None:
    direct, receiver = direct_audio
    ssrc = direct.fields[0] if direct.fields else None
    assert aiortc_compat.is_receiving(receiver) is True
    aiortc_compat.set_receiving(receiver, False)
    assert aiortc_compat.is_receiving(receiver) is False
    for seq in range(5):
        assert aiortc_compat.send_rtp_nowait(direct.sender.transport, direct.packet(seq))
    await asyncio.sleep(0.3)
    assert ssrc not in sources(receiver)  # not even counted: dropped before anything else
    aiortc_compat.set_receiving(receiver, True)
    assert aiortc_compat.send_rtp_nowait(direct.sender.transport, direct.packet(5))
    await until(lambda: ssrc in sources(receiver))


# hub.py's hook -----------------------------------------------------------------------------------


async def test_restrict_host_addresses_is_what_aioice_gathers_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", aioice.ice.get_host_addresses)
    aiortc_compat.restrict_host_addresses(["127.0.0.1", "::1"])
    installed = aioice.ice.get_host_addresses
    assert installed(use_ipv4=True, use_ipv6=False) == ["127.0.0.1"]
    assert installed(use_ipv4=False, use_ipv6=True) == ["::1"]
    aiortc_compat.restrict_host_addresses(["127.0.0.1"])  # installed once; the last call's addresses
    assert aioice.ice.get_host_addresses is installed
    assert installed(use_ipv4=True, use_ipv6=True) == ["127.0.0.1"]
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTransceiver("audio")
        await pc.setLocalDescription(await pc.createOffer())
        candidates = re.findall(r"a=candidate:\S+ \d+ udp \d+ (\S+) \d+ typ (\w+)", pc.localDescription.sdp)
        assert candidates == [("127.0.0.1", "host")]
    finally:
        await pc.close()
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: [])  # something else
    aiortc_compat.restrict_host_addresses(["127.0.0.1"])
    assert aioice.ice.get_host_addresses is installed

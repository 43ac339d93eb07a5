"""The livestream through a real server with real aiortc peers on loopback: tones stand in for
voices, and listeners check by frequency who they hear."""

from __future__ import annotations

import asyncio
import json
import threading

import aioice.ice
import av
import httpx
import numpy as np
import pytest
from aiortc.mediastreams import VideoStreamTrack
from helpers import token_of
from media_client import Listener, MediaClient, ToneTrack

from mayday.app import Settings

pytestmark = pytest.mark.timeout(90)

DEFINITION = {
    "title": "Livestream test",
    "languages": ["en", "fr", "es"],
    "chairs": [{"id": "ama", "name": "Ama"}],
    "delegates": [
        {"id": "ngozi", "name": "Ngozi", "site": "lag", "region": "africa", "language": "en"},
        {"id": "kwame", "name": "Kwame", "site": "acc", "region": "africa", "language": "fr"},
    ],
    "interpreters": [
        {"id": "claire", "name": "Claire", "booth": "fr", "understands": ["en"]},
        {"id": "denis", "name": "Denis", "booth": "fr", "understands": ["en"]},
        {"id": "lucia", "name": "Lucía", "booth": "es", "understands": ["fr"]},
    ],
}
NGOZI, KWAME, CLAIRE, DENIS, LUCIA = 440.0, 330.0, 660.0, 880.0, 550.0


@pytest.fixture(autouse=True)
def loopback_ice(monkeypatch: pytest.MonkeyPatch) -> None:
    """aioice skips 127.0.0.1 when it gathers host candidates; these tests use nothing else."""
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])


@pytest.fixture
async def server(make_app, tmp_path):
    settings = Settings(data_dir=str(tmp_path), secret="s3cret", rest_rate=(1000, 1000))
    return await make_app(settings)


@pytest.fixture
async def assembly(server):
    async with httpx.AsyncClient(base_url=server.base) as http:
        r = await http.post(
            "/api/assemblies", content=json.dumps(DEFINITION), headers={"authorization": f"Bearer {server.admin}"}
        )
    assert r.status_code == 201, r.text
    made = r.json()

    def tok(url: str) -> str:
        return token_of(url)

    tokens = {pid: tok(u) for group in ("chairs", "delegates", "interpreters") for pid, u in made[group].items()}
    tokens["viewer"] = tok(made["viewer"])
    clients: list[MediaClient] = []

    async def client(who: str) -> MediaClient:
        c = MediaClient(f"{server.ws_base}/ws/assembly/{made['id']}", tokens[who])
        await c.open()
        clients.append(c)
        return c

    yield made["id"], client
    for c in clients:
        await c.close()


async def give_floor(chair: MediaClient, person: str) -> None:
    ack = await chair.command({"type": "raise_hand", "person": person})
    assert ack["type"] == "ack", ack
    ack = await chair.command({"type": "grant_floor"})
    assert ack["type"] == "ack", ack


async def test_floor_and_interpretation_channels_reach_listeners(server, assembly):
    aid, client = assembly
    chair = await client("ama")
    ngozi, claire, viewer = await client("ngozi"), await client("claire"), await client("viewer")
    assert (await ngozi.join(ToneTrack(NGOZI)))["type"] == "media_ready"
    assert (await claire.join(ToneTrack(CLAIRE)))["type"] == "media_ready"
    ready = await viewer.join(channel="fr", video=False)
    assert ready == {"type": "media_ready", "id": ready["id"], "channel": "fr", "video": False}
    floor, fr = Listener(viewer.track(0)), Listener(viewer.track(1))
    floor.start()
    fr.start()
    await floor.wait_for(None)  # nobody has the floor yet: silence
    await give_floor(chair, "ngozi")
    await floor.wait_for(NGOZI)
    await fr.wait_for(None)  # the booth is idle
    assert (await claire.command({"type": "take_booth"}))["type"] == "ack"
    await fr.wait_for(CLAIRE)
    await floor.wait_for(NGOZI)
    # The audio went out by the direct path (direct.py), with the sender's counters kept for its
    # RTCP reports, and in 60 ms packets.
    room = server.app.state.media.rooms[aid]
    peer = next(p for p in room.peers.values() if p.person is None)
    assert peer.tracks[0].sink is not None and peer.tracks[1].sink is not None
    stats = await peer.pc.getTransceivers()[0].sender.getStats()
    sent = [s for s in stats.values() if s.type == "outbound-rtp"]
    assert sent and sent[0].packetsSent > 10
    assert {b - a for a, b in zip(floor.pts[-5:], floor.pts[-4:], strict=False)} == {2880}


async def test_the_floor_switches_with_the_speaker_without_renegotiation(server, assembly):
    _, client = assembly
    chair, ngozi, kwame, viewer = (
        await client("ama"),
        await client("ngozi"),
        await client("kwame"),
        await client("viewer"),
    )
    await ngozi.join(ToneTrack(NGOZI))
    await kwame.join(ToneTrack(KWAME))  # speaking before being given the floor: not heard
    await viewer.join()
    offer = viewer.offer
    floor = Listener(viewer.track(0))
    floor.start()
    await floor.wait_for(None)
    await give_floor(chair, "ngozi")
    await floor.wait_for(NGOZI)
    assert (await chair.command({"type": "end_speech"}))["type"] == "ack"
    await give_floor(chair, "kwame")
    await floor.wait_for(KWAME)
    assert viewer.offer is offer  # the same connection, never renegotiated
    assert floor.pts == sorted(floor.pts), "the floor's timeline never went back"


async def test_a_booth_handover_keeps_the_channel_flowing(server, assembly):
    aid, client = assembly
    chair, ngozi = await client("ama"), await client("ngozi")
    claire, denis, viewer = await client("claire"), await client("denis"), await client("viewer")
    await ngozi.join(ToneTrack(NGOZI))
    await claire.join(ToneTrack(CLAIRE))
    await denis.join(ToneTrack(DENIS))  # the partner's voice is not heard until the handover
    await viewer.join(channel="fr", video=False)
    fr = Listener(viewer.track(1))
    fr.start()
    await give_floor(chair, "ngozi")
    assert (await claire.command({"type": "take_booth"}))["type"] == "ack"
    await fr.wait_for(CLAIRE)
    room = server.app.state.media.rooms[aid]
    skipped_before = room.skipped
    fr.reset()
    assert (await claire.command({"type": "hand_over"}))["type"] == "ack"
    await fr.wait_for(DENIS)
    # No cut: the channel's packets kept coming on one timeline through the handover (the mix
    # crossfades the two voices; tests/media/test_mixing.py checks the fade itself). A tick that
    # fell more than MAX_LATE behind (a stalled machine, not the handover) skips ahead by design:
    # those ticks, which the room counts, are allowed as a gap.
    skipped = room.skipped - skipped_before
    steps = [b - a for a, b in zip(fr.pts, fr.pts[1:], strict=False)]
    assert steps and all(0 < step <= 960 * (5 + skipped) for step in steps), (steps, skipped)
    assert (await denis.command({"type": "leave_booth"}))["type"] == "ack"
    await fr.wait_for(None)


async def test_an_interpreter_relays_from_another_booth(server, assembly):
    _, client = assembly
    chair, kwame, claire, lucia = (
        await client("ama"),
        await client("kwame"),
        await client("claire"),
        await client("lucia"),
    )
    await kwame.join(ToneTrack(KWAME))
    await claire.join(ToneTrack(CLAIRE))
    # Lucía (es booth) does not understand the floor's English... here the floor is Kwame's
    # French, but she relays from the fr booth to show the path.
    ready = await lucia.join(ToneTrack(LUCIA), channel="fr")
    assert ready["channel"] == "fr"
    ear = Listener(lucia.track(1))
    ear.start()
    await give_floor(chair, "kwame")
    assert (await claire.command({"type": "take_booth"}))["type"] == "ack"
    await ear.wait_for(CLAIRE)
    own = await lucia.request({"type": "media_select", "channel": "es"}, "media_selected")
    assert own["type"] == "error" and own["code"] == "bad_channel"
    back = await lucia.request({"type": "media_select", "channel": "floor"}, "media_selected")
    assert back["channel"] == "floor"


async def test_only_the_floor_holder_and_active_interpreters_are_heard(server, assembly):
    aid, client = assembly
    chair, ngozi, claire, denis = (
        await client("ama"),
        await client("ngozi"),
        await client("claire"),
        await client("denis"),
    )
    viewer, listener = await client("viewer"), await client("kwame")
    ready = await viewer.join(ToneTrack(1000.0), channel="fr")  # a viewer trying to publish
    assert ready["type"] == "media_ready"
    assert [slot["send"] for slot in viewer.offer["layout"]] == [False, False, False]
    assert "a=sendonly" in viewer.offer["sdp"] and "a=sendrecv" not in viewer.offer["sdp"]
    await ngozi.join(ToneTrack(NGOZI))
    await claire.join(ToneTrack(CLAIRE))
    await denis.join(ToneTrack(DENIS))
    await listener.join(channel="fr", video=False)
    floor, fr = Listener(listener.track(0)), Listener(listener.track(1))
    floor.start()
    fr.start()
    await floor.wait_for(None)  # Ngozi speaks but does not hold the floor
    await fr.wait_for(None)  # Claire and Denis speak but neither has taken the booth
    await give_floor(chair, "ngozi")
    assert (await denis.command({"type": "take_booth"}))["type"] == "ack"
    await floor.wait_for(NGOZI)
    await fr.wait_for(DENIS)
    room = server.app.state.media.rooms[aid]
    assert set(room.publisher) == {"ngozi", "claire", "denis", "kwame"}  # those who may speak; never the viewer
    viewer_peer = viewer_room_peer(room, None)
    assert viewer_peer.receivers == {}
    # Commands and frames a viewer may not send are refused, and change nothing.
    refused = await viewer.command({"type": "take_booth"})
    assert refused["type"] == "error" and refused["code"] == "forbidden"
    chat = await viewer.request({"type": "booth_chat", "text": "hello"}, "booth_chat")
    assert chat["type"] == "error" and chat["code"] == "forbidden"


def viewer_room_peer(room, person):
    return next(p for p in room.peers.values() if p.person == person)


async def test_booth_partners_share_a_back_channel(server, assembly):
    _, client = assembly
    claire, denis, lucia = await client("claire"), await client("denis"), await client("lucia")
    await claire.join()
    await denis.join()
    await lucia.join()
    sent = await claire.request({"type": "booth_chat", "text": "  numbers: 3.5 million  "}, "booth_chat")
    assert sent["from"] == "claire" and sent["text"] == "numbers: 3.5 million" and sent["booth"] == "fr"
    got = await denis.next_frame("booth_chat")
    assert got["text"] == "numbers: 3.5 million"
    assert lucia.frames.empty() and not lucia.unmatched  # another booth hears nothing
    too_long = await denis.request({"type": "booth_chat", "text": "x" * 501}, "booth_chat")
    assert too_long["type"] == "error" and too_long["code"] == "bad_frame"
    # A partner who joins again gets the recent messages.
    await denis.request({"type": "media_leave"}, "media_left")
    await denis.join()
    history = await denis.next_frame("booth_chat")
    assert history["text"] == "numbers: 3.5 million"


async def test_bad_signalling_is_refused_and_changes_nothing(server, assembly):
    aid, client = assembly
    viewer = await client("viewer")
    early = await viewer.request({"type": "media_answer", "sdp": "v=0"}, "media_ready")
    assert early["type"] == "error" and early["code"] == "media_state"
    unknown = await viewer.request({"type": "media_join", "channel": "xx"}, "media_offer")
    assert unknown["type"] == "error" and unknown["code"] == "bad_channel"
    assert aid not in server.app.state.media.rooms or not server.app.state.media.rooms[aid].peers
    offer = await viewer.request({"type": "media_join"}, "media_offer")
    assert offer["type"] == "media_offer"
    wrong = await viewer.request({"type": "media_select", "video": "yes"}, "media_selected")
    assert wrong["type"] == "error" and wrong["code"] == "bad_frame"
    garbage = await viewer.request({"type": "media_answer", "sdp": "v=0\r\nnonsense"}, "media_ready")
    assert garbage["type"] == "error" and garbage["code"] == "bad_sdp"
    await viewer.conn.send(json.dumps({"type": "media_answer", "sdp": "v" * 30_000}))
    huge = await viewer.next_frame("error")  # refused before it is parsed: no id to echo
    assert huge["code"] == "too_large"
    # A command frame stays limited to 8 KiB even though an SDP answer may be larger.
    big = await viewer.request({"type": "command", "command": {"type": "attend", "pad": "x" * 9000}}, "ack")
    assert big["type"] == "error" and big["code"] == "too_large"


class Camera(VideoStreamTrack):
    """A 320x240 test picture whose brightness says who is on camera."""

    def __init__(self, luma: int) -> None:
        super().__init__()
        self.luma = luma

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        planes = np.concatenate([np.full(320 * 240, self.luma, np.uint8), np.full(320 * 120, 128, np.uint8)])
        frame = av.VideoFrame.from_ndarray(planes.reshape(360, 320), format="yuv420p")
        frame.pts, frame.time_base = pts, time_base
        return frame


async def frames_of(track, n: int, timeout: float = 8.0) -> list[av.VideoFrame]:
    out = []
    async with asyncio.timeout(timeout):
        while len(out) < n:
            out.append(await track.recv())
    return out


async def test_the_floor_picture_reaches_late_viewers_and_a_pli_gets_a_keyframe(server, assembly):
    aid, client = assembly
    chair, ngozi, early = await client("ama"), await client("ngozi"), await client("viewer")
    ready = await ngozi.join(Camera(200))
    assert ready["type"] == "media_ready"
    await early.join()
    await give_floor(chair, "ngozi")
    frames = await frames_of(early.track(2), 10)
    assert abs(float(frames[-1].to_ndarray(format="gray").mean()) - 200) < 20  # Ngozi's picture
    room = server.app.state.media.rooms[aid]
    # A viewer who comes late decodes a picture at once: the shared encoder is asked for a
    # keyframe on subscribe (its default keyframe interval is 3000 frames).
    late = await client("viewer")
    await late.join()
    started = asyncio.get_running_loop().time()
    await frames_of(late.track(2), 1, timeout=3)
    assert asyncio.get_running_loop().time() - started < 2.5
    # A receiver's picture-loss indication reaches the shared encoder (aiortc ignores it on its
    # pre-encoded path; the hub hooks the sender), and requests close together are coalesced.
    before = room.video.last_keyframe
    receiver = late.pc.getTransceivers()[2].receiver
    ssrc = receiver.getSynchronizationSources()[0].source
    for _ in range(5):
        await receiver._send_rtcp_pli(ssrc)
    for _ in range(50):
        await asyncio.sleep(0.05)
        if room.video.last_keyframe > before:
            break
    assert room.video.last_keyframe > before
    # Audio only: the viewer turns video off and the channel stops sending it pictures.
    await late.request({"type": "media_select", "video": False}, "media_selected")
    peer = next(p for p in room.peers.values() if p.person is None and not p.video)
    assert peer.tracks[2] not in room.video.subscribers


async def test_a_revoked_delegate_is_cut_off(server, assembly):
    aid, client = assembly
    chair, ngozi, viewer = await client("ama"), await client("ngozi"), await client("viewer")
    await ngozi.join(ToneTrack(NGOZI))
    await viewer.join()
    floor = Listener(viewer.track(0))
    floor.start()
    await give_floor(chair, "ngozi")
    await floor.wait_for(NGOZI)
    assert (await chair.command({"type": "revoke_link", "person": "ngozi"}))["type"] == "ack"
    await floor.wait_for(None)
    room = server.app.state.media.rooms[aid]
    for _ in range(50):
        if "ngozi" not in room.publisher:
            break
        await asyncio.sleep(0.05)
    assert "ngozi" not in room.publisher


async def test_nothing_is_left_behind_when_participants_leave_or_the_server_stops(make_app, tmp_path):
    threads_before = {t.name for t in threading.enumerate()}
    settings = Settings(data_dir=str(tmp_path), secret="s3cret", rest_rate=(1000, 1000))
    server = await make_app(settings)
    async with httpx.AsyncClient(base_url=server.base) as http:
        r = await http.post(
            "/api/assemblies", content=json.dumps(DEFINITION), headers={"authorization": f"Bearer {server.admin}"}
        )
    made = r.json()
    url = f"{server.ws_base}/ws/assembly/{made['id']}"
    hub = server.app.state.media
    speaker = MediaClient(url, token_of(made["delegates"]["ngozi"]))
    viewers = [MediaClient(url, token_of(made["viewer"])) for _ in range(3)]
    for c in (speaker, *viewers):
        await c.open()
    await speaker.join(ToneTrack(NGOZI))
    for v in viewers:
        await v.join()
    # Participants leave: one by media_leave, one by closing its socket.
    await viewers[0].request({"type": "media_leave"}, "media_left")
    await viewers[1].close()
    for _ in range(100):
        if len(hub.rooms[made["id"]].peers) == 2:
            break
        await asyncio.sleep(0.05)
    assert len(hub.rooms[made["id"]].peers) == 2
    # The server stops with a speaker and a viewer still connected.
    await server.stop()
    assert hub.rooms == {}
    for c in (speaker, viewers[0], viewers[2]):
        await c.close()
    await asyncio.sleep(0.2)
    mine = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert not [t.get_name() for t in mine if "mayday" in t.get_name() or "media" in repr(t.get_coro())]
    left = {t.name for t in threading.enumerate()} - threads_before
    assert not [n for n in left if "decoder" in n or "vp8" in n], left

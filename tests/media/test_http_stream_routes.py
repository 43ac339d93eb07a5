"""The livestream over HTTP through a real server, with real aiortc publishers: the floor and a
language channel each come out of their WebM segments with their own tone (identified by
frequency), the index waits for the next segment, the cache headers say who may keep what, and
bad names, unknown channels and link-only assemblies are refused."""

from __future__ import annotations

import asyncio
import io
import json
import xml.etree.ElementTree as ET

import aioice.ice
import av
import httpx
import numpy as np
import pytest
from helpers import token_of
from media_client import MediaClient, ToneTrack, dominant

from mayday.app import Settings

pytestmark = pytest.mark.timeout(120)

NGOZI, CLAIRE = 440.0, 880.0
DEFINITION = {
    "title": "Livestream over HTTP",
    "languages": ["en", "fr"],
    "viewers": "public",
    "chairs": [{"id": "ama", "name": "Ama"}],
    "delegates": [{"id": "ngozi", "name": "Ngozi", "site": "lag", "region": "africa", "language": "en"}],
    "interpreters": [{"id": "claire", "name": "Claire", "booth": "fr", "understands": ["en"]}],
}


@pytest.fixture(autouse=True)
def loopback_ice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])


@pytest.fixture
async def server(make_app, tmp_path):
    return await make_app(Settings(data_dir=str(tmp_path), secret="s3cret", rest_rate=(1000, 1000)))


async def create(server, definition: dict) -> dict:
    async with httpx.AsyncClient(base_url=server.base) as http:
        r = await http.post(
            "/api/assemblies", content=json.dumps(definition), headers={"authorization": f"Bearer {server.admin}"}
        )
    assert r.status_code == 201, r.text
    return r.json()


async def collect(http: httpx.AsyncClient, base: str, segments: int) -> tuple[dict, bytes]:
    """The index, and the channel's audio: its init segment and ``segments`` new parts."""
    index = (await http.get(f"{base}/index.json")).json()
    while index["audio"]["init"] is None:
        index = (await http.get(f"{base}/index.json?after=0")).json()
    data = (await http.get(f"{base}/{index['audio']['init']}")).content
    n = (index["audio"]["segments"][-1]["n"] if index["audio"]["segments"] else 0) + 1
    got = 0
    while got < segments:
        index = (await http.get(f"{base}/index.json?after={n - 1}")).json()
        seg = next((s for s in index["audio"]["segments"] if s["n"] == n), None)
        if seg is None:
            continue
        r = await http.get(f"{base}/{seg['url']}")
        assert r.status_code == 200 and r.headers["content-type"] == "audio/webm"
        data += r.content
        got, n = got + 1, n + 1
    return index, data


def audio_of(data: bytes) -> np.ndarray:
    with av.open(io.BytesIO(data)) as c:
        assert [s.codec_context.name for s in c.streams] == ["opus"]  # copied, not re-encoded
        return np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)]).astype(np.float64)


async def test_each_channel_over_http_carries_its_own_voice(server):
    made = await create(server, DEFINITION)
    aid = made["id"]
    ws = f"{server.ws_base}/ws/assembly/{aid}"
    chair = MediaClient(ws, token_of(made["chairs"]["ama"]))
    ngozi = MediaClient(ws, token_of(made["delegates"]["ngozi"]))
    claire = MediaClient(ws, token_of(made["interpreters"]["claire"]))
    try:
        for c in (chair, ngozi, claire):
            await c.open()
        assert (await ngozi.join(ToneTrack(NGOZI)))["type"] == "media_ready"
        assert (await claire.join(ToneTrack(CLAIRE)))["type"] == "media_ready"
        assert (await chair.command({"type": "raise_hand", "person": "ngozi"}))["type"] == "ack"
        assert (await chair.command({"type": "grant_floor"}))["type"] == "ack"
        assert (await claire.command({"type": "take_booth"}))["type"] == "ack"
        async with httpx.AsyncClient(base_url=server.base, timeout=20) as http:
            listed = (await http.get(f"/api/assemblies/{aid}/stream")).json()
            assert listed == {
                "channels": ["floor", "en", "fr"],
                "mime": {"audio": 'audio/webm; codecs="opus"', "video": 'video/webm; codecs="vp8"'},
            }
            heard = {}
            for channel in ("floor", "fr"):
                base = f"/api/assemblies/{aid}/stream/{channel}"
                index, data = await collect(http, base, 4)
                heard[channel] = dominant(audio_of(data)[-48000:])
                newest = index["audio"]["segments"][-1]["wall_ms"]
                assert (index["target_ms"], index["key_ms"]) == (500, 2000)
                assert abs(index["now_ms"] - newest) < 10_000
            assert abs(heard["floor"][0] - NGOZI) < 15, heard
            assert abs(heard["fr"][0] - CLAIRE) < 15, heard  # the interpreter, the floor ducked under

            # Cache headers: a public assembly's segments are immutable, its index lives a second.
            base = f"/api/assemblies/{aid}/stream/floor"
            index = (await http.get(f"{base}/index.json")).json()
            seg = index["video"]["segments"][-1]  # the floor's picture, one for every channel
            assert (
                index["video"]["generation"]
                == (await http.get(f"/api/assemblies/{aid}/stream/fr/index.json")).json()["video"]["generation"]
            )
            assert (await http.get(f"{base}/{seg['url']}")).headers["cache-control"] == (
                "public, max-age=31536000, immutable"
            )
            assert (await http.get(f"{base}/index.json")).headers["cache-control"] == "public, max-age=1"
            # Refusals: names that are not segments, another generation, a channel that is not there.
            for name, status in (
                ("nonsense.webm", 404),
                (f"{index['video']['generation']}-999999.webm", 404),
                ("00000000-1.webm", 410),
                ("..%2F..%2Fetc.webm", 404),
            ):
                r = await http.get(f"{base}/{name}")
                assert r.status_code == status, (name, r.status_code)
                assert r.json()["error"]["code"]
            assert (await http.get(f"/api/assemblies/{aid}/stream/de/index.json")).status_code == 404
            assert (await http.get(f"{base}/index.json?after=x")).status_code == 400
            assert (await http.get("/api/assemblies/nosuch/stream/floor/index.json")).status_code == 404
    finally:
        for c in (chair, ngozi, claire):
            await c.close()


async def test_the_stream_as_a_dash_manifest_resolves_to_the_same_segments(server):
    """live.mpd describes the same segments for any DASH player. Resolved as a DASH client does
    (ISO/IEC 23009-1 SegmentTemplate: segment i of a SegmentTimeline is number startNumber + i,
    starting at its S@t), every URL names the segment that starts at that time, and the init
    segment with the audio segments decodes to the channel's voice. (PyAV's FFmpeg is built
    without the DASH demuxer, so no independent player is run here.)"""
    made = await create(server, DEFINITION)
    aid = made["id"]
    ws = f"{server.ws_base}/ws/assembly/{aid}"
    chair = MediaClient(ws, token_of(made["chairs"]["ama"]))
    claire = MediaClient(ws, token_of(made["interpreters"]["claire"]))
    try:
        for c in (chair, claire):
            await c.open()
        assert (await claire.join(ToneTrack(CLAIRE)))["type"] == "media_ready"
        assert (await claire.command({"type": "take_booth"}))["type"] == "ack"
        base = f"/api/assemblies/{aid}/stream/fr"
        async with httpx.AsyncClient(base_url=server.base, timeout=20) as http:
            for _ in range(100):  # until a keyframe's video segment and a few audio parts exist
                r = await http.get(f"{base}/live.mpd")
                if r.text.count("<S ") >= 6 and 'contentType="video"' in r.text:
                    break
                await asyncio.sleep(0.2)
            assert r.headers["content-type"].startswith("application/dash+xml")
            assert r.headers["cache-control"] == "public, max-age=1"
            ns = {"d": "urn:mpeg:dash:schema:mpd:2011"}
            root = ET.fromstring(r.text)
            assert root.get("type") == "dynamic" and root.get("availabilityStartTime", "").endswith("Z")
            sets = root.findall(".//d:AdaptationSet", ns)
            assert [a.get("contentType") for a in sets] == ["audio", "video"] and sets[0].get("lang") == "fr"
            index = (await http.get(f"{base}/index.json")).json()
            audio = b""
            for adaptation in sets:
                kind = adaptation.get("contentType")
                template = adaptation.find(".//d:SegmentTemplate", ns)
                assert template.get("timescale") == "1000"
                init = await http.get(f"{base}/{template.get('initialization')}")
                assert init.status_code == 200
                times = {s["n"]: s["media_ms"] for s in index[kind]["segments"]}
                number = int(template.get("startNumber"))
                data = init.content
                for i, seg in enumerate(template.findall(".//d:S", ns)):
                    n = number + i
                    url = template.get("media").replace("$Number$", str(n))
                    got = await http.get(f"{base}/{url}")
                    assert got.status_code == 200, url
                    if n in times:
                        assert int(seg.get("t")) == times[n]  # the time the index gives that segment
                    data += got.content
                if kind == "audio":
                    audio = data
            freq, rms = dominant(audio_of_track(audio)[-24000:])
            assert abs(freq - CLAIRE) < 15 and rms > 0.01, (freq, rms)  # float samples: full scale is 1
    finally:
        for c in (chair, claire):
            await c.close()


def audio_of_track(data: bytes) -> np.ndarray:
    with av.open(io.BytesIO(data)) as c:
        return np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)]).astype(np.float64)


async def test_a_link_only_assemblys_stream_needs_the_link_and_is_private(server):
    made = await create(server, DEFINITION | {"viewers": "link"})
    aid, viewer = made["id"], token_of(made["viewer"])
    async with httpx.AsyncClient(base_url=server.base, timeout=20) as http:
        assert (await http.get(f"/api/assemblies/{aid}/stream/floor/index.json")).status_code == 401
        auth = {"authorization": f"Bearer {viewer}"}
        r = await http.get(f"/api/assemblies/{aid}/stream/floor/index.json", headers=auth)
        assert r.status_code == 200 and r.headers["cache-control"] == "private, max-age=1"
        # With nobody publishing, the floor's picture is a slate: segments still come.
        for _ in range(40):
            index = (await http.get(f"/api/assemblies/{aid}/stream/floor/index.json?after=0", headers=auth)).json()
            if index["video"]["segments"]:
                break
            await asyncio.sleep(0.1)
        seg = index["video"]["segments"][0]
        r = await http.get(f"/api/assemblies/{aid}/stream/floor/{seg['url']}", headers=auth)
        assert r.status_code == 200 and r.headers["cache-control"].startswith("private,")
        assert (await http.get(f"/api/assemblies/{aid}/stream/floor/{seg['url']}")).status_code == 401

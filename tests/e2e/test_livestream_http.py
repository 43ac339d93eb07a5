"""The livestream over plain HTTP in Chromium (issue 13 §2): aiortc publishers speak with known
tones (the floor 440 Hz, the French booth 880 Hz) into a real server; a viewer's watch page plays
the French channel over HTTP with the self-hosted player (Media Source Extensions): the video
element plays, its currentTime advances, the latency shown is under 6 s, and the tone heard is the
interpreter's, then the floor's after switching channel. In a room that is full (one WebRTC peer
allowed), the page falls back to HTTP by itself. Screenshots: tests/e2e/artifacts/watch-http-*.png.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import token_of
from media_client import MediaClient, ToneTrack
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CHROMIUM_EXTRA_ARGS = ["--autoplay-policy=no-user-gesture-required"]
PHONE = (390, 844)
NGOZI, CLAIRE = 440.0, 880.0
DEFINITION = {
    "title": "Rally screen",
    "languages": ["en", "fr"],
    "viewers": "public",
    "chairs": [{"id": "ama", "name": "Ama"}],
    "delegates": [{"id": "ngozi", "name": "Ngozi", "site": "lag", "region": "africa", "language": "en"}],
    "interpreters": [{"id": "claire", "name": "Claire", "booth": "fr", "understands": ["en"]}],
}
# The strongest frequency the page hears from the HTTP player's <video> (Web Audio, 1 s).
DOMINANT = """async () => {
  const video = document.getElementById("http-video");
  if (!window.__tap) {
    const ctx = new AudioContext();
    const source = ctx.createMediaElementSource(video);
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 8192;
    source.connect(analyser);
    analyser.connect(ctx.destination);
    window.__tap = { ctx, analyser };
  }
  const { ctx, analyser } = window.__tap;
  await ctx.resume();
  const bins = new Float32Array(analyser.frequencyBinCount);
  const sums = new Float32Array(analyser.frequencyBinCount);
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 100));
    analyser.getFloatFrequencyData(bins);
    for (let j = 0; j < bins.length; j++) sums[j] += Math.pow(10, bins[j] / 20);
  }
  let best = 1;
  for (let j = 2; j < sums.length; j++) if (sums[j] > sums[best]) best = j;
  return best * ctx.sampleRate / analyser.fftSize;
}"""


STATE = """(() => {
  const v = document.getElementById("http-video");
  const ranges = [];
  for (let i = 0; i < v.buffered.length; i++) ranges.push([v.buffered.start(i), v.buffered.end(i)]);
  return { status: document.getElementById("http-status").textContent, ranges, paused: v.paused,
           ready: v.readyState, error: v.error && v.error.message, seeking: v.seeking,
           audio: v.webkitAudioDecodedByteCount, video: v.webkitVideoDecodedByteCount,
           frames: v.getVideoPlaybackQuality().totalVideoFrames, t: v.currentTime };
})()"""


class Publishers:
    """aiortc peers in a thread of their own (the page's test is synchronous): a chair, the floor's
    speaker and a live interpreter, each sending its tone."""

    def __init__(self, ws: str, made: dict[str, Any]) -> None:
        self.ws, self.made = ws, made
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.clients: list[MediaClient] = []

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    async def _start(self) -> None:
        token = lambda group, who: token_of(self.made[group][who])  # noqa: E731
        chair = MediaClient(self.ws, token("chairs", "ama"))
        ngozi = MediaClient(self.ws, token("delegates", "ngozi"))
        claire = MediaClient(self.ws, token("interpreters", "claire"))
        self.clients = [chair, ngozi, claire]
        for c in self.clients:
            await c.open()
        assert (await ngozi.join(ToneTrack(NGOZI)))["type"] == "media_ready"
        assert (await claire.join(ToneTrack(CLAIRE)))["type"] == "media_ready"
        assert (await chair.command({"type": "raise_hand", "person": "ngozi"}))["type"] == "ack"
        assert (await chair.command({"type": "grant_floor"}))["type"] == "ack"
        assert (await claire.command({"type": "take_booth"}))["type"] == "ack"

    def start(self) -> None:
        self.run(self._start())

    def close(self) -> None:
        async def close_all() -> None:
            for c in self.clients:
                await c.close()

        self.run(close_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def loopback_ice() -> Iterator[None]:
    import aioice.ice

    saved = aioice.ice.get_host_addresses
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
    yield
    aioice.ice.get_host_addresses = saved


def playing(page: Any) -> float:
    """Wait until the HTTP player's video plays and its time moves on; its currentTime."""
    page.wait_for_function(
        "() => { const v = document.getElementById('http-video'); return v && !v.paused && v.currentTime > 0.5; }",
        timeout=30_000,
    )
    first = page.evaluate("document.getElementById('http-video').currentTime")
    page.wait_for_timeout(1500)
    later = page.evaluate("document.getElementById('http-video').currentTime")
    assert later > first + 0.8, (first, later, str(page.evaluate(STATE)))
    return later


def test_the_watch_page_plays_a_channel_over_http_with_its_own_voice(
    own_server, open_page, page_log, screenshot, loopback_ice
):
    made = own_server.create("/api/assemblies", DEFINITION)
    publishers = Publishers(f"ws://{own_server.base.split('://')[1]}/ws/assembly/{made['id']}", made)
    try:
        publishers.start()
        page = open_page(f"{own_server.base}/assembly/{made['id']}/watch", *PHONE)
        expect(page.get_by_test_id("http-start")).to_be_visible(timeout=15_000)
        page.get_by_test_id("http-channel").select_option("fr")
        page.get_by_test_id("http-start").click()
        playing(page)
        expect(page.get_by_test_id("http-latency")).to_contain_text("behind live", timeout=10_000)
        behind = int(page.get_by_test_id("http-latency").get_attribute("data-ms"))
        assert 0 <= behind < 6000, behind  # the goal: under 6 s behind the WebRTC floor
        heard = page.evaluate(DOMINANT)
        assert abs(heard - CLAIRE) < 15, (heard, str(page.evaluate(STATE)))  # the French booth, the floor ducked
        screenshot(page, "watch-http-fr.png")
        page.get_by_test_id("http-channel").select_option("floor")
        playing(page)
        page.wait_for_timeout(1000)
        heard = page.evaluate(DOMINANT)
        assert abs(heard - NGOZI) < 15, (heard, str(page.evaluate(STATE)))
        # In Kiswahili the card speaks Kiswahili.
        page.evaluate("localStorage.setItem('mayday.lang', 'sw')")
        page.reload()
        expect(page.get_by_test_id("http-start")).to_have_text("Tazama kupitia HTTP", timeout=15_000)
        screenshot(page, "watch-http-sw.png")
    finally:
        publishers.close()
    errors = [e for e in page_log.errors if "AbortError" not in e]  # a reload interrupts play()
    assert errors == [], errors
    assert page_log.csp_violations() == []


@pytest.fixture
def two_peers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server started after this takes two WebRTC peers per assembly (the two publishers)."""
    monkeypatch.setenv("MAYDAY_MEDIA_MAX_PEERS", "2")


def test_a_full_room_falls_back_to_http_by_itself(two_peers, own_server, open_page, page_log, screenshot, loopback_ice):
    """The server takes two WebRTC peers (the publishers): the viewer's join is refused as full,
    and the page plays over HTTP at once (waiting would not make room) and says why."""
    made = own_server.create("/api/assemblies", DEFINITION)
    publishers = Publishers(f"ws://{own_server.base.split('://')[1]}/ws/assembly/{made['id']}", made)
    try:
        publishers.start()
        page = open_page(f"{own_server.base}/assembly/{made['id']}/watch", *PHONE)
        page.get_by_test_id("media-join").click()
        clicked = time.monotonic()
        expect(page.get_by_test_id("http-stream")).to_have_attribute("data-state", "fallback", timeout=40_000)
        assert time.monotonic() - clicked < 8, "a full room's viewer waited for the trouble delay"
        playing(page)
        expect(page.get_by_test_id("http-why")).to_contain_text("could not be made")
        screenshot(page, "watch-http-fallback.png")
    finally:
        publishers.close()
    assert page_log.csp_violations() == []

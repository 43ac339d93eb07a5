"""The livestream in real browsers against a real server: a delegate and a viewer join the stream,
the chair gives the delegate the floor and the viewer hears them (bytes arrive and the fake
microphone's tone is above silence on the floor feed); the speaker does not hear themself; an
interpreter takes the French booth, the viewer switches to the French channel and hears the
interpreter with the floor ducked; the speaker's camera reaches the viewer until they turn video
off; the booth back-channel carries a message; the chair puts another interpreter live; the end
of the speech turns the delegate's microphone off. No page breaks the CSP or logs an error.

Chromium runs with a fake microphone and camera (a tone and a test pattern), permission granted
without a prompt and autoplay allowed."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import token_of
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CHROMIUM_EXTRA_ARGS = [  # for the shared browser fixture: a fake microphone and camera
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--allow-loopback-in-peer-connection",
]
LIVE = 15_000  # ms: a page connects within this
CONNECTED = 20_000  # ms: the stream connects (ICE, DTLS) within this
SILENCE = 0.005  # RMS: the fake microphone's tone is far above this

DEFINITION = {
    "title": "Livestream assembly",
    "languages": ["en", "fr"],
    "viewers": "public",
    "chairs": [{"id": "ama", "name": "Ama", "language": "en"}],
    "delegates": [{"id": "ngozi", "name": "Ngozi", "site": "lag", "region": "africa", "language": "en"}],
    "interpreters": [
        {"id": "claire", "name": "Claire", "booth": "fr", "understands": ["en"]},
        {"id": "marc", "name": "Marc", "booth": "fr", "understands": ["en"]},
    ],
}


def chair_command(server: Any, asm: dict[str, Any], command: dict[str, Any]) -> None:
    token = token_of(asm["chairs"]["ama"])
    with server.api() as client:
        r = client.post(
            f"/api/assemblies/{asm['id']}/commands", json=command, headers={"authorization": f"Bearer {token}"}
        )
    assert r.status_code == 200, r.text


def live(page: Any) -> None:
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live", timeout=LIVE)


def join(page: Any) -> None:
    page.get_by_test_id("media-join").click()


def connected(page: Any) -> None:
    expect(page.get_by_test_id("media")).to_have_attribute("data-state", "connected", timeout=CONNECTED)


def peak(page: Any, feed: str, ms: int = 2500) -> float:
    """The loudest RMS of a received feed ("floor" or "channel") over `ms` (the fake microphone
    beeps, so one instant may fall between beeps)."""
    return page.evaluate(
        """async ([feed, ms]) => {
            let best = 0;
            const end = performance.now() + ms;
            while (performance.now() < end) {
                best = Math.max(best, window.maydayMedia.levels()[feed]);
                await new Promise((r) => setTimeout(r, 40));
            }
            return best;
        }""",
        [feed, ms],
    )


def inbound_audio_bytes(page: Any, mid: str) -> int:
    """bytesReceived of the inbound audio RTP stream of one transceiver (0: floor, 1: channel)."""
    return page.evaluate(
        """async (mid) => {
            const pc = window.maydayMedia.pc;
            if (!pc) return 0;
            const tr = pc.getTransceivers()[Number(mid)];
            const stats = await tr.receiver.getStats();
            let bytes = 0;
            stats.forEach((s) => {
                if (s.type === "inbound-rtp" && s.kind === "audio") bytes += s.bytesReceived || 0;
            });
            return bytes;
        }""",
        mid,
    )


def rising(page: Any, mid: str, tries: int = 20) -> tuple[int, int]:
    first = inbound_audio_bytes(page, mid)
    last = first
    for _ in range(tries):
        page.wait_for_timeout(250)
        last = inbound_audio_bytes(page, mid)
        if last > first + 1000:
            break
    return first, last


def test_livestream(mayday_server, open_page, page_log, screenshot) -> None:
    asm = mayday_server.create("/api/assemblies", DEFINITION)
    ngozi = open_page(asm["delegates"]["ngozi"], 360, 800)
    viewer = open_page(asm["watch"], 360, 800)
    pages = [ngozi, viewer]
    try:
        for page in pages:
            live(page)
        # Nobody has joined yet: the card offers to, and says so.
        expect(viewer.get_by_test_id("media")).to_be_visible()
        expect(viewer.get_by_test_id("media-state")).to_have_text("Not connected")
        for page in pages:
            join(page)
        for page in pages:
            connected(page)
        # the viewer follows their own language (en): no English interpreter, so the floor plays full
        expect(viewer.get_by_test_id("media-channel")).to_have_value("en")
        expect(viewer.get_by_test_id("media")).to_have_attribute("data-hearing", "idle")
        expect(ngozi.get_by_test_id("mic-box")).to_be_hidden()
        expect(viewer.get_by_test_id("media-video-box")).to_be_hidden()  # no camera: no black box
        ngozi.get_by_test_id("media-camera").check()  # her camera goes out with her voice

        # The floor: the chair grants it; the delegate's microphone goes on air into slot 0.
        chair_command(mayday_server, asm, {"type": "raise_hand", "person": "ngozi"})
        chair_command(mayday_server, asm, {"type": "grant_floor"})
        expect(ngozi.get_by_test_id("media-onair")).to_have_attribute("data-state", "on", timeout=10_000)
        expect(ngozi.get_by_test_id("media")).to_have_attribute("data-hearing", "speaking")
        ngozi.wait_for_function(  # her microphone on slot 0, her camera on slot 2
            "() => window.maydayMedia.pc.getTransceivers().map((t) => t.sender.track?.kind ?? '-').join() === 'audio,-,video'",
            timeout=10_000,
        )

        # The viewer hears it: floor audio bytes keep arriving, and the tone is above silence.
        first, last = rising(viewer, "0")
        assert last > first + 1000, (first, last)
        level = peak(viewer, "floor")
        assert level > SILENCE, level
        # the speaker's own voice does not come back to them: their floor gain is zero
        assert ngozi.evaluate("window.maydayMedia.mix().floor") == 0
        # her camera's picture reaches the viewer; "video off" stops it (audio only, less data)
        expect(viewer.get_by_test_id("media-video-box")).to_be_visible(timeout=10_000)
        assert viewer.evaluate("document.getElementById('media-video').videoWidth") > 0
        viewer.get_by_test_id("media-video-on").uncheck()
        expect(viewer.get_by_test_id("media-video-box")).to_be_hidden()

        # Interpretation: Claire joins her booth console and takes the French booth.
        claire = open_page(asm["interpreters"]["claire"], 1280, 900)
        pages.append(claire)
        live(claire)
        expect(claire.get_by_test_id("booth-live")).to_contain_text("idle")
        join(claire)
        connected(claire)
        expect(claire.get_by_test_id("media-onair")).to_have_attribute("data-state", "standby", timeout=10_000)
        claire.get_by_test_id("take-booth").click()
        expect(claire.get_by_test_id("booth-card")).to_have_attribute("data-live", "me")
        expect(claire.get_by_test_id("media-onair")).to_have_attribute("data-state", "on")
        expect(claire.get_by_test_id("hand-over")).to_be_visible()  # Marc is her partner

        # The viewer picks French: the interpreter over the floor, ducked to the slider's 25 %.
        viewer.get_by_test_id("media-channel").select_option("fr")
        expect(viewer.get_by_test_id("media")).to_have_attribute("data-hearing", "ducked")
        expect(viewer.get_by_test_id("media-hearing")).to_contain_text("25%")
        mix = viewer.evaluate("window.maydayMedia.mix()")
        assert mix["floor"] == 0.25 and mix["channel"] == 1, mix
        first, last = rising(viewer, "1")
        assert last > first + 1000, (first, last)
        level = peak(viewer, "channel")
        assert level > SILENCE, level
        # the slider moves the floor under the interpretation
        viewer.get_by_test_id("media-duck").fill("50")
        expect(viewer.get_by_test_id("media-hearing")).to_contain_text("50%")
        assert viewer.evaluate("window.maydayMedia.mix().floor") == 0.5

        # The booth back-channel: Claire writes, and sees it come back.
        claire.get_by_test_id("chat-text").fill("Next speaker reads fast, take it from 10:30")
        claire.get_by_test_id("chat-send").click()
        expect(claire.get_by_test_id("chat-list").locator("li")).to_have_count(1)
        expect(claire.get_by_test_id("chat-list")).to_contain_text("take it from 10:30")
        expect(claire.get_by_test_id("chat-text")).to_have_value("")

        # The chair puts Marc live in the French booth: Claire's console follows, off air.
        chair = open_page(asm["chairs"]["ama"], 1280, 900)
        pages.append(chair)
        live(chair)
        expect(chair.get_by_test_id("booth-set-fr")).to_have_value("claire")
        chair.get_by_test_id("booth-set-fr").select_option("marc")
        expect(claire.get_by_test_id("booth-live")).to_contain_text("Marc is live")
        expect(claire.get_by_test_id("media-onair")).to_have_attribute("data-state", "standby")
        expect(claire.get_by_test_id("take-booth")).to_be_hidden()

        # The floor ends: the delegate's microphone goes off and its slot sends nothing.
        chair_command(mayday_server, asm, {"type": "end_speech"})
        expect(ngozi.get_by_test_id("mic-box")).to_be_hidden()
        assert ngozi.evaluate("window.maydayMedia.pc.getTransceivers()[0].sender.track") is None
        expect(ngozi.get_by_test_id("media")).not_to_have_attribute("data-hearing", "speaking")

        # Leaving the stream is one click too.
        viewer.get_by_test_id("media-leave").click()
        expect(viewer.get_by_test_id("media")).to_have_attribute("data-state", "idle")
        expect(viewer.get_by_test_id("media-join")).to_be_visible()

        assert page_log.csp_violations() == []
        assert page_log.errors == [], page_log.errors
    except BaseException:
        for i, page in enumerate(pages):
            if not page.is_closed():
                screenshot(page, f"livestream-failure-{i}.png")
        print("server output:\n" + "\n".join(mayday_server.output[-40:]))
        raise

"""The pure parts of the livestream: mixing and crossfades, source buffering, bounded subscriber
tracks, and the interpretation routing decided from the assembly's state."""

from __future__ import annotations

import asyncio
import datetime as dt
import fractions

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError

from assembly import core, interpretation
from assembly.definition import parse_assembly
from assembly.interpretation import FLOOR
from assembly.media.mixer import CHUNK, Mixer
from assembly.media.sources import AUDIO_LAG, AudioSource
from assembly.media.tracks import AUDIO_QUEUE, VIDEO_QUEUE, PacketTrack
from assembly.state import evolve
from mayday.events import unpack

T0 = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)
DEFINITION = {
    "title": "Routing",
    "languages": ["en", "fr", "es"],
    "chairs": [{"id": "ama", "name": "Ama"}],
    "delegates": [{"id": "ngozi", "name": "Ngozi", "language": "en"}, {"id": "kwame", "name": "Kwame"}],
    "interpreters": [
        {"id": "claire", "name": "Claire", "booth": "fr", "understands": ["en"]},
        {"id": "denis", "name": "Denis", "booth": "fr", "understands": ["en"]},
        {"id": "lucia", "name": "Lucía", "booth": "es", "understands": ["fr"]},
    ],
}


def tone(freq: float, n: int = 0, amp: float = 10000) -> np.ndarray:
    t = (np.arange(CHUNK) + n * CHUNK) / 48000
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


# mixing ------------------------------------------------------------------------------------


def test_a_new_source_fades_in_and_the_old_one_out():
    mixer = Mixer(ramp=4)
    mixer.set_targets({"a": 1.0})
    chunks = {"a": tone(440), "b": tone(660)}
    levels_a = [rms(mixer.mix(chunks)) for _ in range(6)]
    assert levels_a[0] < levels_a[1] < levels_a[2] < levels_a[3]  # a ramp, not a click
    assert levels_a[4] == pytest.approx(rms(tone(440)), rel=0.01)
    mixer.set_targets({"b": 1.0})
    out = [mixer.mix(chunks) for _ in range(4)]
    # During the crossfade both are in the mix; afterwards only b.
    spectrum = np.abs(np.fft.rfft(out[1].astype(np.float64)))
    freqs = np.fft.rfftfreq(CHUNK, 1 / 48000)
    strong = freqs[spectrum > spectrum.max() / 4]
    assert any(abs(f - 440) < 30 for f in strong) and any(abs(f - 660) < 30 for f in strong)
    after = mixer.mix(chunks)
    assert np.array_equal(after, tone(660))
    assert set(mixer.gains) == {"b"}  # a, faded out, is forgotten


def test_no_source_is_silence_and_the_sum_is_clipped_not_wrapped():
    mixer = Mixer(ramp=1)
    assert not mixer.mix({}).any()
    mixer.set_targets({"a": 1.0, "b": 1.0})
    loud = np.full(CHUNK, 30000, np.int16)
    mixer.mix({"a": loud, "b": loud})  # the one-chunk fade in
    out = mixer.mix({"a": loud, "b": loud})
    assert out.dtype == np.int16 and out.min() == 32767
    assert not mixer.mix({}).any()  # an underrun of every source is silence, not an error


# sources -----------------------------------------------------------------------------------


def frame_of(samples: np.ndarray, pts: int) -> av.AudioFrame:
    f = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
    f.sample_rate, f.pts, f.time_base = 48000, pts, fractions.Fraction(1, 48000)
    return f


def test_a_source_rechunks_primes_and_bounds_its_latency():
    source = AudioSource()
    # Odd-sized frames (441 samples, as a 44.1 kHz-ish sender might produce) come out as 960.
    for i in range(5):
        source.feed(frame_of(tone(440)[:441], i * 441))
    assert source.take() is not None  # 2205 samples: two whole chunks, primed
    assert len(source.chunks) == 1 and len(source.chunks[0]) == CHUNK
    assert source.take() is not None
    assert source.take() is None and source.underruns == 1  # dry: waits to re-prime
    source.feed(frame_of(tone(440), 0))
    assert source.take() is None  # one chunk is not enough after running dry
    for i in range(8):
        source.feed(frame_of(tone(440), i))
    source.take()
    assert len(source.chunks) == AUDIO_LAG - 1  # a backlog is cut to bound latency


# subscriber tracks -------------------------------------------------------------------------


class FakePacket:
    def __init__(self, n: int, key: bool = False) -> None:
        self.n, self.is_keyframe = n, key


async def test_an_audio_track_drops_its_oldest_packets_when_its_listener_is_slow():
    track = PacketTrack("audio")
    for n in range(AUDIO_QUEUE + 5):
        track.push(FakePacket(n))
    assert track.dropped == 5 and len(track.queue) == AUDIO_QUEUE
    assert (await track.recv()).n == 5


async def test_a_video_track_starts_on_a_keyframe_and_restarts_on_one_after_overflow():
    asked = []
    track = PacketTrack("video")
    track.request_keyframe = lambda: asked.append(1)
    track.push(FakePacket(0))
    assert not track.queue  # a delta frame before any keyframe is useless to a decoder
    track.push(FakePacket(1, key=True))
    for n in range(2, VIDEO_QUEUE + 1):
        track.push(FakePacket(n))
    assert len(track.queue) == VIDEO_QUEUE
    track.push(FakePacket(99))  # overflow: everything queued goes, and a keyframe is asked for
    assert not track.queue and asked == [1] and track.waiting_for_keyframe
    track.push(FakePacket(100))
    assert not track.queue
    track.push(FakePacket(101, key=True))
    assert (await track.recv()).n == 101


async def test_a_stopped_track_ends_its_sender_and_unregisters():
    stopped = []
    track = PacketTrack("audio", on_stop=stopped.append)
    waiting = asyncio.create_task(track.recv())
    await asyncio.sleep(0)
    track.stop()
    with pytest.raises(MediaStreamError):
        await waiting
    assert stopped == [track]
    track.push(FakePacket(1))
    assert not track.queue


# routing -----------------------------------------------------------------------------------


class Assembly:
    def __init__(self) -> None:
        self.state = core.AssemblyState()
        self(core.CreateAssembly("a1", parse_assembly(DEFINITION)))

    def __call__(self, command) -> None:
        for e in unpack(core.decide(self.state, command, T0)).events:
            self.state = evolve(self.state, e.type, e.data)


def test_the_floor_holder_feeds_the_floor_and_the_active_interpreter_their_channel():
    a = Assembly()
    r = interpretation.routing(a.state)
    assert r.channels() == (FLOOR, "en", "fr", "es")
    assert r.sources_of(FLOOR) == {} and r.sources_of("fr") == {}
    a(core.RaiseHand("ngozi"))
    a(core.GrantFloor())
    a(core.TakeBooth("claire"))
    r = interpretation.routing(a.state)
    assert r.sources_of(FLOOR) == {"ngozi": 1.0}
    assert r.sources_of("fr") == {"claire": 1.0} and r.sources_of("es") == {}
    # What is decoded: the floor's audio and video; every interpreter's voice (so a handover
    # crossfades to a partner already flowing); nobody else's.
    assert r.decoded("ngozi", "audio") and r.decoded("ngozi", "video")
    assert r.decoded("denis", "audio") and not r.decoded("denis", "video")
    assert not r.decoded("kwame", "audio") and not r.decoded("ama", "audio")
    a(core.HandOver("claire"))
    assert interpretation.routing(a.state).sources_of("fr") == {"denis": 1.0}


def test_a_listener_picks_a_language_and_an_interpreter_may_not_pick_their_own_booth():
    state = Assembly().state
    assert interpretation.choose_channel(state, None, "viewer", "fr") == "fr"
    assert interpretation.choose_channel(state, None, "viewer", FLOOR) is None
    assert interpretation.choose_channel(state, "lucia", "interpreter", "fr") == "fr"  # relay
    with pytest.raises(ValueError, match="own booth"):
        interpretation.choose_channel(state, "lucia", "interpreter", "es")
    with pytest.raises(ValueError, match="languages"):
        interpretation.choose_channel(state, None, "viewer", "de")
    assert interpretation.booth_partners(state, "claire") == {"claire", "denis"}
    assert interpretation.booth_partners(state, "ngozi") == frozenset()


def test_only_delegates_and_interpreters_have_anything_to_send():
    assert interpretation.SENDS["viewer"] == (False, False, False)
    assert interpretation.SENDS["chair"] == (False, False, False)
    assert interpretation.SENDS["delegate"] == (True, False, True)  # floor voice and camera
    assert interpretation.SENDS["interpreter"] == (False, True, False)  # into the booth's channel

"""assembly/media/httpstream.py: the channels' own encoded packets muxed into WebM segments with no
re-encoding, one track per stream on a shared timeline; video parts marked key start on a
keyframe and play on their own after the init segment; the channel's tone comes out of its audio
parts; block times never go back (Chromium refuses a stream whose do); the ring keeps the last
few; timestamps are a viewer's timeline from zero."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from assembly.media.channels import AUDIO_TIME_BASE, VIDEO_TIME_BASE, _slate, _vp8
from assembly.media.httpstream import (
    CLUSTER_ID,
    StreamMuxer,
    Timeline,
    _body,
    _read_vint,
    _vint_length,
    cluster_info,
)

TONE = 660.0  # Hz


def opus_encoder() -> av.AudioCodecContext:
    ac = av.CodecContext.create("libopus", "w")
    ac.sample_rate, ac.layout, ac.format, ac.bit_rate = 48000, "mono", "s16", 48000
    ac.time_base = AUDIO_TIME_BASE
    ac.open()
    return ac


def run(
    audio: StreamMuxer | None,
    video: StreamMuxer | None,
    seconds: float,
    *,
    keyframe_every: float = 2.0,
    start_ticks: int = 5000,
) -> None:
    """``seconds`` of a channel as the room makes it: 20 ms chunks of a tone encoded to Opus, a
    floor picture every 60 ms to VP8 with a keyframe when asked; pts on the room's clocks (which
    started long before this muxer: ``start_ticks``)."""
    ac, vc = opus_encoder(), _vp8((640, 360))
    want_key, every = True, int(keyframe_every / 0.02)
    for i in range(start_ticks, start_ticks + int(seconds / 0.02)):
        t = (np.arange(960) + i * 960) / 48000
        pcm = (np.sin(2 * np.pi * TONE * t) * 8000).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = 48000, i * 960, AUDIO_TIME_BASE
        wall = 1_800_000_000_000 + i * 20
        for packet in ac.encode(frame):
            if audio is not None:
                audio.push(packet, wall)
        want_key = want_key or (i - start_ticks) % every == 0  # asked for: the next frame is one
        if i % 3 == 0:
            picture = _slate((640, 360))
            picture.pts, picture.time_base = i * 1800, VIDEO_TIME_BASE
            if want_key:
                picture.pict_type, want_key = av.video.frame.PictureType.I, False
            for packet in vc.encode(picture):
                packet.pts, packet.time_base = picture.pts, VIDEO_TIME_BASE
                if video is not None:
                    video.push(packet, wall)


def packets(data: bytes) -> list[tuple[str, bool]]:
    """(kind, is a keyframe) of each packet in ``data`` (read inside the container's life: a
    packet read after its container is closed crashes PyAV)."""
    with av.open(io.BytesIO(data)) as c:
        return [(p.stream.type, p.is_keyframe) for p in c.demux() if p.size]


def test_video_parts_start_on_keyframes_and_play_alone_after_the_init_segment():
    timeline = Timeline()
    muxer, audio = StreamMuxer("video", timeline), StreamMuxer("audio", timeline)
    run(audio, muxer, 9.0)
    assert muxer.init is not None and muxer.init.startswith(b"\x1a\x45\xdf\xa3")  # EBML
    parts = list(muxer.segments)
    assert len(parts) >= 4
    for s in parts[:-1]:
        assert s.data.startswith(CLUSTER_ID)
        assert 1900 <= s.duration_ms <= 2100  # a keyframe every 2 s: a segment each
        video = [key for kind, key in packets(muxer.init + s.data) if kind == "video"]
        assert video and video[0] and s.key, f"segment {s.n} does not start on a keyframe"
    assert 400 <= audio.segments[1].duration_ms <= 600  # audio: a part every half second
    firsts = [s.media_ms for s in parts]
    assert firsts == sorted(firsts) and firsts[0] < 100  # a viewer's timeline starts at zero
    assert [s.n for s in parts] == list(range(1, len(parts) + 1))
    s = parts[1]
    assert s.wall_ms == 1_800_000_000_000 + 5000 * 20 + s.media_ms  # live then: for the latency shown
    # The audio parts are on the same timeline, every one a place to start.
    assert all(a.key for a in audio.segments) and abs(audio.segments[0].media_ms - parts[0].media_ms) < 100


def test_the_packets_are_copied_not_encoded_again_and_the_tone_comes_out():
    muxer = StreamMuxer("audio")
    run(muxer, None, 5.0)
    data = muxer.init + b"".join(s.data for s in muxer.segments)
    with av.open(io.BytesIO(data)) as c:
        assert [s.codec_context.name for s in c.streams] == ["opus"]
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)]).astype(np.float64)
    pcm = pcm[4800:]  # past the encoder's start
    spectrum = np.abs(np.fft.rfft(pcm * np.hanning(len(pcm))))
    peak = np.fft.rfftfreq(len(pcm), 1 / 48000)[int(np.argmax(spectrum))]
    assert abs(peak - TONE) < 5, peak


def test_the_ring_keeps_the_last_segments_and_the_index_names_them():
    muxer = StreamMuxer("video", keep=3)
    run(None, muxer, 11.0)
    assert muxer.made >= 5 and len(muxer.segments) == 3
    assert [s.n for s in muxer.segments] == list(range(muxer.made - 2, muxer.made + 1))
    assert muxer.segment(1) is None and muxer.segment(muxer.made) is muxer.segments[-1]
    index = muxer.index()
    assert index["init"] == f"{muxer.generation}-init.webm"
    assert [x["url"] for x in index["segments"]] == [f"{muxer.generation}-{s.n}.webm" for s in muxer.segments]
    assert index["mime"] == 'video/webm; codecs="vp8"'
    assert [x["key"] for x in index["segments"]] == [s.key for s in muxer.segments]


def test_a_stream_starts_on_a_keyframe_and_a_new_muxer_has_a_new_generation():
    a, b = StreamMuxer("video"), StreamMuxer("video")
    assert a.generation != b.generation
    vc = _vp8((640, 360))
    pictures = []
    for i in range(3):
        p = _slate((640, 360))
        p.pts, p.time_base = i * 5400, VIDEO_TIME_BASE
        pictures += list(vc.encode(p))
    delta = [p for p in pictures if not p.is_keyframe]
    assert delta
    a.push(delta[0], 0)
    assert a.timeline.base is None and a._last < 0  # nothing before the first keyframe
    a.close()
    a.close()  # twice is harmless


@pytest.mark.parametrize(
    ("cluster", "ms"),
    [
        (CLUSTER_ID + bytes.fromhex("01ffffffffffffff") + bytes.fromhex("e7 82 07d0".replace(" ", "")), 2000),
        (CLUSTER_ID + bytes.fromhex("01ffffffffffffff") + bytes.fromhex("e781 00"), 0),
        (b"\x1a\x45\xdf\xa3", None),
        (CLUSTER_ID + bytes.fromhex("01ffffffffffffff") + bytes.fromhex("a3"), None),
    ],
)
def test_cluster_timestamps_are_read_from_the_bytes(cluster, ms):
    info = cluster_info(cluster)
    assert (None if info is None else info[0]) == ms


def block(track: int, flags: int) -> bytes:
    body = bytes([0x80 | track]) + b"\x00\x00" + bytes([flags]) + b"frame"
    return bytes([0xA3, 0x80 | len(body)]) + body


HEAD = CLUSTER_ID + bytes.fromhex("01ffffffffffffff") + bytes.fromhex("e78100")


@pytest.mark.parametrize(
    ("cluster", "key"),
    [
        (HEAD + block(1, 0x80) + block(2, 0x80), True),  # audio first, then a video keyframe
        (HEAD + block(1, 0x80) + block(2, 0x00), False),  # a delta frame first
        (HEAD + block(1, 0x80), False),  # no picture at all
    ],
)
def test_whether_a_cluster_starts_on_a_keyframe_is_read_from_its_first_picture(cluster, key):
    assert cluster_info(cluster, 2) == (0, key)


def block_times(cluster: bytes) -> list[int]:
    """The absolute time of every SimpleBlock of a cluster, in order (what Chromium checks)."""
    pos = 4 + _vint_length(cluster[4])
    ts, pos = _body(cluster, pos + 1)
    out = []
    while pos < len(cluster):
        kind = cluster[pos]
        body, pos = _body(cluster, pos + 1)
        if kind == 0xA3:
            _, at = _read_vint(body, 0)
            out.append(int.from_bytes(ts, "big") + int.from_bytes(body[at : at + 2], "big", signed=True))
    return out


@pytest.mark.parametrize("kind", ["audio", "video"])
def test_block_times_never_go_back(kind):
    """Chromium refuses ("a block with a timecode before the previous block") a stream whose
    blocks go back in time, across tracks too: hence one track per stream."""
    timeline = Timeline()
    muxers = {"audio": StreamMuxer("audio", timeline), "video": StreamMuxer("video", timeline)}
    run(muxers["audio"], muxers["video"], 6.0)
    times = [t for s in muxers[kind].segments for t in block_times(s.data)]
    assert len(times) > 50 and times == sorted(times)

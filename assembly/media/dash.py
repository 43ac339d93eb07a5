"""The HTTP livestream's index as a live MPEG-DASH manifest (pure: the index in, XML out).

The same WebM segments the watch page plays (assembly/media/httpstream.py), described for any
DASH player (dash.js, Shaka, VLC, FFmpeg): a dynamic MPD with one audio and one video adaptation
set, each a SegmentTimeline of the segments kept, numbered as their URLs are. Times are ms on the
room's timeline (timescale 1000); ``availabilityStartTime`` is the wall clock at its zero, so a
player computes the live edge as the watch page does from ``wall_ms``.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

NS = "urn:mpeg:dash:schema:mpd:2011"
PROFILE = "urn:mpeg:dash:profile:isoff-live:2011"
KEEP_SECONDS = 30  # what a player may seek back into (the ring keeps about this much audio)


def _utc(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _seconds(s: float) -> str:
    return f"PT{s:g}S"


def mpd(index: dict[str, Any], wall_zero_ms: int, language: str) -> str:
    """A dynamic MPD for one channel's index (``HttpStreams.index``): its audio, the floor's video."""
    root = ET.Element(
        "MPD",
        {
            "xmlns": NS,
            "type": "dynamic",
            "profiles": PROFILE,
            "availabilityStartTime": _utc(wall_zero_ms),
            "publishTime": _utc(index["now_ms"]),
            "minimumUpdatePeriod": _seconds(index["target_ms"] / 1000),
            "minBufferTime": _seconds(index["key_ms"] / 1000),
            "timeShiftBufferDepth": _seconds(KEEP_SECONDS),
            "suggestedPresentationDelay": _seconds(index["key_ms"] / 1000 + 1),
        },
    )
    period = ET.SubElement(root, "Period", {"id": "0", "start": "PT0S"})
    tracks = (
        ("audio", {"contentType": "audio", "mimeType": "audio/webm", "lang": language},
         {"id": "audio", "codecs": "opus", "bandwidth": "48000", "audioSamplingRate": "48000"}),
        ("video", {"contentType": "video", "mimeType": "video/webm"},
         {"id": "video", "codecs": "vp8", "bandwidth": "500000", "width": "640", "height": "360"}),
    )  # fmt: skip
    for kind, set_attrs, rep_attrs in tracks:
        track = index[kind]
        if track["init"] is None or not track["segments"]:
            continue
        adaptation = ET.SubElement(period, "AdaptationSet", set_attrs | {"startWithSAP": "1"})
        representation = ET.SubElement(adaptation, "Representation", rep_attrs)
        template = ET.SubElement(
            representation,
            "SegmentTemplate",
            {
                "timescale": "1000",
                "initialization": track["init"],
                "media": f"{track['generation']}-$Number$.webm",
                "startNumber": str(track["segments"][0]["n"]),
            },
        )
        timeline = ET.SubElement(template, "SegmentTimeline")
        for s in track["segments"]:
            ET.SubElement(timeline, "S", {"t": str(s["media_ms"]), "d": str(max(s["duration_ms"], 1))})
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

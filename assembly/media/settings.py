"""What the media rooms are configured with, and the error they refuse with: kept apart from
``room.py`` so that the app, the routes and the signalling can name them without importing aiortc,
PyAV and NumPy (half a second of a restart; see ``hub.MediaHub.warm``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class MediaError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class MediaSettings:
    ice_servers: list[dict[str, Any]] = field(default_factory=list)  # as a browser's RTCIceServer
    max_peers: int = 2000  # per assembly in this process
    per_listener_encode: bool = False  # benchmark only: aiortc's stock encode-per-listener path
    audio_packet_ms: int = 60  # 20, 40 or 60: Opus frame per RTP packet (see channels.AudioChannel)
    direct_send: bool = True  # audio sent from the tick, not by a task per sender (see direct.py)

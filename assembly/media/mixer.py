"""Mixing, pure: 20 ms chunks of 48 kHz mono s16 in, one chunk out, gains ramped per sample.

A channel's sources and their target gains come from the interpretation routing; a change of
speaker or of booth interpreter ramps the old source down and the new one up over a few chunks,
so a switch is a short crossfade, never a click. No I/O, no clock: the caller counts chunks.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

RATE = 48000
CHUNK = 960  # samples: 20 ms, Opus's usual frame and aiortc's
SILENCE = np.zeros(CHUNK, dtype=np.int16)


class Mixer:
    """The gains of one output's sources. ``ramp`` is how many chunks a gain change takes."""

    def __init__(self, ramp: int = 5) -> None:
        self.ramp = max(1, ramp)
        self.gains: dict[str, float] = {}
        self.targets: dict[str, float] = {}

    def set_targets(self, targets: Mapping[str, float]) -> None:
        """Sources not named ramp down to silence and are then forgotten."""
        self.targets = {k: v for k, v in targets.items() if v > 0}
        for source in self.targets:
            self.gains.setdefault(source, 0.0)

    def mix(self, chunks: Mapping[str, np.ndarray]) -> np.ndarray:
        """The next chunk. A source with nothing to give (underrun, disabled) is silence."""
        step = 1.0 / self.ramp
        acc: np.ndarray | None = None
        for source, g0 in list(self.gains.items()):
            target = self.targets.get(source, 0.0)
            g1 = min(target, g0 + step) if g0 < target else max(target, g0 - step)
            if g1 == 0.0 and target == 0.0:
                del self.gains[source]
            else:
                self.gains[source] = g1
            chunk = chunks.get(source)
            if chunk is None or (g0 == 0.0 and g1 == 0.0):
                continue
            x = chunk.astype(np.float32)
            x *= np.float32(g1) if g0 == g1 else np.linspace(g0, g1, CHUNK, endpoint=False, dtype=np.float32)
            acc = x if acc is None else acc + x
        if acc is None:
            return SILENCE
        return np.clip(acc, -32768, 32767).astype(np.int16)

    @property
    def silent(self) -> bool:
        return not self.gains

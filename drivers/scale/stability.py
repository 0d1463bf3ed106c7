"""Stability: the scale's own flag when it has one, else N samples within a band over T seconds."""

from __future__ import annotations

import dataclasses
from collections import deque

from drivers.scale.profile import StabilitySettings
from drivers.scale.reading import Reading, ScaleStatus


class StabilityFilter:
    """Decides ``Reading.stable`` for every reading of one session."""

    def __init__(self, settings: StabilitySettings) -> None:
        self.settings = settings
        self._samples: deque[tuple[float, int]] = deque()

    def reset(self) -> None:
        """Forget history (after a reconnect or a tare)."""
        self._samples.clear()

    def apply(self, reading: Reading, now_s: float) -> Reading:
        """``reading`` with ``stable`` decided; readings without weight are never stable here."""
        if reading.weight_mg is None or reading.status is not ScaleStatus.OK:
            self.reset()
            return dataclasses.replace(reading, stable=False) if reading.stable else reading
        if reading.stable_known and self.settings.use_device_flag:
            return reading
        settings = self.settings
        self._samples.append((now_s, reading.weight_mg))
        while self._samples and now_s - self._samples[0][0] > settings.window_s:
            self._samples.popleft()
        while len(self._samples) > settings.samples:
            self._samples.popleft()
        weights = [w for _, w in self._samples]
        stable = len(weights) >= settings.samples and max(weights) - min(weights) <= round(
            settings.band_g * 1000
        )
        if reading.stable_known:
            stable = stable and reading.stable
        return dataclasses.replace(reading, stable=stable)

"""Capped exponential backoff with jitter, for reconnects and REST retries."""

from __future__ import annotations

import random


class Backoff:
    """Delays initial, 2x, 4x... capped at ``maximum``, each scaled by a random factor in [0.5, 1).

    The jitter spreads the reconnects of many ingestors after a server restart.
    """

    def __init__(self, initial: float, maximum: float, rng: random.Random | None = None) -> None:
        self.initial = initial
        self.maximum = maximum
        self.attempts = 0
        self._rng = rng or random.Random()

    def next_delay(self, floor: float = 0.0) -> float:
        """Return the next delay in seconds (at least ``floor``) and count the attempt."""
        ceiling = min(self.maximum, self.initial * (2 ** min(self.attempts, 32)))
        self.attempts += 1
        return max(floor, ceiling * (0.5 + self._rng.random() / 2))

    def reset(self) -> None:
        """Start again from the initial delay (after a connection that worked)."""
        self.attempts = 0

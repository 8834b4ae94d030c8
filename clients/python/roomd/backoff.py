"""Reconnect delays: exponential backoff with full jitter.

The k-th consecutive failed attempt waits a random time in [0, min(cap, base * 2**k)]
("full jitter"), so many clients cut at once by a server restart do not come back in
step. The count starts over once a connection gets as far as the server's `hello`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Backoff settings and the current count of failed attempts.

    `base` and `cap` are in seconds. `rng` can be replaced for reproducible tests.
    """

    base: float = 0.25
    cap: float = 30.0
    attempts: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def next_delay(self) -> float:
        """The delay before the next attempt; counts one more failure."""
        ceiling = min(self.cap, self.base * (2 ** min(self.attempts, 32)))
        self.attempts += 1
        return self.rng.uniform(0.0, ceiling)

    def jitter_only(self) -> float:
        """A short random delay for "reconnect at once" (close 1012)."""
        return self.rng.uniform(0.0, self.base)

    def reset(self) -> None:
        """A connection succeeded: the next failure waits little again."""
        self.attempts = 0

"""Researcher access: one shared secret, compared in constant time, with wrong attempts slowed down.

Pure (no Streamlit) so the rules are unit tested; ``access_view`` draws the gate.
"""

from __future__ import annotations

import hmac
import os
import threading
import time
from collections.abc import Callable, Mapping

ENV_VAR = "ATLAS_RESEARCHER_SECRET"
SECRETS_KEY = "researcher_secret"
MIN_LENGTH = 8


def configured_secret(secrets: Mapping[str, object] | None = None) -> str | None:
    """The environment wins over ``secrets.toml``; a blank or too-short value counts as unset."""
    value = os.environ.get(ENV_VAR)
    if not value and secrets is not None:
        try:
            raw = secrets.get(SECRETS_KEY)
        except Exception:
            raw = None
        value = str(raw) if raw else None
    if not value or len(value.strip()) < MIN_LENGTH:
        return None
    return value.strip()


def secret_matches(candidate: str, secret: str) -> bool:
    """Constant-time comparison, so timing does not leak how much of a guess was right."""
    return hmac.compare_digest(candidate.encode("utf-8"), secret.encode("utf-8"))


class Throttle:
    """Process-wide back-off after wrong secrets: 0.5 s, 1 s, 2 s ... capped at ``cap`` seconds.

    Shared by every session of the process, so opening new tabs does not reset it.
    """

    def __init__(
        self,
        base: float = 0.5,
        cap: float = 8.0,
        reset_after: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.base, self.cap, self.reset_after, self.clock = base, cap, reset_after, clock
        self._failures = 0
        self._last = 0.0
        self._lock = threading.Lock()

    def delay(self) -> float:
        with self._lock:
            if self._failures and self.clock() - self._last > self.reset_after:
                self._failures = 0
            if not self._failures:
                return 0.0
            return min(self.cap, self.base * 2 ** (self._failures - 1))

    def record(self, success: bool) -> None:
        with self._lock:
            if success:
                self._failures = 0
            else:
                self._failures += 1
                self._last = self.clock()

    @property
    def failures(self) -> int:
        return self._failures


def attempt(
    candidate: str, secret: str, throttle: Throttle, sleep: Callable[[float], None] = time.sleep
) -> bool:
    """Wait out the current back-off, then compare; every wrong answer lengthens the next wait."""
    wait = throttle.delay()
    if wait:
        sleep(wait)
    ok = bool(candidate) and secret_matches(candidate, secret)
    throttle.record(ok)
    return ok

"""Rate limits per client, in the app (nginx limits per address in front of it as well).

A token bucket per client and kind: `take(n)` spends n tokens (an import of 30 scenarios spends 30)
and refills at `per_minute`; beyond it, 429 with Retry-After. The client is `request.remote_addr`,
which is the real client's address when TRUSTED_PROXIES says how many proxies stand in front
(werkzeug's ProxyFix; compose: 1, nginx). The buckets live in the app process: with several
workers and instances, each counts on its own (state this when configuring).
"""
from __future__ import annotations

import math
import os
import threading
import time

from flask import request

MAX_CLIENTS = 20_000  # buckets kept; the fullest (idle) ones are forgotten first


class Limited(Exception):
    def __init__(self, what: str, retry_after: int):
        super().__init__(f"too many {what} from this address; try again in {retry_after} s")
        self.retry_after = retry_after


class RateLimit:
    def __init__(self, what: str, per_minute: float, burst: float | None = None):
        self.what, self.rate, self.burst = what, per_minute / 60.0, burst if burst is not None else per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, n: float = 1, client: str | None = None) -> None:
        """Spend `n` tokens of this client's bucket, or raise Limited (nothing spent)."""
        client = client if client is not None else (request.remote_addr or "?")
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < n:
                raise Limited(self.what, max(1, math.ceil((n - tokens) / self.rate)))
            self._buckets[client] = (tokens - n, now)
            if len(self._buckets) > MAX_CLIENTS:
                for key in list(self._buckets)[: MAX_CLIENTS // 10]:  # the oldest entries
                    del self._buckets[key]


def per_minute(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


# Writes: each scenario saved, imported, renamed or deleted, and each pin; look-ups: each id asked for.
SCENARIO_WRITES = RateLimit("scenario writes", per_minute("SCENARIO_WRITES_PER_MINUTE", 30), burst=per_minute("SCENARIO_WRITES_BURST", 100))
SCENARIO_LOOKUPS = RateLimit("scenario look-ups", per_minute("SCENARIO_LOOKUPS_PER_MINUTE", 120))

"""The cache the app's memoized functions share: in-process by default, Redis when CACHE_REDIS_URL is set.

Whatever is shared is stored as **JSON, never a pickle**: flask-caching's RedisCache pickles its
values, so anyone who can write to that Redis (any container on its network) could run code in the
app by storing a value whose `__reduce__` calls `os.system`. The values cached here (view models,
embed data, analyses) are JSON already. A value in Redis that is not our JSON (a pickle, junk) is a
cache miss, never loaded.
"""
from __future__ import annotations

import json
import logging
import os
import time

from cachelib.serializers import BaseSerializer
from flask_caching.backends.rediscache import RedisCache

JSON_MARK = b"j"  # our values start with this; anything else in Redis is not ours to load


class JsonSerializer(BaseSerializer):
    """Whole numbers as plain digits (Redis's INCR needs them), everything else as JSON."""

    def dumps(self, value, *args, **kwargs) -> bytes:
        if type(value) is int:
            return str(value).encode("ascii")
        return JSON_MARK + json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=True).encode("utf-8")

    def loads(self, value, *args, **kwargs):
        if value is None:
            return None
        if value.startswith(JSON_MARK):
            try:
                return json.loads(value[len(JSON_MARK):])
            except ValueError:
                return None
        try:
            return int(value)
        except ValueError:
            return None  # a pickle ("!…") or anything else: a miss


BREAKER_OPEN_S = 30.0  # after Redis fails to answer, the app leaves it alone this long


class JsonRedisCache(RedisCache):
    """flask-caching's RedisCache with JSON values (see the module's text), behind a circuit breaker:
    once Redis fails to answer (down, frozen: each call waits up to its socket timeout), every call
    is a miss at once for BREAKER_OPEN_S, so a frozen Redis costs one request the timeout, not every
    request two of them; then one call tries again."""

    serializer = JsonSerializer()
    _open_until = 0.0

    def _guarded(self, name: str, default, *args, **kwargs):
        if time.monotonic() < self._open_until:
            return default
        try:
            return getattr(super(), name)(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - any failure of the cache is a miss, never an error
            self._open_until = time.monotonic() + BREAKER_OPEN_S
            logging.getLogger("flask_caching").warning("redis not answering (%s); skipped for %g s", type(err).__name__, BREAKER_OPEN_S)
            return default

    def get(self, key):
        return self._guarded("get", None, key)

    def get_many(self, *keys):
        return self._guarded("get_many", [None] * len(keys), *keys)

    def get_dict(self, *keys):
        return self._guarded("get_dict", dict.fromkeys(keys), *keys)

    def set(self, key, value, timeout=None):
        return self._guarded("set", False, key, value, timeout)

    def set_many(self, mapping, timeout=None):
        return self._guarded("set_many", [], mapping, timeout)

    def add(self, key, value, timeout=None):
        return self._guarded("add", False, key, value, timeout)

    def has(self, key):
        return self._guarded("has", False, key)

    def delete(self, key):
        return self._guarded("delete", False, key)

    def delete_many(self, *keys):
        return self._guarded("delete_many", [], *keys)


def cache_settings() -> dict:
    """flask-caching's settings: in-process by default (nothing to run beside `make run`); Redis when
    CACHE_REDIS_URL is set (with its password in the URL: redis://:password@host:6379/0), shared by
    every worker and instance. Keys carry the package version (the memoized functions take it as an
    argument). A Redis that stops answering costs the request that finds out the socket timeouts;
    the breaker (JsonRedisCache) then skips it for BREAKER_OPEN_S."""
    url = os.environ.get("CACHE_REDIS_URL")
    if not url:
        return {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 3600, "CACHE_THRESHOLD": 2000}
    quiet_cache_errors()
    return {"CACHE_TYPE": "dashboard.cache.JsonRedisCache", "CACHE_REDIS_URL": url, "CACHE_DEFAULT_TIMEOUT": 3600,
            "CACHE_KEY_PREFIX": "malmo-index:", "CACHE_OPTIONS": {"socket_timeout": 0.25, "socket_connect_timeout": 0.25}}


class _OneLinePerMinute(logging.Filter):
    """flask-caching logs a traceback for every failed cache call; while Redis is down that is one
    per request. Keep one line a minute, without the traceback."""

    def __init__(self):
        super().__init__()
        self.last = 0.0

    def filter(self, record):
        if time.monotonic() - self.last < 60:
            return False
        self.last = time.monotonic()
        reason = f": {record.exc_info[1]}" if record.exc_info else ""
        record.msg, record.args, record.exc_info = f"cache backend failing, computing without it{reason}", (), None
        return True


def quiet_cache_errors() -> None:
    logger = logging.getLogger("flask_caching")
    if not any(isinstance(f, _OneLinePerMinute) for f in logger.filters):
        logger.addFilter(_OneLinePerMinute())

"""The shared cache stores JSON, never a pickle (dashboard/cache.py), against a real redis-server."""
from __future__ import annotations

import os
import pickle
import shutil

import pytest

from services import REDIS, running_redis
from test_scale import slider_body

pytestmark = pytest.mark.skipif(not shutil.which(REDIS) and not os.path.exists(REDIS), reason="redis-server is installed by `make test`")


def app_on(url: str):
    """The app on the default package with its cache in the Redis at `url`, as CACHE_REDIS_URL sets it."""
    from conftest import PACKAGE
    from dashboard.app import create_app
    from dashboard.cache import cache_settings
    os.environ["CACHE_REDIS_URL"] = url
    try:
        config = cache_settings()
    finally:
        del os.environ["CACHE_REDIS_URL"]
    return create_app(str(PACKAGE), cache_config=config)


class Planted:
    """What a writer to Redis could store: unpickling it runs a command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_values_in_redis_are_json_and_a_planted_pickle_never_runs(tmp_path):
    import redis
    with running_redis() as (url, _):
        client = app_on(url).server.test_client()
        body = slider_body([61, 23, 45, 17])
        first = client.post("/_dash-update-component", json=body)
        assert first.status_code == 200
        store = redis.Redis.from_url(url)
        keys = store.keys("malmo-index:*")
        assert keys, "the view model was cached"
        values = [store.get(k) for k in keys]
        assert all(v[:1] == b"j" or v.isdigit() for v in values), [v[:20] for v in values]
        assert not [v for v in values if v.startswith(b"!") or v.startswith(b"\x80")]
        marker = tmp_path / "ran"
        for key in keys:  # every entry replaced by a pickle that would run a command when loaded
            store.set(key, b"!" + pickle.dumps(Planted(marker)))
        again = client.post("/_dash-update-component", json=body)
        assert again.status_code == 200 and again.get_json() == first.get_json()
        assert not marker.exists(), "a pickle from the shared cache was loaded"


def test_a_frozen_redis_costs_one_request_the_timeout_not_every_request():
    """Before: a frozen Redis raised the slider's p50 from 144 to 505 ms (two timed-out calls per move).
    Now the first failure opens a breaker: the moves after it skip Redis at once."""
    import signal
    import statistics
    import time
    with running_redis() as (url, _):
        client = app_on(url).server.test_client()
        assert client.post("/_dash-update-component", json=slider_body([61, 23, 45, 17])).status_code == 200
        import redis
        pid = redis.Redis.from_url(url).info()["process_id"]
        os.kill(pid, signal.SIGSTOP)  # frozen: connections open, nothing answers
        try:
            times = []
            for n in range(12):
                t0 = time.perf_counter()
                assert client.post("/_dash-update-component", json=slider_body([10 + n, 40, 50, 60])).status_code == 200
                times.append(time.perf_counter() - t0)
        finally:
            os.kill(pid, signal.SIGCONT)
        assert times[0] < 1.5  # the first move pays the socket timeouts (0,25 s each) …
        assert statistics.median(times[1:]) < 0.1, times  # … the rest skip Redis

"""Heavy work is admitted, bounded and cancellable (dashboard/workers.py), with real worker processes."""
from __future__ import annotations

import os
import time

import pytest

from dashboard.workers import Admission, Busy, TooSlow, Worker


def test_admission_refuses_at_once_beyond_its_limit():
    gate = Admission("test", limit=1)
    with gate.slot():
        t0 = time.perf_counter()
        with pytest.raises(Busy) as err:
            with gate.slot():
                pass
        assert time.perf_counter() - t0 < 0.05 and err.value.retry_after > 0  # no queue: an answer at once
    with gate.slot():  # the slot is free again
        pass
    assert gate.refused == 1


def test_a_job_past_its_deadline_is_stopped_and_the_worker_replaced():
    worker = Worker("test")
    assert worker.run(os.getpid) != os.getpid()
    first = worker.run(os.getpid)
    t0 = time.perf_counter()
    with pytest.raises(TooSlow):
        worker.run(time.sleep, 30, deadline=1.0)
    assert time.perf_counter() - t0 < 5
    assert worker.replaced == 1
    second = worker.run(os.getpid)
    assert second != first  # a new process: the old one (still sleeping) was killed
    with pytest.raises(ProcessLookupError):
        for _ in range(50):  # it is gone (killed, then reaped by the pool's shutdown)
            os.kill(first, 0)
            time.sleep(0.1)


def test_a_crashed_worker_process_is_replaced():
    """An out-of-memory kill while drawing: before, every later job failed until a restart."""
    worker = Worker("test")
    pid = worker.run(os.getpid)
    os.kill(pid, 9)
    time.sleep(0.3)
    assert isinstance(worker.run(os.getpid), int)  # replaced, and this job done
    assert worker.replaced == 1


@pytest.mark.slow  # several seconds of processes or generated cases: in `make test`, not the developer's minute
def test_the_drawing_process_recovers_after_a_kill(client):
    from dashboard import pictures
    first = client.get("/api/export.pdf?w=inte_behorig:3,trangboddhet:1")
    assert first.status_code == 200
    pid = pictures.DRAWING.run(os.getpid)
    os.kill(pid, 9)
    time.sleep(0.3)
    again = client.get("/api/export.pdf?w=inte_behorig:1,trangboddhet:3")
    assert again.status_code == 200 and again.data.startswith(b"%PDF")


def test_busy_exports_are_503_with_retry_after_and_a_cached_picture_needs_no_slot(client):
    from dashboard import pictures
    query = "/api/export.png?w=inte_behorig:5,trangboddhet:1&level=geso"
    assert client.get(query).status_code == 200
    held = [pictures.ADMISSION.slot() for _ in range(pictures.ADMISSION.limit)]
    for h in held:
        h.__enter__()
    try:
        busy = client.get("/api/export.png?w=inte_behorig:1,trangboddhet:5&level=geso")
        assert busy.status_code == 503 and int(busy.headers["Retry-After"]) > 0 and busy.get_json()["ok"] is False
        page = client.get("/api/export.pdf?w=inte_behorig:1,trangboddhet:7", headers={"Accept": "text/html,*/*;q=0.8"})
        assert page.status_code == 503 and "Försök igen om en stund" in page.text  # a link a person clicked: in words
        assert client.get(query).status_code == 200  # already drawn: served from the finished pictures
    finally:
        for h in held:
            h.__exit__(None, None, None)


def test_busy_allocation_is_503(client):
    from dashboard import analysis
    held = [analysis.ALLOCATION_ADMISSION.slot() for _ in range(analysis.ALLOCATION_ADMISSION.limit)]
    for h in held:
        h.__enter__()
    try:
        answer = client.get("/api/allocation.csv?budget=1000000")
        assert answer.status_code == 503 and "Retry-After" in answer.headers
    finally:
        for h in held:
            h.__exit__(None, None, None)
    assert client.get("/api/allocation.csv?budget=1000000").status_code == 200

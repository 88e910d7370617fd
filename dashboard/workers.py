"""Heavy work (drawing pictures, the analysis, the allocation) is admitted, bounded and cancellable,
so that one client can never slow down the others.

- **Admission per kind** (`Admission`): at most `limit` requests of one kind are at work in an app
  process at once, and at most `HEAVY_TOTAL` of all kinds together, so the server's threads always
  have room for cheap requests (a slider move, /healthz). A request beyond the limit is not queued:
  it gets `Busy` at once, which the app answers as 503 with Retry-After ("busy, try again in a
  moment" in words on the page).
- **A deadline** (`DEADLINE_S`, below nginx's 60 s and gunicorn's 30 s): a job still waiting then is
  cancelled; a job still running has its process killed, and the pool is replaced.
- **A broken pool is replaced**: after a worker process dies (an out-of-memory kill while drawing a
  PDF), the next request starts a new one instead of failing until a restart.

Work that should not run in a server thread goes to a process of its own: one per kind of work and
app process, started on first use with 'spawn' (safe beside threads), at a lower CPU priority than
the server. A worker ends when its app process is gone, however that ended (a SIGTERM skips Python's
exit handlers, and a worker would otherwise wait on its queue forever).
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import CancelledError, ProcessPoolExecutor, TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

log = logging.getLogger(__name__)

DEADLINE_S = float(os.environ.get("HEAVY_DEADLINE_S", "20"))  # below nginx's proxy_read_timeout (60 s) and gunicorn's timeout (30 s)
HEAVY_TOTAL = int(os.environ.get("HEAVY_TOTAL", "2"))  # heavy requests at work at once per app process, all kinds together
RETRY_AFTER_S = 5


class Busy(Exception):
    """No room for this heavy request now: answer 503 with Retry-After."""

    def __init__(self, kind: str, retry_after: int = RETRY_AFTER_S):
        super().__init__(f"too many {kind} requests at once; try again in {retry_after} s")
        self.kind, self.retry_after = kind, retry_after


class TooSlow(Exception):
    """The job did not finish before the deadline; it was cancelled (or its process killed)."""

    def __init__(self, kind: str):
        super().__init__(f"the {kind} took longer than {DEADLINE_S:g} s and was stopped; try again in a moment")
        self.kind, self.retry_after = kind, RETRY_AFTER_S


_total = threading.BoundedSemaphore(HEAVY_TOTAL)


ADMISSIONS: list["Admission"] = []  # every kind, for /healthz's details


class Admission:
    """At most `limit` requests of one kind at work at once (and HEAVY_TOTAL of all kinds); no queue."""

    def __init__(self, kind: str, limit: int):
        self.kind, self.limit = kind, limit
        self._slots = threading.BoundedSemaphore(limit)
        self.refused = 0  # since start, shown in /healthz's details
        ADMISSIONS.append(self)

    @contextmanager
    def slot(self):
        if not self._slots.acquire(blocking=False):
            self.refused += 1
            raise Busy(self.kind)
        if not _total.acquire(blocking=False):
            self._slots.release()
            self.refused += 1
            raise Busy(self.kind)
        try:
            yield
        finally:
            _total.release()
            self._slots.release()


def _start(parent: int) -> None:
    """In the worker: yield the CPU to the server and its users (background work waits, a slider
    move does not), and end when the app process is gone."""
    try:
        os.nice(10)
    except OSError:
        pass

    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)
    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


class Worker:
    """A lazily started single-process pool. `run(fn, *args)` returns fn's result within DEADLINE_S,
    or raises TooSlow (the job cancelled, or its process killed and the pool replaced); a pool whose
    process died is replaced and the job tried once more."""

    def __init__(self, kind: str = "work"):
        self.kind = kind
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self.replaced = 0  # pools replaced since start (a crash or a deadline)

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_start, initargs=(os.getpid(),))
            return self._pool

    def _replace(self, broken: ProcessPoolExecutor, why: str) -> None:
        """Kill the pool's process (if it still runs) and start afresh on the next job."""
        with self._lock:
            if self._pool is not broken:
                return  # another thread replaced it already
            self._pool = None
            self.replaced += 1
        for process in list(getattr(broken, "_processes", {}).values()):  # the executor has no public kill
            if process.is_alive():
                process.kill()
        broken.shutdown(wait=False, cancel_futures=True)
        log.warning("%s worker replaced: %s", self.kind, why)

    def run(self, fn, *args, deadline: float | None = None):
        deadline = DEADLINE_S if deadline is None else deadline
        for attempt in (1, 2):
            pool = self._current()
            try:
                future = pool.submit(fn, *args)
            except (BrokenProcessPool, RuntimeError):  # broken, or shut down by a thread that is replacing it
                self._replace(pool, "its process died")
                if attempt == 2:
                    raise Busy(self.kind) from None
                continue
            try:
                return future.result(timeout=deadline)
            except BrokenProcessPool:
                self._replace(pool, "its process died")
                if attempt == 2:
                    raise Busy(self.kind) from None
            except (FutureTimeout, CancelledError):
                if not future.cancel():  # running: only killing its process stops it
                    self._replace(pool, f"a job ran over {deadline:g} s")
                raise TooSlow(self.kind) from None
        raise AssertionError("unreachable")

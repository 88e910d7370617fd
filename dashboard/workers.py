"""Work that should not run in a server thread (drawing pictures, the analysis) goes to a process of
its own: one per kind of work and app process, started on first use with 'spawn' (safe beside
threads), at a lower CPU priority than the server. A worker ends when its app process is gone, however that ended (a SIGTERM skips Python's
exit handlers, and a worker would otherwise wait on its queue forever)."""
from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor


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
    """A lazily started single-process pool: `Worker().submit(fn, *args)` → a Future."""

    def __init__(self):
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, fn, *args):
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                                     initializer=_start, initargs=(os.getpid(),))
        return self._pool.submit(fn, *args)

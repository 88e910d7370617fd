"""The app's pictures (PNG map, PDF report): drawn by layers/output/pictures.py in a separate process so that
drawing does not hold up other users, admitted (at most one drawing and one waiting per app
process, 503 beyond), bounded by a deadline, and kept once finished for the next person asking.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from layers.output.pictures import draw, job
from layers.view import to_query

from .workers import Admission, Worker

DRAWING = Worker("picture")  # one drawing process per app process (dashboard/workers.py)
ADMISSION = Admission("picture", limit=2)  # one drawing, one waiting for the process; more get 503 at once
CACHE_ITEMS = 32  # finished pictures kept per app process (a PDF is ~90 KiB, a PNG ~600 KiB)


class _Finished:
    """Finished pictures by what they show (package version, kind, state, header lines): the same
    picture asked for again, by the next person in the room, is not drawn again."""

    def __init__(self, size: int):
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key, value: bytes) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


FINISHED = _Finished(CACHE_ITEMS)


def render(ctx, kind: str, d) -> bytes:  # the app's path for layers.output.export's heavy formats
    """The picture for `d`: from the cache of finished pictures, else drawn in the drawing process if
    there is room (workers.Busy otherwise) within the deadline (workers.TooSlow otherwise)."""
    key = (ctx.version, kind, d.lang, to_query(d.state), tuple(d.header))
    body = FINISHED.get(key)
    if body is None:
        with ADMISSION.slot():
            body = DRAWING.run(draw, job(ctx, kind, d))
        FINISHED.put(key, body)
    return body



"""Bulk work with the cyclic garbage collector paused: a large import makes and drops rows by the hundred
thousand, and every collection pass walks all those still alive (a tenth of the import's time, with the queue's
higher thresholds). Reference counting frees them as before; the few cycles made meanwhile wait for the first
pass after the work. Pauses nest and may overlap across threads: the collector runs again when the last ends."""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_paused = 0
_was_enabled = True


@contextmanager
def paused() -> Iterator[None]:
    global _paused, _was_enabled
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()

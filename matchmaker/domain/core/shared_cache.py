"""Figures computed once and reused while what they are counted from has not changed: a value per database and
key, valid while its stamp (a cheap read of the inputs: latest ids and change times) is the same.

Kept in the process and, on PostgreSQL, in the `figure_cache` table, so that every gunicorn worker reuses one
computation instead of each counting again after it starts or after a change: the first worker to miss takes an
advisory lock on the key, computes and stores the value; a worker that misses meanwhile waits for the lock and
reads what was stored. Values are JSON; each caller gets its own decoded copy. SQLite (one process, tests and
development) keeps the process's copy only."""
from __future__ import annotations

import hashlib
import json
import threading
import zlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ...models import utcnow
from ...models.cache import FigureCache

LOCK_WAIT = "60s"  # at most this long for another worker's computation; then compute here
KEEP = timedelta(days=30)  # rows not rewritten for this long (periods nobody looks at any more) are dropped

LOCK_SPACE = 0x6D6D6663  # the two-number advisory locks of this module ("mmfc"), apart from the audit chain's

_local: dict[tuple[str, str], tuple[str, Any]] = {}  # (database, key) -> (stamp digest, decoded value)
_lock = threading.Lock()


def digest(stamp: Any) -> str:
    """A stamp (any value with a stable repr: tuples of ids, datetimes, dates) as 64 hex characters."""
    return hashlib.sha256(repr(stamp).encode()).hexdigest()


def _database(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=False)


def cached(session: Session, key: str, stamp: Any, compute: Callable[[], Any],
           decode: Callable[[Any], Any] = lambda value: value, copy: bool = True) -> Any:
    """`decode(json value)` of `compute()` for `key` while `stamp` holds. `compute` returns a JSON-ready value;
    it may call `cached` for other keys, always in the same order (a bulletin, then its platform figures), so
    that two workers never wait on each other's locks. With `copy`, each call gets a
    fresh decoded value (callers may change it); without, the one decoded value is shared (read-only callers)."""
    where = (_database(session), key)
    sign = digest(stamp)
    held = _local.get(where)
    if held is not None and held[0] == sign:
        return decode(json.loads(held[1])) if copy else held[1]
    if session.get_bind().dialect.name == "postgresql":
        raw = _shared(session, key, sign, compute)
    else:
        raw = json.dumps(compute(), separators=(",", ":"))
    value = decode(json.loads(raw))
    with _lock:
        _local[where] = (sign, raw if copy else value)
    return decode(json.loads(raw)) if copy else value


def _shared(session: Session, key: str, sign: str, compute: Callable[[], Any]) -> str:
    """The value's JSON text from `figure_cache`, computed and stored there by the first worker that misses."""
    with session.get_bind().engine.connect() as conn:  # its own transaction: what it stores is committed at once
        locked = False
        try:
            conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
            conn.execute(select(text("pg_advisory_xact_lock(:space, :k)")), {"space": LOCK_SPACE, "k": _lock_key(key)})
            locked = True
        except DBAPIError:  # waited long enough: compute here
            conn.rollback()
        stored = conn.execute(select(FigureCache.data).where(FigureCache.key == key, FigureCache.stamp == sign)
                              ).scalar()
        if stored is not None:
            conn.commit()
            return stored
        raw = json.dumps(compute(), separators=(",", ":"))
        now = utcnow()
        values = {"key": key, "stamp": sign, "data": raw, "computed_at": now}
        conn.execute(insert(FigureCache).values(**values).on_conflict_do_update(
            index_elements=[FigureCache.key], set_={k: v for k, v in values.items() if k != "key"}))
        if locked:
            conn.execute(delete(FigureCache).where(FigureCache.computed_at < now - KEEP))
        conn.commit()
        return raw


def _lock_key(key: str) -> int:
    """The key as a signed 32-bit number (the second half of a two-number advisory lock)."""
    n = zlib.crc32(key.encode())
    return n - 2**32 if n >= 2**31 else n


def forget() -> None:
    """Drop the process's copies (tests: the next call reads the table or computes)."""
    with _lock:
        _local.clear()

"""Incremental sync of leads (and requests): ordered by (updated_at, id) with an opaque cursor holding the last row's pair.
A lead that changes while a client pages moves behind the cursor and comes again with its new state, so no
lead is missed and no version of a lead is sent twice.

`updated_at` is stamped when a change is flushed, not when it commits: a transaction that flushed at 10:00:01
and commits at 10:00:03 would land *behind* a cursor already handed out at 10:00:02. So a page only holds rows
older than a settle horizon — a few seconds ago, and on PostgreSQL also before the start of the oldest other
transaction still open that has written — and such a row comes on the next sync instead of never."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import Select, and_, or_, text
from sqlalchemy.orm import Session

from ..core.errors import DomainError

MAX_LIMIT = 200
DEFAULT_SETTLE_SECONDS = 5
CLOCK_MARGIN = timedelta(seconds=1)  # the app's clock stamps updated_at, the database's clock xact_start

_OLDEST_OPEN = text("""
    SELECT min(xact_start) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL
      AND backend_type = 'client backend' AND application_name = current_setting('application_name')""")
# only transactions that have written (a long read such as pg_dump holds nothing back), and only this application's
# (connections named like ours: another app or schema sharing the database does not hold our sync back)


def encode_cursor(updated_at: datetime, row_id: int) -> str:
    raw = json.dumps([updated_at.isoformat(timespec="microseconds"), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, lead_id = json.loads(raw)
        at = datetime.fromisoformat(at)
        if not isinstance(lead_id, int) or isinstance(lead_id, bool) or not 0 < lead_id < 2**63:
            raise ValueError
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise DomainError("游标无效，请使用上一页返回的 next_cursor", field="cursor") from None
    return at, lead_id


def naive_utc(value: datetime) -> datetime:
    """Our columns hold naive UTC; an aware time is converted, a naive one is taken as UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def horizon(session: Session, now: datetime, settle_seconds: float = DEFAULT_SETTLE_SECONDS) -> datetime:
    """The newest `updated_at` a page may hold: rows stamped at or after it may still be joined by rows of
    transactions not yet committed, so they wait for the next sync."""
    limit = naive_utc(now) - timedelta(seconds=settle_seconds)
    if session.get_bind().dialect.name == "postgresql":
        oldest = session.scalar(_OLDEST_OPEN)
        if oldest is not None:
            limit = min(limit, naive_utc(oldest) - CLOCK_MARGIN)
    return limit


def page(query: Select, model, *, updated_since: datetime | None, cursor: str | None, limit: int,
         settled_before: datetime | None = None) -> Select:
    """`query` (of `model` rows, which have `updated_at` and `id`) narrowed to the rows after the cursor (or changed
    since `updated_since`) and stamped before `settled_before` (see `horizon`), in sync order, one more than
    `limit` so the caller knows whether another page follows."""
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError("每页条数应为1–%(n)d", field="limit", n=MAX_LIMIT)
    if cursor:
        at, lead_id = decode_cursor(cursor)
        query = query.where(or_(model.updated_at > at, and_(model.updated_at == at, model.id > lead_id)))
    elif updated_since is not None:
        query = query.where(model.updated_at >= naive_utc(updated_since))
    if settled_before is not None:
        query = query.where(model.updated_at < settled_before)
    return query.order_by(model.updated_at, model.id).limit(limit + 1)

"""Incremental sync of leads (and requests): ordered by (updated_at, id) with an opaque cursor holding the last row's pair.
A lead that changes while a client pages moves behind the cursor and comes again with its new state, so no
lead is missed and no version of a lead is sent twice."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

from sqlalchemy import Select, and_, or_

from ..core.errors import DomainError

MAX_LIMIT = 200


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


def page(query: Select, model, *, updated_since: datetime | None, cursor: str | None, limit: int) -> Select:
    """`query` (of `model` rows, which have `updated_at` and `id`) narrowed to the rows after the cursor (or changed since `updated_since`), in sync
    order, one more than `limit` so the caller knows whether another page follows."""
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError(f"每页条数应为1–{MAX_LIMIT}", field="limit")
    if cursor:
        at, lead_id = decode_cursor(cursor)
        query = query.where(or_(model.updated_at > at, and_(model.updated_at == at, model.id > lead_id)))
    elif updated_since is not None:
        query = query.where(model.updated_at >= naive_utc(updated_since))
    return query.order_by(model.updated_at, model.id).limit(limit + 1)

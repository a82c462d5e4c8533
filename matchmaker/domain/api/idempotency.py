"""Idempotency keys: the first answer to a POST with a key is kept with the change it made (same transaction),
and a retry with the key gets that answer back without changing anything again."""
from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import ApiIdempotency
from ..core.errors import DomainError

MAX_KEY = 128


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise DomainError("Idempotency-Key 应为1–%(n)d个可打印字符", field="Idempotency-Key", n=MAX_KEY)
    return key


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def stored(session: Session, token_id: int, key: str, print_: str) -> ApiIdempotency | None:
    """The kept answer for (token, key), or None; a key reused for another call is refused."""
    row = session.scalar(select(ApiIdempotency).where(ApiIdempotency.token_id == token_id,
                                                      ApiIdempotency.key == key))
    if row is not None and row.fingerprint != print_:
        raise DomainError("该 Idempotency-Key 已用于另一次不同的调用", field="Idempotency-Key")
    return row


def keep(session: Session, token_id: int, key: str, print_: str, status: int, body: str) -> None:
    """Add the answer to the current transaction; a concurrent twin's commit fails on the unique key."""
    session.add(ApiIdempotency(token_id=token_id, key=key, fingerprint=print_, status=status, body=body))
    session.flush()

"""Declarative base with a naming convention, and shared column helpers."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

from sqlalchemy import JSON, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")


# Set only by `clock_at`: the demo replays five years of activity through the real domain functions, each step
# stamped at its own moment when it is inserted (history rows are append-only: nothing is moved back afterwards).
_CLOCK: ContextVar[datetime | None] = ContextVar("matchmaker_clock", default=None)


def utcnow() -> datetime:
    """Naive UTC now (or the moment set by `clock_at`); used as a callable column default."""
    fixed = _CLOCK.get()
    return fixed if fixed is not None else datetime.now(timezone.utc).replace(tzinfo=None)


@contextmanager
def clock_at(moment: datetime) -> Iterator[datetime]:
    """Within the block, `utcnow()` answers the naive-UTC `moment`: every timestamp written then carries it."""
    token = _CLOCK.set(moment)
    try:
        yield moment
    finally:
        _CLOCK.reset(token)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

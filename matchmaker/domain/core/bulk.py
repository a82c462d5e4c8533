"""Many rows into one table straight through the database driver, inside the session's transaction: COPY on
PostgreSQL, executemany of tuples on SQLite. For the hundreds of thousands of rows of a large import, where
SQLAlchemy's per-row parameter handling costs more than the database's work. The caller gives values the
driver takes as they are: JSON as text (`json_text`), amounts through `numeric`. `cursor` reads the same way."""
from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

from sqlalchemy import Table
from sqlalchemy.orm import Session


def cursor(session: Session, streamed: bool = False):
    """A cursor of the driver on the session's connection, inside its transaction; the caller closes it.
    `streamed`: on PostgreSQL a server-side cursor, so fetchmany brings a part at a time (psycopg's plain cursor
    holds the whole result)."""
    conn = session.connection()
    raw = conn.connection.dbapi_connection
    if streamed and conn.dialect.name == "postgresql":
        return raw.cursor(name="matchmaker_stream")
    return raw.cursor()


def insert(session: Session, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    if not rows:
        return
    names = ", ".join(columns)
    if session.get_bind().dialect.name == "postgresql":
        with cursor(session) as pg, pg.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    raw = cursor(session)
    try:
        raw.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" * len(columns))})', rows)
    finally:
        raw.close()


def json_text(value) -> str:
    """A JSON column's value as SQLAlchemy's JSON type writes it."""
    return json.dumps(value)


def numeric(session: Session) -> Callable:
    """How a Numeric column's Decimal (or None) goes to the driver as SQLAlchemy binds it: as it is for
    PostgreSQL, a float for SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return _same
    return _float


def _same(value):
    return value


def _float(value):
    return None if value is None else float(value)


@contextmanager
def page_cache(session: Session, mib: int) -> Iterator[None]:
    """On SQLite, a larger page cache for the session's connection while a large transaction writes or reads at
    random (a batch's entries into five indexes): its pages stay in memory instead of being spilled to the WAL and
    read back. The connection's own size again after (the pages still dirty are written at the commit)."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    raw = cursor(session)
    try:
        before = raw.execute("PRAGMA cache_size").fetchone()[0]
        raw.execute(f"PRAGMA cache_size = {-int(mib) * 1024}")
        try:
            yield
        finally:
            raw.execute(f"PRAGMA cache_size = {int(before)}")
    finally:
        raw.close()

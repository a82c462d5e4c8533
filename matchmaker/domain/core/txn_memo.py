"""Reads answered once per transaction: what one piece of work asks again and again (who is notified, a bank's
webhook endpoints, a setting) is kept in memory until the transaction ends or something is written to the
tables the answer came from."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import chain
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

T = TypeVar("T")
_KEY = "txn_memo"  # session.info: (transaction, {(tables, key): value})


def memo(session: Session, tables: Iterable[str], key, compute: Callable[[], T]) -> T:
    """`compute()`'s answer for `key`, computed once in this transaction; `tables`: what it reads."""
    full_key = (frozenset(tables), key)
    entry = session.info.get(_KEY)
    if entry is not None and entry[0] is session.get_transaction() and full_key in entry[1]:
        return entry[1][full_key]
    value = compute()  # may begin the transaction
    transaction = session.get_transaction()
    if transaction is not None:
        if entry is None or entry[0] is not transaction:
            entry = session.info[_KEY] = (transaction, {})
        entry[1][full_key] = value
    return value


def forget(session: Session, tables: set[str] | None) -> None:
    """Drop the answers read from `tables` (None: every answer)."""
    entry = session.info.get(_KEY)
    if not entry or not entry[1]:
        return
    if tables is None:
        entry[1].clear()
        return
    for full_key in [k for k in entry[1] if not k[0].isdisjoint(tables)]:
        del entry[1][full_key]


@event.listens_for(Session, "after_flush")
def _forget_flushed(session: Session, _context) -> None:
    if session.info.get(_KEY):
        forget(session, {type(obj).__table__.name for obj in chain(session.new, session.dirty, session.deleted)})


@event.listens_for(Session, "do_orm_execute")
def _forget_written(state: ORMExecuteState) -> None:
    if state.is_select or not state.session.info.get(_KEY):
        return
    table = written_table(state)
    forget(state.session, None if table is None else {table})


def written_table(state: ORMExecuteState) -> str | None:
    """The table an INSERT, UPDATE or DELETE statement writes (None when unknown, e.g. plain SQL)."""
    return getattr(getattr(state.statement, "table", None), "name", None)

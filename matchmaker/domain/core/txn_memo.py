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
_KEY = "txn_memo"  # session.info: _Memo of the current transaction


class _Memo:
    __slots__ = ("transaction", "values", "by_table")

    def __init__(self, transaction):
        self.transaction = transaction
        self.values: dict = {}
        self.by_table: dict[str, set] = {}


def memo(session: Session, tables: Iterable[str], key, compute: Callable[[], T]) -> T:
    """`compute()`'s answer for `key`, computed once in this transaction; `tables`: what it reads."""
    kept = session.info.get(_KEY)
    if kept is not None and kept.transaction is session.get_transaction() and key in kept.values:
        return kept.values[key]
    value = compute()  # may begin the transaction
    transaction = session.get_transaction()
    if transaction is not None:
        if kept is None or kept.transaction is not transaction:
            kept = session.info[_KEY] = _Memo(transaction)
        kept.values[key] = value
        for table in tables:
            kept.by_table.setdefault(table, set()).add(key)
    return value


def forget(session: Session, tables: Iterable[str] | None) -> None:
    """Drop the answers read from `tables` (None: every answer)."""
    kept = session.info.get(_KEY)
    if kept is None or not kept.values:
        return
    if tables is None:
        kept.values.clear()
        kept.by_table.clear()
        return
    for table in tables:
        for key in kept.by_table.pop(table, ()):
            kept.values.pop(key, None)


@event.listens_for(Session, "after_flush")
def _forget_flushed(session: Session, _context) -> None:
    kept = session.info.get(_KEY)
    if kept is not None and kept.by_table:
        forget(session, {type(obj).__table__.name for obj in chain(session.new, session.dirty, session.deleted)}
               & kept.by_table.keys())


@event.listens_for(Session, "do_orm_execute")
def _forget_written(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    kept = state.session.info.get(_KEY)
    if kept is not None and kept.values:
        table = written_table(state)
        forget(state.session, None if table is None else (table,))


def written_table(state: ORMExecuteState) -> str | None:
    """The table an INSERT, UPDATE or DELETE statement writes (None when unknown, e.g. plain SQL)."""
    return getattr(getattr(state.statement, "table", None), "name", None)

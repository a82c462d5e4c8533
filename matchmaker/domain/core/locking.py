"""Row locks for guarded changes: lock a row until commit and reload it, so a rule re-checked after the lock
sees what a concurrent transaction committed first (one winner; the loser is refused, never a duplicate)."""
from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, event, select, text
from sqlalchemy.orm import ORMExecuteState, Session, lazyload

from . import txn_memo

_SQLITE_WRITE_LOCK = "locking.sqlite_write_lock"  # session.info: the transaction that holds SQLite's write lock
_FRESH = "locking.fresh"  # session.info: {table: ids} of rows reloaded while this transaction held that lock
# Plain inserts into these tables change no row or relationship that a lock reloads.
_INSERTS_KEEP_FRESH = frozenset({"history", "notification", "outbox_message", "ledger_entry"})


def lock(session: Session, obj) -> None:
    """Lock `obj`'s row for the rest of the transaction and reload it, so every attribute read after this is
    the committed value. PostgreSQL: `SELECT ... FOR UPDATE`. SQLite ignores FOR UPDATE, so a no-op UPDATE takes
    the database's write lock instead (it serialises all writers until commit)."""
    session.flush()  # pending changes must reach the row before it is reloaded
    table = type(obj).__table__
    if session.get_bind().dialect.name != "sqlite":
        reload(session, obj, for_update=True)
        return
    transaction = session.get_transaction()
    # SQLite's write lock covers the whole database until commit: once this transaction holds it, a later
    # lock needs no statement of its own, and a row reloaded since then can only have changed through this
    # session (set-based changes forget what was reloaded, see _forget_fresh), so it is not read again.
    if transaction is None or session.info.get(_SQLITE_WRITE_LOCK) is not transaction:
        # plain SQL: an ORM/Core UPDATE would also bump `updated_at` through its onupdate
        session.execute(text(f'UPDATE "{table.name}" SET id = id WHERE id = :id'), {"id": obj.id})
        session.info[_SQLITE_WRITE_LOCK] = session.get_transaction()
        session.info[_FRESH] = {}
    elif obj.id in session.info.setdefault(_FRESH, {}).get(table.name, ()):
        return
    reload(session, obj)


def reload(session: Session, obj, for_update: bool = False) -> None:
    """Overwrite every column of `obj` with its row and reset its relationships, as expiring it would, but in one
    plain SELECT: the related rows are in the session already (a many-to-one comes back from the identity map
    without SQL), so the model's joined eager loads are left out."""
    model = type(obj)
    session.execute(_reload_query(model, for_update), {"pk": obj.id}).one()
    if session.info.get(_SQLITE_WRITE_LOCK) is session.get_transaction():
        session.info.setdefault(_FRESH, {}).setdefault(model.__table__.name, set()).add(obj.id)


@cache
def _reload_query(model, for_update: bool):
    """The reload SELECT of `model`, built once (locks run at every step of work)."""
    query = select(model).where(model.__table__.c.id == bindparam("pk")).options(lazyload("*"))
    if for_update:
        query = query.with_for_update()
    return query.execution_options(populate_existing=True)


@event.listens_for(Session, "do_orm_execute")
def _forget_fresh(state: ORMExecuteState) -> None:
    """A set-based change behind the ORM's back: after an UPDATE the next lock of a row of that table reloads
    again; after an INSERT or DELETE (which also change the rows related to others) or plain SQL, of any table."""
    fresh = state.session.info.get(_FRESH)
    if not fresh or state.is_select:
        return
    table = txn_memo.written_table(state)
    if state.is_update and table is not None:
        fresh.pop(table, None)
    elif not (state.is_insert and table in _INSERTS_KEEP_FRESH):
        fresh.clear()

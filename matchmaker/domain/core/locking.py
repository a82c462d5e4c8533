"""Row locks for guarded changes: lock a row until commit and reload it, so a rule re-checked after the lock
sees what a concurrent transaction committed first (one winner; the loser is refused, never a duplicate)."""
from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session, lazyload


def lock(session: Session, obj) -> None:
    """Lock `obj`'s row for the rest of the transaction and reload it, so every attribute read after this is
    the committed value. PostgreSQL: `SELECT ... FOR UPDATE`. SQLite ignores FOR UPDATE, so a no-op UPDATE takes
    the database's write lock instead (it serialises all writers until commit)."""
    session.flush()  # pending changes must reach the row before it is reloaded
    model = type(obj)
    table = model.__table__
    reload = select(model).where(table.c.id == obj.id)
    if session.get_bind().dialect.name == "sqlite":
        # plain SQL: an ORM/Core UPDATE would also bump `updated_at` through its onupdate
        session.execute(text(f'UPDATE "{table.name}" SET id = id WHERE id = :id'), {"id": obj.id})
    else:
        reload = reload.with_for_update()
    # Every column overwritten and every relationship reset, as by expiring it, but in one plain SELECT: the
    # related rows are already in the session (a many-to-one comes back from the identity map without SQL), so
    # the joined eager loads of the model are left out.
    session.execute(reload.options(lazyload("*")).execution_options(populate_existing=True)).one()

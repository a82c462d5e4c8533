"""Row locks for guarded changes: lock a row until commit and reload it, so a rule re-checked after the lock
sees what a concurrent transaction committed first (one winner; the loser is refused, never a duplicate)."""
from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session


def lock(session: Session, obj) -> None:
    """Lock `obj`'s row for the rest of the transaction and expire it, so every attribute read after this is
    the committed value. PostgreSQL: `SELECT ... FOR UPDATE`. SQLite ignores FOR UPDATE, so a no-op UPDATE takes
    the database's write lock instead (it serialises all writers until commit)."""
    session.flush()  # pending changes must reach the row before it is reloaded
    table = type(obj).__table__
    if session.get_bind().dialect.name == "sqlite":
        # plain SQL: an ORM/Core UPDATE would also bump `updated_at` through its onupdate
        session.execute(text(f'UPDATE "{table.name}" SET id = id WHERE id = :id'), {"id": obj.id})
    else:
        session.execute(select(table.c.id).where(table.c.id == obj.id).with_for_update())
    session.expire(obj)

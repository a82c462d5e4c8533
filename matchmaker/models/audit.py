"""Append-only history of every state change (who, role, when, from, to, note) and of every change of a
record's fields (which field, old → new). Rows are chained by hash and sealed at commit (models/chain.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, JSONType, utcnow
from .chain import Chained, append_only
from .users import User


class History(Chained, Base):
    __tablename__ = "history"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(16))  # "request", "lead", "offer", ...
    entity_id: Mapped[int] = mapped_column(Integer, index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("financing_request.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_role: Mapped[str] = mapped_column(String(16), default="system")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    # a change of one field of a record (to_state "changed"): which field, and its value before and after
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship(lazy="joined")


append_only(History.__table__)


class AuditCheck(Base):
    """One run of `matchmaker audit verify`: whether every chain was intact, the first problem found, and each
    chain's head at the time (a later run checks those heads are still there, so a rewritten chain shows)."""
    __tablename__ = "audit_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ok: Mapped[bool] = mapped_column(default=False)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    problem: Mapped[str] = mapped_column(Text, default="")
    heads: Mapped[dict] = mapped_column(JSONType, default=dict)  # table -> [seq, hash]

"""Notifications: `notify` resolves an audience (users, a bank's staff, a township's officials, a role) to
users and writes one in-app notification each, plus outbox rows for the enabled external channels."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ..models import Notification, User, utcnow


def audience(session: Session, *, user_ids: Iterable[int] = (), bank_id: int | None = None,
             township_id: int | None = None, roles: Iterable[str] = ()) -> list[int]:
    """User ids for: explicit users, every active user of a bank, of a township, or of given roles."""
    clauses = []
    ids = [i for i in user_ids if i]
    if ids:
        clauses.append(User.id.in_(ids))
    if bank_id is not None:
        clauses.append(User.bank_id == bank_id)
    if township_id is not None:
        clauses.append((User.township_id == township_id) & (User.role == "township"))
    roles = list(roles)
    if roles:
        clauses.append(User.role.in_(roles))
    if not clauses:
        return []
    return list(session.scalars(select(User.id).where(User.active.is_(True), or_(*clauses)).order_by(User.id)))


def notify(session: Session, kind: str, title: str, *, body: str = "", link: str = "",
           user_ids: Iterable[int] = (), bank_id: int | None = None, township_id: int | None = None,
           roles: Iterable[str] = ()) -> list[Notification]:
    """Notify everyone in the audience (each user once). Returns the notifications written."""
    rows = []
    for uid in audience(session, user_ids=user_ids, bank_id=bank_id, township_id=township_id, roles=roles):
        row = Notification(user_id=uid, kind=kind, title=title, body=body, link=link, created_at=utcnow())
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, user_id: int, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when ids is None). Returns how many changed."""
    stmt = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_ids is not None:
        stmt = stmt.where(Notification.id.in_(list(notification_ids)))
    return session.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount

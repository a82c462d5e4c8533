"""Notifications: `notify` resolves an audience (users, a firm's users, a bank's staff, a township's officials, a
role) to users and writes one in-app notification each, plus outbox rows for the enabled external channels."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from ...models import Notification, NotificationPreference, User, utcnow
from ..accounts.people import people
from ..core.errors import DomainError, NotFound
from ..core.limits import check_phone
from . import outbox


def audience(session: Session, *, user_ids: Iterable[int] = (), bank_id: int | None = None,
             township_id: int | None = None, roles: Iterable[str] = (), firm_id: int | None = None,
             bank_roles: Iterable[str] = ()) -> list[int]:
    """User ids for: explicit users, every active user of a bank (or only its `bank_roles`), a township's
    officials, a firm's own users, or every user of given roles."""
    clauses = []
    ids = [i for i in user_ids if i]
    if ids:
        clauses.append(User.id.in_(ids))
    if bank_id is not None:
        bank_roles = list(bank_roles)
        clauses.append(and_(User.bank_id == bank_id, User.role.in_(bank_roles)) if bank_roles
                       else User.bank_id == bank_id)
    if township_id is not None:
        clauses.append((User.township_id == township_id) & (User.role == "township"))
    if firm_id is not None:
        clauses.append((User.firm_id == firm_id) & (User.role == "enterprise"))
    roles = list(roles)
    if roles:
        clauses.append(User.role.in_(roles))
    if not clauses:
        return []
    return list(session.scalars(select(User.id).where(User.active.is_(True), people(), or_(*clauses))
                                .order_by(User.id)))


def notify(session: Session, kind: str, title: str, *, body: str = "", link: str = "",
           user_ids: Iterable[int] = (), bank_id: int | None = None, township_id: int | None = None,
           roles: Iterable[str] = (), firm_id: int | None = None,
           bank_roles: Iterable[str] = ()) -> list[Notification]:
    """Notify everyone in the audience (each user once). Returns the notifications written."""
    uids = audience(session, user_ids=user_ids, bank_id=bank_id, township_id=township_id, roles=roles,
                    firm_id=firm_id, bank_roles=bank_roles)
    return write(session, [dict(user_id=uid, kind=kind, title=title[:200], body=body, link=link) for uid in uids])


def write(session: Session, entries: list[dict]) -> list[Notification]:
    """Write prepared notifications (user_id, kind, title, body, link) and queue their outbox messages."""
    now = utcnow()
    rows = [Notification(created_at=now, **entry) for entry in entries]
    session.add_all(rows)
    session.flush()
    outbox.enqueue(session, rows)
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


def inbox(user_id: int, kind: str = "", unread_only: bool = False):
    """The user's notifications, unread first, newest first."""
    query = select(Notification).where(Notification.user_id == user_id)
    if kind:
        query = query.where(Notification.kind == kind)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    unread_first = case((Notification.read_at.is_(None), 0), else_=1)
    return query.order_by(unread_first, Notification.created_at.desc(), Notification.id.desc())


def open_notification(session: Session, user_id: int, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read and return it (NotFound for anyone else's)."""
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != user_id:
        raise NotFound("通知不存在")
    if row.read_at is None:
        row.read_at = utcnow()
    return row


def preference_for(session: Session, user: User) -> NotificationPreference:
    """The user's preference row (a transient default when none is stored)."""
    return session.get(NotificationPreference, user.id) or NotificationPreference(
        user_id=user.id, email="", sms_phone="", sms_enabled=True)


def save_preference(session: Session, user: User, *, email: str = "", sms_phone: str = "",
                    sms_enabled: bool = True) -> NotificationPreference:
    """Store where the user receives external notices; addresses are checked lightly."""
    email = (email or "").strip()
    sms_phone = (sms_phone or "").strip()
    if email and ("@" not in email or email.startswith("@") or email.endswith("@") or " " in email):
        raise DomainError("邮箱地址格式不正确", field="email")
    sms_phone = check_phone(sms_phone, "手机号", "sms_phone")
    row = session.get(NotificationPreference, user.id)
    if row is None:
        row = NotificationPreference(user_id=user.id)
        session.add(row)
    row.email, row.sms_phone, row.sms_enabled = email, sms_phone, bool(sms_enabled)
    return row

"""Notifications: `notify` resolves an audience (users, a firm's users, a bank's staff, a township's officials, a
role) to users and writes one in-app notification each, plus outbox rows for the enabled external channels.

Each notice is written in its RECIPIENT's language (issue 19): the caller gives the title and body as Chinese
msgids marked with N_ and their values apart, `notify(..., N_("%(bank)s已认领您的融资需求 %(no)s"),
params={"bank": name, "no": number})`, never a finished sentence, and every recipient's row is rendered with
`translate.text(user.locale, …)` (no locale: Chinese). A value is shown as given (names, numbers, text users
typed), except one named `label` / `…_label` (a marked msgid: a state, a reason, translated) and a callable,
called with the recipient's locale: `amount(yuan)` for money, `joined(msgids)` for a list of labels."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.orm import Session

from ...models import ApiToken, Notification, NotificationPreference, User, utcnow
from ...text import N_
from ..accounts.people import people
from ..core import txn_memo
from ..core.errors import DomainError, NotFound
from ..core.limits import check_phone
from ..core.money import amount_text, is_english
from ..core.translate import text
from . import outbox

Params = Mapping[str, object]


def amount(yuan) -> Callable[[str | None], str]:
    """A money value for a notice's params: shown in each recipient's form ('800 万元', 'CNY 8m')."""
    return lambda locale: amount_text(yuan, locale)


def joined(labels: Iterable[str]) -> Callable[[str | None], str]:
    """Labels (marked msgids) for a notice's params, translated and listed as the recipient's language lists."""
    labels = list(labels)
    return lambda locale: (", " if is_english(locale) else "、").join(text(locale, label) for label in labels)


def phrase(message: str, **params) -> Callable[[str | None], str]:
    """A piece of a notice that is itself a msgid with values (e.g. N_("（%(note)s）")), for another's params."""
    return lambda locale: render(locale, message, params)


def render(locale: str | None, message: str, params: Params | None = None) -> str:
    """A notice's title or body (a msgid) in `locale`, its named values filled in (see the module's docstring)."""
    if not message:
        return ""
    values = {k: (v(locale) if callable(v) else v) for k, v in (params or {}).items()}
    return text(locale, message, **values)


def user_locales(session: Session, user_ids: Iterable[int]) -> dict[int, str | None]:
    """Each user's chosen language (None: Chinese), in one query."""
    ids = list({i for i in user_ids if i})
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.locale).where(User.id.in_(ids))).all())


def localised(session: Session, entries: list[dict], locales: dict[int, str | None] | None = None) -> list[dict]:
    """Prepared notices whose title and body are msgids (with their `params`) -> rows in each recipient's
    language, ready to insert (title cut to its column). `locales`: the recipients' languages when known."""
    if locales is None:
        locales = user_locales(session, (e["user_id"] for e in entries))
    rows = []
    for entry in entries:
        entry = dict(entry)
        params = entry.pop("params", None)
        locale = locales.get(entry["user_id"])
        entry["title"] = render(locale, entry.get("title", ""), params)[:200]
        entry["body"] = render(locale, entry.get("body", ""), params)
        rows.append(entry)
    return rows


def audience(session: Session, **who) -> list[int]:
    """User ids for: explicit users, every active user of a bank (or only its `bank_roles`), a township's
    officials, a firm's own users, or every user of given roles."""
    return [uid for uid, _locale in _recipients(session, **who)]


def _recipients(session: Session, *, user_ids: Iterable[int] = (), bank_id: int | None = None,
                township_id: int | None = None, roles: Iterable[str] = (), firm_id: int | None = None,
                bank_roles: Iterable[str] = ()) -> list[tuple[int, str | None]]:
    """(user id, language) of the audience (see `audience`): one query gives whom to write to and in what."""
    ids = tuple(i for i in user_ids if i)
    bank_roles, roles = tuple(bank_roles), tuple(roles)
    if not (ids or bank_id is not None or township_id is not None or firm_id is not None or roles):
        return []
    key = (ids, bank_id, bank_roles, township_id, firm_id, roles)
    # one change of work notifies the same people several times: the query is built only when not answered yet
    return txn_memo.memo(session, _ACCOUNT_TABLES, ("audience", key),
                         lambda: _read_recipients(session, ids, bank_id, bank_roles, township_id, firm_id, roles))


def _read_recipients(session: Session, ids: tuple, bank_id: int | None, bank_roles: tuple, township_id: int | None,
                     firm_id: int | None, roles: tuple) -> list[tuple[int, str | None]]:
    clauses = []
    if ids:
        clauses.append(User.id.in_(ids))
    if bank_id is not None:
        clauses.append(and_(User.bank_id == bank_id, User.role.in_(bank_roles)) if bank_roles
                       else User.bank_id == bank_id)
    if township_id is not None:
        clauses.append((User.township_id == township_id) & (User.role == "township"))
    if firm_id is not None:
        clauses.append((User.firm_id == firm_id) & (User.role == "enterprise"))
    if roles:
        clauses.append(User.role.in_(roles))
    return [tuple(row) for row in session.execute(
        select(User.id, User.locale).where(User.active.is_(True), people(), or_(*clauses)).order_by(User.id))]


_ACCOUNT_TABLES = (User.__tablename__, ApiToken.__tablename__)


def notify(session: Session, kind: str, title: str, *, body: str = "", params: Params | None = None,
           link: str = "", user_ids: Iterable[int] = (), bank_id: int | None = None, township_id: int | None = None,
           roles: Iterable[str] = (), firm_id: int | None = None,
           bank_roles: Iterable[str] = ()) -> list[Notification]:
    """Notify everyone in the audience (each user once), each in their own language: `title` and `body` are
    msgids, `params` their named values. Returns the notifications written."""
    locales = dict(_recipients(session, user_ids=user_ids, bank_id=bank_id, township_id=township_id, roles=roles,
                               firm_id=firm_id, bank_roles=bank_roles))
    return write(session, [dict(user_id=uid, kind=kind, title=title, body=body, params=params, link=link)
                           for uid in locales], locales)


# Built once, on the table: the ORM's bulk INSERT would send the same statement through its unit of work.
_INSERT = insert(Notification.__table__).returning(*(Notification.__table__.c[name] for name in (
    "id", "user_id", "kind", "title", "body", "link", "created_at")))


def write(session: Session, entries: list[dict], locales: dict[int, str | None] | None = None) -> list:
    """Write prepared notifications (user_id, kind, title, body as msgids, their `params`, link), each in its
    recipient's language (`locales` when the caller has them), and queue their outbox messages. Returns the rows
    written (id, user_id, kind, title, body, link, created_at) — one INSERT for all of them, not ORM objects."""
    if not entries:
        return []
    now = utcnow()
    values = [{"user_id": e["user_id"], "kind": e.get("kind", "other"), "title": e["title"], "body": e.get("body", ""),
               "link": e.get("link", ""), "created_at": e.get("created_at", now)}
              for e in localised(session, entries, locales)]
    rows = session.execute(_INSERT, values).all()
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


def inbox_page(session: Session, user_id: int, kind: str = "", unread_only: bool = False, offset: int = 0,
               limit: int = 25) -> tuple[list[Notification], int, int]:
    """One page of `inbox` (the same rows in the same order), the number of notices in it and of unread ones.
    The unread and the read notices are read apart, each newest first along the (user, created) index, instead
    of sorting all of a user's notices (tens of thousands for a township's official) by read-or-not for every
    page."""
    where = [Notification.user_id == user_id] + ([Notification.kind == kind] if kind else [])
    unread_where, read_where = where + [Notification.read_at.is_(None)], where + [Notification.read_at.is_not(None)]
    unread = session.scalar(select(func.count()).select_from(Notification).where(*unread_where)) or 0
    total = unread if unread_only else (
        session.scalar(select(func.count()).select_from(Notification).where(*where)) or 0)
    newest = (Notification.created_at.desc(), Notification.id.desc())
    rows = list(session.scalars(select(Notification).where(*unread_where).order_by(*newest)
                                .offset(min(offset, unread)).limit(max(0, min(limit, unread - offset)))))
    if not unread_only:  # run even when the unread fill the page, so the page's statements are always the same
        rows += session.scalars(select(Notification).where(*read_where).order_by(*newest)
                                .offset(max(0, offset - unread)).limit(limit - len(rows)))
    return rows, total, unread


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
    sms_phone = check_phone(sms_phone, N_("手机号"), "sms_phone")
    row = session.get(NotificationPreference, user.id)
    if row is None:
        row = NotificationPreference(user_id=user.id)
        session.add(row)
    row.email, row.sms_phone, row.sms_enabled = email, sms_phone, bool(sms_enabled)
    return row

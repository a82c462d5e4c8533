"""Matchmaking events (银企对接活动): create and edit an event, who may organise, see or present at it, and each
role's calendar of events."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from ...models import Bank, EventBank, EventInvitation, EventProduct, Firm, MatchmakingEvent, Product, User, utcnow
from ...models.events import EVENT_KINDS, LEADING_INDUSTRIES
from ...models.firms import INDUSTRIES
from ...text import N_
from ..core import locking
from ..core.errors import Conflict, DomainError, Forbidden, NotFound
from ..core.limits import add_years, check_column, check_date_between, check_length
from ..notify import notifications

CST = timezone(timedelta(hours=8))
MAX_CAPACITY = 5000
DESCRIPTION_MAX = 2000
EVENT_YEARS_AHEAD = 2  # an event is set from today to two years ahead


def local_now() -> datetime:
    """Beijing wall-clock time, naive (events are stored that way)."""
    return utcnow() + timedelta(hours=8)


def local_today() -> date:
    return local_now().date()


def to_local(utc_naive: datetime | None) -> datetime | None:
    """A stored naive-UTC timestamp as naive Beijing time."""
    if utc_naive is None:
        return None
    return utc_naive.replace(tzinfo=timezone.utc).astimezone(CST).replace(tzinfo=None)


def event_path(event_id: int, page: str = "") -> str:
    """Link to an event page, for notifications (the domain knows no url_for)."""
    return f"/events/{event_id}" + (f"/{page}" if page else "")


# --- who may do what ------------------------------------------------------------------------------------

def can_manage(actor: User, event: MatchmakingEvent) -> bool:
    """The district manages every event; a township official the events of their township."""
    if actor.role == "district":
        return True
    return actor.role == "township" and event.township_id is not None and event.township_id == actor.township_id


def presents_at(actor: User, event: MatchmakingEvent) -> bool:
    return actor.is_bank and actor.bank_id in event.bank_ids


def visible_events(actor: User) -> Select:
    """Events in the actor's calendar: organised by them, presented at by their bank, or their firm invited."""
    query = select(MatchmakingEvent)
    if actor.role == "district":
        return query
    if actor.role == "township":
        invited_here = (select(EventInvitation.event_id).join(Firm, Firm.id == EventInvitation.firm_id)
                        .where(Firm.township_id == actor.township_id))
        return query.where(or_(MatchmakingEvent.township_id == actor.township_id,
                               MatchmakingEvent.organiser_id == actor.id,
                               MatchmakingEvent.id.in_(invited_here)))
    if actor.is_bank:
        return query.where(MatchmakingEvent.id.in_(select(EventBank.event_id)
                                                   .where(EventBank.bank_id == actor.bank_id)))
    if actor.role == "enterprise":
        return query.where(MatchmakingEvent.id.in_(select(EventInvitation.event_id)
                                                   .where(EventInvitation.firm_id == actor.firm_id)))
    return query.where(MatchmakingEvent.id.is_(None))


def get_event_for(session: Session, actor: User, event_id: int, manage: bool = False) -> MatchmakingEvent:
    """The event if the actor may see it (or, with `manage`, organise it); NotFound / Forbidden otherwise."""
    event = session.get(MatchmakingEvent, event_id)
    if event is None:
        raise NotFound("对接活动不存在")
    if manage:
        if not can_manage(actor, event):
            raise Forbidden("只有主办镇街或区金融监管局可以管理该活动")
        return event
    if can_manage(actor, event):
        return event
    if session.scalar(visible_events(actor).where(MatchmakingEvent.id == event_id).with_only_columns(
            MatchmakingEvent.id)) is None:
        raise Forbidden("无权查看该活动")
    return event


# --- create and edit ------------------------------------------------------------------------------------

def _clean(session: Session, actor: User, values: dict, event: MatchmakingEvent | None) -> dict:
    """Check an event's fields; returns them cleaned. Errors name the form field."""
    title = check_column(values.get("title"), MatchmakingEvent.title, N_("活动名称"))
    if not title:
        raise DomainError("请填写活动名称", field="title")
    kind = values.get("kind")
    if kind not in EVENT_KINDS:
        raise DomainError("请选择活动类型", field="kind")
    industry = values.get("industry") or None
    if kind == "industry" and industry not in LEADING_INDUSTRIES:
        raise DomainError("产业专场请选择四大主导产业之一（新材料、环保水处理剂、高端纺织服装、大健康医疗器械）", field="industry")
    if industry is not None and industry not in INDUSTRIES:
        raise DomainError("行业不正确", field="industry")
    township_id = values.get("township_id") or None
    if actor.role == "township":
        if township_id not in (None, actor.township_id):
            raise Forbidden("镇街只能主办本镇街的活动")
        township_id = actor.township_id
    elif actor.role != "district":
        raise Forbidden("只有镇街或区金融监管局可以主办对接活动")
    if kind == "township" and township_id is None:
        raise DomainError("镇街专场请选择镇街", field="township_id")
    starts_at = values.get("starts_at")
    if not isinstance(starts_at, datetime):
        raise DomainError("请填写活动日期和时间", field="starts_on")
    if event is None or starts_at.replace(second=0, microsecond=0) != event.starts_at:
        today = local_today()
        check_date_between(starts_at.date(), today, add_years(today, EVENT_YEARS_AHEAD), N_("活动日期"), "starts_on")
    venue = check_column(values.get("venue"), MatchmakingEvent.venue, N_("活动地点"))
    if not venue:
        raise DomainError("请填写活动地点", field="venue")
    capacity = values.get("capacity")
    if not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
        raise DomainError("容量应为1–%(max)s家企业", field="capacity", max=MAX_CAPACITY)
    if event is not None:
        attended = session.scalar(select(func.count()).select_from(EventInvitation).where(
            EventInvitation.event_id == event.id, EventInvitation.checked_in_at.is_not(None))) or 0
        if capacity < attended:
            raise DomainError("已有%(n)s家企业签到，容量不能小于%(n)s", field="capacity", n=attended)
    bank_ids = sorted({int(b) for b in values.get("bank_ids") or ()})
    banks = session.scalars(select(Bank).where(Bank.id.in_(bank_ids))).all() if bank_ids else []
    if len(banks) != len(bank_ids) or any(not b.active for b in banks):
        raise DomainError("所选银行不存在或已停用", field="bank_ids")
    if kind == "roadshow" and not bank_ids:
        raise DomainError("银行产品路演请至少选择一家银行", field="bank_ids")
    product_ids = sorted({int(p) for p in values.get("product_ids") or ()})
    products = session.scalars(select(Product).where(Product.id.in_(product_ids))).all() if product_ids else []
    if len(products) != len(product_ids):
        raise DomainError("所选产品不存在", field="product_ids")
    stray = [p.name for p in products if p.bank_id not in bank_ids]
    if stray:
        raise DomainError("所选产品的银行未勾选参加：%(names)s", field="product_ids", names="、".join(stray))
    return {"title": title, "kind": kind, "industry": industry, "township_id": township_id,
            "starts_at": starts_at.replace(second=0, microsecond=0), "venue": venue, "capacity": capacity,
            "description": check_length(values.get("description"), DESCRIPTION_MAX, N_("活动说明"), "description"),
            "bank_ids": bank_ids,
            "product_ids": product_ids}


def _sync_participants(session: Session, event: MatchmakingEvent, bank_ids: list[int],
                       product_ids: list[int]) -> list[int]:
    """Make the event's banks and products the given ones; returns the newly added bank ids."""
    from ...models import EventIntention

    current = {b.bank_id: b for b in event.banks}
    removed = set(current) - set(bank_ids)
    if removed:
        busy = session.scalars(select(Bank.name).join(EventIntention, EventIntention.bank_id == Bank.id).where(
            EventIntention.event_id == event.id, Bank.id.in_(removed)).distinct()).all()
        if busy:
            raise Conflict("已登记意向的银行不能移出活动：%(names)s", names="、".join(busy))
    for bank_id in removed:
        event.banks.remove(current[bank_id])
    added = [b for b in bank_ids if b not in current]
    for bank_id in added:
        event.banks.append(EventBank(bank_id=bank_id))
    wanted = set(product_ids)
    for row in list(event.products):
        if row.product_id not in wanted:
            event.products.remove(row)
    have = {row.product_id for row in event.products}
    for product_id in product_ids:
        if product_id not in have:
            event.products.append(EventProduct(product_id=product_id))
    return added


def _notify_banks(session: Session, event: MatchmakingEvent, bank_ids: list[int]) -> None:
    when = event.starts_at.strftime("%Y-%m-%d %H:%M")
    for bank_id in bank_ids:
        notifications.notify(session, "event", N_("邀请参加银企对接活动：%(event)s"),
                             body=N_("%(when)s，%(venue)s。请安排客户经理到场推介产品。"),
                             params={"event": event.title, "when": when, "venue": event.venue},
                             link=event_path(event.id), bank_id=bank_id)


def create_event(session: Session, actor: User, **values) -> MatchmakingEvent:
    """A township official (their township) or the district (any) creates an event; its banks are notified."""
    clean = _clean(session, actor, values, None)
    bank_ids, product_ids = clean.pop("bank_ids"), clean.pop("product_ids")
    event = MatchmakingEvent(organiser_id=actor.id, **clean)
    session.add(event)
    added = _sync_participants(session, event, bank_ids, product_ids)
    session.flush()
    _notify_banks(session, event, added)
    return event


def update_event(session: Session, actor: User, event: MatchmakingEvent, **values) -> MatchmakingEvent:
    """Edit an event; banks added now are notified."""
    if not can_manage(actor, event):
        raise Forbidden("只有主办镇街或区金融监管局可以修改该活动")
    lock(session, event)
    if actor.role == "township" and values.get("township_id") in (None, ""):
        values["township_id"] = event.township_id
    clean = _clean(session, actor, values, event)
    bank_ids, product_ids = clean.pop("bank_ids"), clean.pop("product_ids")
    for key, value in clean.items():
        setattr(event, key, value)
    added = _sync_participants(session, event, bank_ids, product_ids)
    session.flush()
    _notify_banks(session, event, added)
    return event


def cancel_event(session: Session, actor: User, event: MatchmakingEvent) -> MatchmakingEvent:
    """Cancel an event that has not happened; banks and invited firms are told."""
    if not can_manage(actor, event):
        raise Forbidden("只有主办镇街或区金融监管局可以取消该活动")
    lock(session, event)
    if event.cancelled:
        raise Conflict("该活动已取消")
    if event.starts_at.date() < local_today():
        raise DomainError("活动已举办，不能取消")
    event.cancelled = True
    firm_users = select(User.id).join(EventInvitation, EventInvitation.firm_id == User.firm_id).where(
        EventInvitation.event_id == event.id, User.role == "enterprise")
    title, params = N_("银企对接活动已取消：%(event)s"), {"event": event.title}
    notifications.notify(session, "event", title, params=params, link=event_path(event.id),
                         user_ids=session.scalars(firm_users).all())
    for bank_id in event.bank_ids:
        notifications.notify(session, "event", title, params=params, link=event_path(event.id), bank_id=bank_id)
    return event


def lock(session: Session, event: MatchmakingEvent) -> None:
    """Serialise changes of one event (seat-taking, edits, cancelling) until commit; the event and counts read
    after it are fresh."""
    locking.lock(session, event)


def is_past(event: MatchmakingEvent, today: date | None = None) -> bool:
    return event.starts_at.date() < (today or local_today())

"""The event day: find a firm on the list (name, pinyin initials, USCC), check it in with one click, register
walk-ins (a known firm, or a new one by its USCC), with capacity and double check-in refused clearly."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ...models import EventInvitation, Firm, MatchmakingEvent, User, utcnow
from ...models.firms import INDUSTRIES
from ..core.errors import Conflict, DomainError, Forbidden, NotFound
from ..core.limits import check_phone
from ..firms import uscc as uscc_rules
from ..firms.records import search_clause, set_firm_name
from . import organising as events
from .invitations import invitable_firms, invitation_of, may_invite


@dataclass
class Attendance:
    invited: int
    accepted: int
    declined: int
    attended: int
    walk_ins: int
    capacity: int

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.attended)


def attendance(session: Session, event: MatchmakingEvent) -> Attendance:
    """Counts for the event: invited (not walk-ins), accepted, declined, attended, walk-ins."""
    rows = session.execute(select(EventInvitation.source, EventInvitation.state,
                                  EventInvitation.checked_in_at.is_not(None), func.count())
                           .where(EventInvitation.event_id == event.id)
                           .group_by(EventInvitation.source, EventInvitation.state,
                                     EventInvitation.checked_in_at.is_not(None))).all()
    invited = accepted = declined = attended = walk_ins = 0
    for source, state, checked, n in rows:
        if source == "walk_in":
            walk_ins += n
        else:
            invited += n
            accepted += n if state == "accepted" else 0
            declined += n if state == "declined" else 0
        attended += n if checked else 0
    return Attendance(invited, accepted, declined, attended, walk_ins, event.capacity)


def _check_day(actor: User, event: MatchmakingEvent) -> None:
    if not events.can_manage(actor, event):
        raise Forbidden("只有主办镇街或区金融监管局可以办理签到")
    if event.cancelled:
        raise DomainError("该活动已取消")
    today = events.local_today()
    if event.starts_at.date() > today:
        raise DomainError("活动尚未开始，签到将于 %(day)s 当天开放", day=event.starts_at.date().isoformat())


def search_list(session: Session, event: MatchmakingEvent, term: str, limit: int = 50) -> list[EventInvitation]:
    """Firms on the event's list matching the search (all of them when the box is empty), not yet checked in
    first."""
    query = select(EventInvitation).join(Firm, Firm.id == EventInvitation.firm_id).where(
        EventInvitation.event_id == event.id)
    clause = search_clause(term)
    if clause is not None:
        query = query.where(clause)
    query = query.order_by(EventInvitation.checked_in_at.is_not(None), Firm.name_initials, Firm.id).limit(limit)
    return list(session.scalars(query))


def search_walk_in(session: Session, actor: User, event: MatchmakingEvent, term: str, limit: int = 10) -> list[Firm]:
    """Known firms the actor may register on the spot (not on the list yet) matching the search."""
    clause = search_clause(term)
    if clause is None:
        return []
    on_list = select(EventInvitation.firm_id).where(EventInvitation.event_id == event.id)
    query = invitable_firms(actor).where(clause, Firm.id.not_in(on_list)).order_by(Firm.name).limit(limit)
    return list(session.scalars(query))


def _seat(session: Session, event: MatchmakingEvent) -> None:
    now = attendance(session, event)
    if now.attended >= event.capacity:
        raise DomainError("会场已满：容量 %(capacity)s 家，已签到 %(attended)s 家。如确需加座，请先在“编辑活动”中调高容量。",
                          capacity=event.capacity, attended=now.attended)


def _mark(session: Session, actor: User, inv: EventInvitation) -> EventInvitation:
    if inv.checked_in_at is not None:
        at = events.to_local(inv.checked_in_at)
        raise Conflict("%(firm)s 已于 %(time)s 签到，请勿重复签到", firm=inv.firm.name, time=f"{at:%H:%M}")
    inv.checked_in_at = utcnow()
    inv.checked_in_by_id = actor.id
    inv.state = "accepted"
    session.flush()
    return inv


def check_in(session: Session, actor: User, event: MatchmakingEvent, invitation_id: int) -> EventInvitation:
    """One click: check in a firm on the list."""
    _check_day(actor, event)
    inv = session.get(EventInvitation, invitation_id)
    if inv is None or inv.event_id != event.id:
        raise NotFound("该企业不在本次活动名单中")
    events.lock(session, event)
    session.refresh(inv)
    if inv.checked_in_at is None:
        _seat(session, event)
    return _mark(session, actor, inv)


def walk_in(session: Session, actor: User, event: MatchmakingEvent, firm_id: int) -> EventInvitation:
    """Register a known firm that came without an invitation, and check it in."""
    _check_day(actor, event)
    firm = session.get(Firm, firm_id)
    if firm is None:
        raise NotFound("企业不存在")
    return _admit(session, actor, event, firm)


def _admit(session: Session, actor: User, event: MatchmakingEvent, firm: Firm) -> EventInvitation:
    events.lock(session, event)
    inv = invitation_of(session, event.id, firm.id)
    if inv is not None:
        session.refresh(inv)
    if inv is None and not may_invite(actor, firm):
        raise Forbidden("该企业不属于本镇街，不能在本镇街的活动登记；请由区金融监管局工作人员登记")
    if inv is not None and inv.checked_in_at is not None:
        return _mark(session, actor, inv)  # raises the double check-in message
    _seat(session, event)
    if inv is None:
        inv = EventInvitation(event_id=event.id, firm_id=firm.id, firm=firm, state="accepted", source="walk_in",
                              invited_by_id=actor.id, invited_at=utcnow())
        session.add(inv)
    return _mark(session, actor, inv)


def walk_in_new_firm(session: Session, actor: User, event: MatchmakingEvent, *, uscc: str, name: str,
                     township_id: int | None = None, industry: str | None = None, has_bank_loan: bool = False,
                     contact_person: str = "", contact_phone: str = "") -> EventInvitation:
    """Register a walk-in by its USCC: the known firm with that code, or a new firm, then check it in."""
    _check_day(actor, event)
    try:
        code = uscc_rules.validate(uscc)
    except uscc_rules.InvalidUSCC as exc:
        raise DomainError(str(exc), field="uscc") from exc
    firm = session.scalar(select(Firm).where(Firm.uscc == code))
    if firm is None:
        if not (name or "").strip():
            raise DomainError("请填写企业名称", field="name")
        if actor.role == "township":
            township_id = actor.township_id
        township_id = township_id or event.township_id
        if township_id is None:
            raise DomainError("请选择企业所属镇街", field="township_id")
        industry = industry or event.industry or "other"
        if industry not in INDUSTRIES:
            raise DomainError("行业不正确", field="industry")
        firm = Firm(uscc=code, township_id=township_id, industry=industry, has_bank_loan=bool(has_bank_loan),
                    contact_person=(contact_person or "").strip(),
                    contact_phone=check_phone(contact_phone, "联系电话", "contact_phone"))
        set_firm_name(firm, name)
        session.add(firm)
        session.flush()
    return _admit(session, actor, event, firm)


def attendance_by_event(session: Session, event_ids: list[int]) -> dict[int, dict[str, int]]:
    """For an event list: invited, accepted and attended per event, in one query."""
    if not event_ids:
        return {}
    rows = session.execute(
        select(EventInvitation.event_id,
               func.sum(case((EventInvitation.source != "walk_in", 1), else_=0)),
               func.sum(case((EventInvitation.state == "accepted", 1), else_=0)),
               func.sum(case((EventInvitation.checked_in_at.is_not(None), 1), else_=0)))
        .where(EventInvitation.event_id.in_(event_ids)).group_by(EventInvitation.event_id))
    return {eid: {"invited": int(a or 0), "accepted": int(b or 0), "attended": int(c or 0)} for eid, a, b, c in rows}

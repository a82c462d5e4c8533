"""Intentions (签约意向 / 对接意向) recorded at an event: each becomes a financing request with one lead already
claimed by the bank, so it follows the normal lifecycle; the organiser's follow-up list of intentions with no
progress after N working days, and their escalation."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from ...models import EventIntention, FinancingRequest, History, Lead, MatchmakingEvent, Product, User, utcnow
from ...models.events import INTENTION_KINDS
from ...models.users import BANK_ROLES
from ...text import N_
from ..accounts.people import people
from ..core import locking, settings
from ..core.errors import DomainError, Forbidden
from ..core.workdays import workdays_between
from ..notify import notifications
from ..requests import financing, lifecycle
from ..requests.labels import lead_no
from . import organising as events
from .invitations import invitation_of

FOLLOWUP_SETTING = "event_followup_workdays"
FOLLOWUP_DEFAULT = 5
FOLLOWUP_STATES = ("claimed", "contacted", "in_review", "approved")
DEFAULT_TERM_MONTHS = 12


def followup_workdays(session: Session) -> int:
    """Working days without progress after which an intention is on the follow-up list (a district setting)."""
    value = settings.get(session, FOLLOWUP_SETTING)
    return int(value) if value else FOLLOWUP_DEFAULT


def set_followup_workdays(session: Session, actor: User, days: int) -> int:
    """Change the follow-up period; returns the new number of working days."""
    if actor.role != "district":
        raise Forbidden("只有区金融监管局可以修改跟进期限")
    if not 1 <= int(days) <= 60:
        raise DomainError("跟进期限应为1–60个工作日", field="workdays")
    settings.put(session, FOLLOWUP_SETTING, int(days))
    return int(days)


def bank_staff(session: Session, bank_id: int) -> list[User]:
    """Active account managers and administrators of a bank (who may own an event's lead)."""
    return list(session.scalars(select(User).where(User.bank_id == bank_id, User.role.in_(BANK_ROLES),
                                                   User.active.is_(True), people())
                                .order_by(User.role.desc(), User.id)))


def can_record(actor: User, event: MatchmakingEvent) -> bool:
    return events.can_manage(actor, event) or events.presents_at(actor, event)


def visible_intentions(actor: User | None, event_id: int | None = None) -> Select:
    """Intentions the actor may list: the organiser's events, the district all, a bank only its own (None:
    all, for the system's sweep)."""
    query = select(EventIntention)
    if event_id is not None:
        query = query.where(EventIntention.event_id == event_id)
    if actor is None or actor.role == "district":
        return query
    if actor.role == "township":
        return query.join(MatchmakingEvent, MatchmakingEvent.id == EventIntention.event_id).where(
            MatchmakingEvent.township_id == actor.township_id)
    if actor.is_bank:
        return query.where(EventIntention.bank_id == actor.bank_id)
    return query.where(EventIntention.id.is_(None))


def _manager_for(session: Session, actor: User, bank_id: int, manager_id: int | None) -> User:
    if actor.role == "bank_manager":
        return actor
    if manager_id is None and actor.is_bank:
        return actor
    manager = session.get(User, manager_id) if manager_id else None
    if manager is None or manager.bank_id != bank_id or manager.role not in BANK_ROLES or not manager.active:
        if not bank_staff(session, bank_id):
            raise DomainError("该银行尚无客户经理账户，请联系区金融监管局开通", field="manager_id")
        raise DomainError("请选择该银行负责跟进的客户经理", field="manager_id")
    return manager


def record_intention(session: Session, actor: User, event: MatchmakingEvent, *, firm_id: int, bank_id: int,
                     product_id: int, amount_yuan: int, kind: str = "contact", term_months: int = DEFAULT_TERM_MONTHS,
                     manager_id: int | None = None, note: str = "") -> EventIntention:
    """Record bank × firm × product × amount; it becomes a request (routed) with a lead claimed by the bank."""
    if not can_record(actor, event):
        raise Forbidden("只有主办方或参会银行可以登记意向")
    if actor.is_bank and bank_id != actor.bank_id:
        raise Forbidden("只能登记本行的意向")
    events.lock(session, event)  # a double click must not record the same intention twice
    if event.cancelled:
        raise DomainError("该活动已取消")
    if bank_id not in event.bank_ids:
        raise DomainError("该银行未参加本次活动", field="bank_id")
    inv = invitation_of(session, event.id, firm_id) if firm_id else None
    if inv is None or inv.checked_in_at is None:
        raise DomainError("请选择已签到的企业", field="firm_id")
    product = session.get(Product, product_id) if product_id else None
    if product is None or product.bank_id != bank_id or not product.active:
        raise DomainError("请选择该银行的在售产品", field="product_id")
    if kind not in INTENTION_KINDS:
        raise DomainError("请选择意向类型", field="kind")
    purpose = f"银企对接活动「{event.title}」{INTENTION_KINDS[kind]}" + (f"：{note.strip()}" if note.strip() else "")
    financing.validate_request_values(int(amount_yuan), int(term_months), purpose, "none")
    twin = session.scalar(select(EventIntention.id).where(
        EventIntention.event_id == event.id, EventIntention.firm_id == firm_id,
        EventIntention.bank_id == bank_id, EventIntention.product_id == product_id))
    if twin:
        raise DomainError("该企业与%(bank)s的“%(product)s”意向已登记（#%(id)s），请勿重复登记", field="product_id",
                          bank=product.bank.name, product=product.name, id=twin)
    manager = _manager_for(session, actor, bank_id, manager_id)
    now = utcnow()
    req = FinancingRequest(firm_id=firm_id, created_by_id=actor.id, amount=int(amount_yuan),
                           term_months=int(term_months), purpose=purpose, collateral="none",
                           products_of_interest=[product.kind_code], state="routed", submitted_at=now)
    session.add(req)
    session.flush()
    origin = f"银企对接活动「{event.title}」现场{INTENTION_KINDS[kind]}"
    lifecycle.record(session, "request", req.id, req.id, actor, None, "routed", f"{origin}，由{product.bank.name}对接")
    lead = Lead(request_id=req.id, bank_id=bank_id, product_id=product.id, state="claimed", rank=1,
                score=Decimal("0"), score_parts={"event": {"value": 1.0, "weight": 0, "points": 0, "reason": origin}},
                manager_id=manager.id, claimed_at=now, created_at=now)
    session.add(lead)
    session.flush()
    lifecycle.record(session, "lead", lead.id, req.id, actor, None, "claimed", f"{origin}，客户经理：{manager.display_name}")
    intention = EventIntention(event_id=event.id, firm_id=firm_id, bank_id=bank_id, product_id=product.id, kind=kind,
                               amount=int(amount_yuan), note=(note or "").strip(), request_id=req.id, lead_id=lead.id,
                               created_by_id=actor.id, created_at=now)
    session.add(intention)
    session.flush()
    if manager.id != actor.id:
        notifications.notify(session, "new_lead", N_("对接活动意向已转为您的线索：%(firm)s"),
                             body=N_("银企对接活动「%(event)s」现场%(kind_label)s，意向金额 %(amount)s"),
                             params={"firm": inv.firm.name, "event": event.title, "kind_label": INTENTION_KINDS[kind],
                                     "amount": notifications.amount(int(amount_yuan))},
                             link=f"/bank/leads/{lead.id}", user_ids=[manager.id])
    return intention


# --- follow-up ------------------------------------------------------------------------------------------

@dataclass
class Followup:
    intention: EventIntention
    last_progress: date
    idle_workdays: int

    @property
    def lead(self) -> Lead:
        return self.intention.lead


def _last_progress(session: Session, lead_ids: list[int]) -> dict[int, datetime]:
    if not lead_ids:
        return {}
    return dict(session.execute(select(History.entity_id, func.max(History.at)).where(
        History.entity == "lead", History.entity_id.in_(lead_ids)).group_by(History.entity_id)).all())


def followups(session: Session, actor: User | None, today: date | None = None, workdays: int | None = None,
              event_id: int | None = None) -> list[Followup]:
    """Intentions (the actor's, or all when None) whose lead is still open and has not moved for at least
    `workdays` working days, the longest idle first."""
    today = today or events.local_today()
    workdays = followup_workdays(session) if workdays is None else workdays
    query = visible_intentions(actor, event_id).join(Lead, Lead.id == EventIntention.lead_id).where(
        Lead.state.in_(FOLLOWUP_STATES)).options(joinedload(EventIntention.event))
    rows = list(session.scalars(query))
    last = _last_progress(session, [r.lead_id for r in rows])
    out = []
    for row in rows:
        at = events.to_local(last.get(row.lead_id) or row.created_at)
        idle = workdays_between(at.date(), today)
        if idle >= workdays:
            out.append(Followup(row, at.date(), idle))
    out.sort(key=lambda f: (-f.idle_workdays, f.intention.id))
    return out


def escalate(session: Session, today: date | None = None, workdays: int | None = None,
             actor: User | None = None) -> int:
    """Notify the township, the district and the manager of each stale intention (the actor's, or all) once per
    lead state (kind "escalation"); running again changes nothing. Returns how many were escalated."""
    count = 0
    for item in followups(session, actor, today, workdays):
        row, lead = item.intention, item.lead
        locking.lock(session, row)  # two runs at once escalate each intention once
        if row.escalated_state == lead.state:
            continue
        event = row.event
        title = N_("对接活动意向超期未推进：%(firm)s × %(bank)s")
        body = N_("「%(event)s」意向 %(amount)s，线索 %(lead)s（%(state_label)s）已 %(days)s 个工作日无进展。")
        params = {"firm": row.firm.name, "bank": row.bank.name, "event": event.title,
                  "amount": notifications.amount(row.amount), "lead": lead_no(lead.id), "state_label": lead.state_label,
                  "days": item.idle_workdays}
        notifications.notify(session, "escalation", title, body=body, params=params, link="/events/followups",
                             township_id=event.township_id or row.firm.township_id, roles=["district"])
        notifications.notify(session, "escalation", title, body=body, params=params, link=f"/bank/leads/{lead.id}",
                             user_ids=[lead.manager_id] if lead.manager_id else [])
        row.escalated_state = lead.state
        row.escalated_at = utcnow()
        count += 1
    session.flush()
    return count

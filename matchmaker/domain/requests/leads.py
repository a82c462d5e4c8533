"""The bank's side of a lead: claim (one manager wins), contact, review, approve with an offer, decline with
a reason code, record disbursement; and what a bank user may see of a firm."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from ...models import Lead, Offer, User, utcnow
from ...models.requests import DECLINE_REASONS
from ...text import N_
from ..core import locking
from ..core.errors import Conflict, DomainError, Forbidden, NotFound
from ..core.limits import NOTE_MAX, check_length
from ..core.money import amount_text, rate_text, wan_text
from ..core.visibility import visible_to
from ..core.workdays import local_date
from . import financing, followups, lifecycle, notes
from .unmatched import close_if_unmatched


def visible_leads(actor: User) -> Select:
    return visible_to(actor, select(Lead), Lead.id, bank=Lead.bank_id == actor.bank_id)


def counts_by_state(session: Session, actor: User, groups: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """How many visible leads fall in each group of states, in one query (a tab's badge per group)."""
    sub = visible_leads(actor).subquery()
    per_state = dict(session.execute(select(sub.c.state, func.count()).group_by(sub.c.state)).all())
    return {key: sum(per_state.get(state, 0) for state in states) for key, states in groups.items()}


OVER_ASKED = N_("授信金额高于企业申请金额（%(wan)s 万元）。如确需超额授信，请勾选下方确认后再提交")


def wan_number(yuan: int) -> str:
    """An amount in 万元 without its unit, as `amount_text` writes it below 1 亿 ('100', '12.5'): for messages
    whose unit is part of the sentence, so each language writes the unit its own way."""
    text = wan_text(yuan)
    return text.rstrip("0").rstrip(".") if "." in text else text


def check_offer_amount(lead: Lead | None, amount_yuan: int, confirmed: bool) -> None:
    """An offer above what the firm asked for is allowed, but only once the bank confirms it (a typo in 万元 is
    the usual cause)."""
    if lead is not None and amount_yuan > lead.request.amount and not confirmed:
        raise DomainError(OVER_ASKED, field="amount_wan", wan=wan_number(lead.request.amount))


def get_lead_for(session: Session, actor: User, lead_id: int) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound("线索不存在")
    if actor.role == "district" or (actor.is_bank and lead.bank_id == actor.bank_id):
        return lead
    raise Forbidden("无权查看该线索")


def contact_visible(actor: User, lead: Lead) -> bool:
    """A bank sees the firm's contact person and phone only once it has claimed the lead."""
    if actor.role == "district":
        return True
    return actor.is_bank and lead.bank_id == actor.bank_id and lead.claimed_at is not None


def claim(session: Session, actor: User, lead_id: int) -> Lead:
    """Claim a routed lead for the actor. A single conditional UPDATE decides the race: exactly one wins."""
    lead = get_lead_for(session, actor, lead_id)
    if not actor.is_bank:
        raise Forbidden("只有客户经理可以认领线索")
    now = utcnow()
    result = session.execute(
        update(Lead)
        .where(Lead.id == lead_id, Lead.state == "routed", Lead.bank_id == actor.bank_id)
        .values(state="claimed", manager_id=actor.id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        raise Conflict("该线索已被认领或已失效")
    lifecycle.record(session, "lead", lead_id, lead.request_id, actor, "routed", "claimed")
    locking.reload(session, lead)
    followups.lead_claimed(session, lead)
    return lead


def _own(actor: User, lead: Lead) -> None:
    if not actor.is_bank or lead.bank_id != actor.bank_id:
        raise Forbidden("无权处理该线索")
    if actor.role == "bank_manager" and lead.manager_id not in (None, actor.id):
        raise Forbidden("该线索由其他客户经理负责")


def _locked_own(session: Session, actor: User, lead_id: int) -> Lead:
    """The actor's lead, locked (with its request) so the checks that follow see committed state."""
    lead = get_lead_for(session, actor, lead_id)
    lifecycle.lock(session, lead)
    _own(actor, lead)
    return lead


def record_contact(session: Session, actor: User, lead_id: int, note: str = "") -> Lead:
    note = check_length(note, NOTE_MAX, N_("备注"), "note")
    lead = _locked_own(session, actor, lead_id)
    lifecycle.transition(session, lead, "contacted", actor, note or notes.CONTACTED, locked=True)
    lead.contacted_at = utcnow()
    return lead


def start_review(session: Session, actor: User, lead_id: int, note: str = "") -> Lead:
    note = check_length(note, NOTE_MAX, N_("备注"), "note")
    lead = _locked_own(session, actor, lead_id)
    lifecycle.transition(session, lead, "in_review", actor, note or notes.REVIEWING, locked=True)
    return lead


def parse_rate(value) -> Decimal:
    try:
        rate = Decimal(str(value).strip())
    except (InvalidOperation, AttributeError):
        raise DomainError("年利率必须是数字", field="rate_pct") from None
    if not Decimal("0") < rate <= Decimal("24"):
        raise DomainError("年利率应在0–24%%之间", field="rate_pct", max=24)
    return rate


def approve(session: Session, actor: User, lead_id: int, *, amount_yuan: int, rate_pct: Decimal,
            term_months: int, conditions: str = "", confirm_over: bool = False) -> Offer:
    """Approval is an offer to the firm; the request becomes `offered` on its first offer. An offer above the
    requested amount needs `confirm_over` (the page's confirm box, the API's field)."""
    lead = _locked_own(session, actor, lead_id)
    if amount_yuan <= 0:
        raise DomainError("授信金额必须大于0", field="amount_wan")
    check_offer_amount(lead, amount_yuan, confirm_over)
    if not 1 <= term_months <= financing.MAX_TERM_MONTHS:
        raise DomainError("期限应在1–360个月之间", field="term_months")
    rate_pct = parse_rate(rate_pct)
    lifecycle.transition(session, lead, "approved", actor,
                         notes.note(notes.APPROVED, amount=amount_text(amount_yuan), rate=rate_text(rate_pct),
                                    term=term_months), locked=True)
    lead.decided_at = utcnow()
    offer = Offer(lead=lead, amount=amount_yuan, rate_pct=rate_pct, term_months=term_months,
                  conditions=conditions.strip())
    session.add(offer)
    session.flush()
    req = lead.request
    if req.state == "routed":
        # the request was locked with the lead by _locked_own and is unchanged since
        lifecycle.transition(session, req, "offered", None, notes.note(notes.OFFERED, bank=lead.bank.name),
                             locked=True)
    followups.lead_decided(session, lead)
    return offer


def decline(session: Session, actor: User, lead_id: int, code: str, note: str = "") -> Lead:
    """Decline with a reason code from the fixed list; 'other' needs a note. The firm always sees it."""
    lead = _locked_own(session, actor, lead_id)
    if code not in DECLINE_REASONS:
        raise DomainError("请选择拒绝原因", field="code")
    note = check_length(note, NOTE_MAX, N_("说明"), "note")
    if code == "other" and not (note or "").strip():
        raise DomainError("选择“其他原因”时请填写说明", field="note")
    label = DECLINE_REASONS[code][0]
    lifecycle.transition(session, lead, "declined", actor, notes.note(notes.DECLINED, reason_label=label, note=note) if note else label, locked=True)
    lead.decline_code = code
    lead.decline_note = (note or "").strip()
    lead.decided_at = utcnow()
    followups.lead_decided(session, lead)
    close_if_unmatched(session, lead.request)
    return lead


MAX_CORRECTION_REASON = 500


def check_disbursement(lead: Lead, amount_yuan: int, on: date) -> None:
    """A disbursement's amount is within the accepted offer; its date is neither before the approval nor after
    today (both as dates in Beijing, not on the server's clock)."""
    if amount_yuan <= 0:
        raise DomainError("放款金额必须大于0", field="amount_wan")
    if amount_yuan > lead.offer.amount:
        raise DomainError("放款金额不能超过授信金额（%(wan)s 万元）", field="amount_wan", wan=wan_number(lead.offer.amount))
    approved_on = local_date(lead.offer.created_at)
    if on < approved_on:
        raise DomainError("放款日期不能早于审批日期（%(date)s）", field="disbursed_on", date=approved_on.isoformat())
    if on > local_date():
        raise DomainError("放款日期不能晚于今天", field="disbursed_on")


def disburse(session: Session, actor: User, lead_id: int, amount_yuan: int, on: date) -> Lead:
    """Record the disbursement of an approved lead whose offer the firm has accepted."""
    lead = _locked_own(session, actor, lead_id)
    if lead.offer is None or lead.offer.state != "accepted":
        raise DomainError("企业尚未接受该授信方案，不能登记放款")
    check_disbursement(lead, amount_yuan, on)
    lifecycle.transition(session, lead, "disbursed", actor, notes.note(notes.DISBURSED, amount=amount_text(amount_yuan)),
                         locked=True)
    lead.disbursed_amount = amount_yuan
    lead.disbursed_at = on
    followups.lead_disbursed(session, lead)
    return lead


def correct_disbursement(session: Session, actor: User, lead_id: int, amount_yuan: int, on: date,
                         reason: str) -> Lead:
    """Correct a recorded disbursement's amount or date (the lead's manager or the bank's admin), under the same
    rules as recording it; the history keeps the old and the new values and the reason."""
    lead = _locked_own(session, actor, lead_id)
    if lead.state != "disbursed":
        raise Conflict("该线索尚未登记放款，不能更正，请刷新页面")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写更正原因", field="reason")
    if len(reason) > MAX_CORRECTION_REASON:
        raise DomainError("更正原因不超过%(max)d字", field="reason", max=MAX_CORRECTION_REASON)
    check_disbursement(lead, amount_yuan, on)
    changes = []
    if amount_yuan != lead.disbursed_amount:
        changes.append(f"金额 {amount_text(lead.disbursed_amount or 0)} → {amount_text(amount_yuan)}")
    if on != lead.disbursed_at:
        changes.append(f"日期 {lead.disbursed_at or '—'} → {on}")
    if not changes:
        raise DomainError("放款金额和日期均未改变", field="amount_wan")
    note = f"更正放款：{'；'.join(changes)}（原因：{reason}）"
    lifecycle.record(session, "lead", lead.id, lead.request_id, actor, "disbursed", "disbursed", note)
    lead.disbursed_amount = amount_yuan
    lead.disbursed_at = on
    followups.disbursement_corrected(session, lead, note)
    return lead

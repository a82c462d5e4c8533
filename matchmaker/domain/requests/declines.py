"""Declines from the firm's side: whether the reason is fixable by the firm and the suggested next step, and
resubmission of a fixable decline to the same bank once the firm states what it fixed (补充后重新提交)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from ...models import Lead, User
from ...models.requests import DECLINE_REASONS
from ...text import N_
from ..core.errors import Conflict, DomainError, Forbidden, NotFound
from ..core.workdays import load_calendar, local_date
from ..notify.notifications import amount, notify
from . import lifecycle
from .financing import can_file_for
from .labels import lead_no

RESUBMIT_REQUEST_STATES = ("routed", "offered", "unmatched", "referred")


@dataclass(frozen=True)
class Advice:
    label: str
    fixable: bool
    next_step: str


def advice(lead: Lead) -> Advice | None:
    """The decline's reason, whether the firm can fix it, and what to do next."""
    if lead.state != "declined" or lead.decline_code not in DECLINE_REASONS:
        return None
    label, fixable, next_step = DECLINE_REASONS[lead.decline_code]
    return Advice(label, fixable, next_step)


def resubmission_of(lead: Lead) -> Lead | None:
    """The later lead to the same bank on the same request, if the firm already resubmitted."""
    return next((x for x in lead.request.leads if x.bank_id == lead.bank_id and x.id > lead.id), None)


def can_resubmit(actor: User, lead: Lead) -> bool:
    tip = advice(lead)
    return (tip is not None and tip.fixable and actor.role in ("enterprise", "township")
            and can_file_for(actor, lead.request.firm) and lead.request.state in RESUBMIT_REQUEST_STATES
            and lead.bank.active and resubmission_of(lead) is None)


def resubmit(session: Session, actor: User, lead_id: int, statement: str, today: date | None = None,
             claim_workdays: int = 2) -> Lead:
    """Send the request back to the bank that declined it for a fixable reason, as a new routed lead with a
    fresh claim deadline; the firm's statement of what it fixed goes into the history and the bank's notice.
    An unmatched or referred request is routed again."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound("线索不存在")
    if actor.role not in ("enterprise", "township") or not can_file_for(actor, lead.request.firm):
        raise Forbidden("无权重新提交该融资需求")
    lifecycle.lock(session, lead)  # a double click must not resubmit twice
    session.expire(lead.request, ["leads"])
    tip = advice(lead)
    if tip is None or not tip.fixable:
        raise DomainError("该拒绝原因不可由企业补正，请尝试其他银行或产品")
    if resubmission_of(lead) is not None:
        raise Conflict("已向该银行重新提交过，请刷新页面")
    req = lead.request
    if req.state not in RESUBMIT_REQUEST_STATES:
        raise DomainError("该融资需求已办结，不能重新提交")
    if not lead.bank.active:
        raise DomainError("该银行暂停对接，请尝试其他银行")
    statement = (statement or "").strip()
    if not statement:
        raise DomainError("请说明已补正的内容（如已补充的资料、抵押物或担保）", field="statement")
    if len(statement) > 1000:
        raise DomainError("补正说明不超过1000字", field="statement")
    deadline = load_calendar(session).add_workdays(today or local_date(), claim_workdays)
    new = Lead(request=req, bank_id=lead.bank_id, product_id=lead.product_id, state="routed",
               rank=max(x.rank for x in req.leads) + 1, score=lead.score, score_parts=lead.score_parts,
               claim_deadline=deadline)
    session.add(new)
    session.flush()
    lifecycle.record(session, "lead", new.id, req.id, actor, None, "routed",
                     f"企业补正后重新提交（原线索 {lead_no(lead.id)}：{tip.label}）：{statement}")
    if req.state in ("unmatched", "referred"):
        lifecycle.transition(session, req, "routed", None, f"企业补正后重新提交至{lead.bank.name}")
    notify(session, "new_lead", N_("企业补正后重新提交：%(firm)s 申请 %(amount)s"),
           body=N_("原拒绝原因：%(reason_label)s。补正说明：%(statement)s。请在 %(deadline)s 前认领。"),
           params={"firm": req.firm.name, "amount": amount(req.amount), "reason_label": tip.label,
                   "statement": statement, "deadline": deadline},
           link=f"/bank/leads/{new.id}", bank_id=new.bank_id)
    return new

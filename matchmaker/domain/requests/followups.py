"""What follows a change of a request or lead: notices to exactly the people concerned, referral of unmatched
requests and the first-loan board. Routing, leads and financing call one function here per event.

Audiences: a bank's notices go to that bank only (all its staff for an unclaimed lead; the lead's manager and
the bank's admins once claimed); the firm's notices go to the firm's own users and its township's officials."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import FinancingRequest, Firm, Lead, Offer, Product, User, utcnow
from ...models.requests import DECLINE_REASONS
from ...text import N_
from ..api import webhooks
from ..core.money import rate_text
from ..notify import notifications
from ..notify.notifications import amount, notify, phrase
from ..outcomes import first_loans, referrals
from .labels import req_no

BULK_CHUNK = 5000


def lead_link(lead_id: int) -> str:
    return f"/bank/leads/{lead_id}"


def request_link(request_id: int) -> str:
    return f"/requests/{request_id}"


def _firm_side(session: Session, req: FinancingRequest, kind: str, title: str, body: str = "",
               params: dict | None = None) -> None:
    notify(session, kind, title, body=body, params=params, link=request_link(req.id), firm_id=req.firm_id,
           township_id=req.firm.township_id)


def _bank_side(session: Session, lead: Lead, kind: str, title: str, body: str = "",
               params: dict | None = None) -> None:
    if lead.manager_id is not None:
        notify(session, kind, title, body=body, params=params, link=lead_link(lead.id), user_ids=[lead.manager_id],
               bank_id=lead.bank_id, bank_roles=("bank_admin",))
    else:
        notify(session, kind, title, body=body, params=params, link=lead_link(lead.id), bank_id=lead.bank_id)


def _bank_staff(session: Session, bank_ids: Iterable[int]) -> dict[int, list[int]]:
    """Active users of each bank, in one query (without flushing the caller's pending leads first)."""
    staff: dict[int, list[int]] = defaultdict(list)
    ids = set(bank_ids)
    if ids:
        with session.no_autoflush:
            for uid, bank_id in session.execute(select(User.id, User.bank_id).where(
                    User.active.is_(True), User.bank_id.in_(ids)).order_by(User.id)):
                staff[bank_id].append(uid)
    return staff


def leads_routed(session: Session, req: FinancingRequest, leads: list[Lead]) -> None:
    """New leads: each bank's staff hears of its own lead (one query and one write for all of them)."""
    staff = _bank_staff(session, (lead.bank_id for lead in leads))
    product_ids = {lead.product_id for lead in leads if lead.product_id}
    with session.no_autoflush:
        names = dict(session.execute(select(Product.id, Product.name).where(Product.id.in_(product_ids))).all())
    entries = []
    for lead in leads:
        params = {"firm": req.firm.name, "amount": amount(req.amount), "product": names.get(lead.product_id, "—"),
                  "term": req.term_months, "deadline": lead.claim_deadline}
        entries += [{"user_id": uid, "kind": "new_lead", "title": N_("新线索：%(firm)s 申请 %(amount)s"),
                     "body": N_("匹配产品：%(product)s；期限 %(term)s 个月。请在 %(deadline)s 前认领，认领后可查看联系方式。"),
                     "params": params, "link": lead_link(lead.id)}
                    for uid in staff[lead.bank_id]]
    if entries:
        notifications.write(session, entries)
    if leads:
        first_loans.request_routed(session, req)
    webhooks.enqueue(session, "lead.new", leads)


def request_unmatched(session: Session, req: FinancingRequest) -> None:
    """No bank took the request: refer it (guarantee company, bridge fund for renewals, counselling team)."""
    referrals.refer(session, req)


def requests_unmatched(session: Session, request_ids: list[int]) -> None:
    """Bulk form of request_unmatched, for the sweep (keep the two in step)."""
    referrals.refer_many(session, request_ids)


def lead_claimed(session: Session, lead: Lead) -> None:
    req = lead.request
    manager = session.get(User, lead.manager_id) if lead.manager_id else None
    body = N_("负责的客户经理（%(manager)s）将与您联系。") if manager else N_("负责的客户经理将与您联系。")
    _firm_side(session, req, "claim", N_("%(bank)s已认领您的融资需求 %(no)s"), body,
               {"bank": lead.bank.name, "no": req_no(req.id),
                "manager": (manager.display_name or manager.username) if manager else ""})
    first_loans.lead_claimed(session, lead)


def lead_decided(session: Session, lead: Lead) -> None:
    """Approval (an offer) or a coded decline: the firm side hears the terms or the reason and next step."""
    req = lead.request
    if lead.state == "approved" and lead.offer is not None:
        o = lead.offer
        _firm_side(session, req, "offer", N_("%(bank)s给出授信方案：%(amount)s，年利率 %(rate)s，%(term)s 个月"),
                   N_("请在需求页面比较各家方案，选择一家接受。"),
                   {"bank": lead.bank.name, "amount": amount(o.amount), "rate": rate_text(o.rate_pct),
                    "term": o.term_months})
    elif lead.state == "declined":
        label, fixable, next_step = DECLINE_REASONS.get(lead.decline_code or "", (N_("其他原因"), False, ""))
        body = N_("%(reason_label)s%(note)s。可由企业补正后重新提交。建议：%(advice_label)s") if fixable else \
            N_("%(reason_label)s%(note)s。不可补正。建议：%(advice_label)s")
        _firm_side(session, req, "decision", N_("%(bank)s未能批准融资需求 %(no)s：%(reason_label)s"), body,
                   {"bank": lead.bank.name, "no": req_no(req.id), "reason_label": label, "advice_label": next_step,
                    "note": phrase(N_("（%(note)s）"), note=lead.decline_note) if lead.decline_note else ""})


def lead_disbursed(session: Session, lead: Lead) -> None:
    _firm_side(session, lead.request, "outcome", N_("%(bank)s已登记放款 %(amount)s，请确认资金到账"),
               params={"bank": lead.bank.name, "amount": amount(lead.disbursed_amount)})
    first_loans.record_first_loan(session, lead)


def disbursement_corrected(session: Session, lead: Lead, note: str) -> None:
    """The firm side hears of the corrected amount or date; a first loan's figures follow the lead."""
    _firm_side(session, lead.request, "outcome", N_("%(bank)s更正了放款登记"), N_("说明：%(note)s") if note else "",
               {"bank": lead.bank.name, "note": note})
    first_loans.disbursement_corrected(session, lead, note)


RELEASED_ACCEPTED = N_("线索已释放：%(firm)s已接受其他银行的方案")
RELEASED_WITHDRAWN = N_("线索已释放：%(firm)s已撤回融资需求")


def leads_released(session: Session, leads: Iterable[Lead], reason: str) -> None:
    """Released leads: each bank hears that it no longer needs to work the request, and why (`reason`: the
    notice's title, RELEASED_ACCEPTED or RELEASED_WITHDRAWN)."""
    leads = list(leads)
    for lead in leads:
        _bank_side(session, lead, "outcome", reason, N_("该线索已关闭，无需继续办理。"),
                   {"firm": lead.request.firm.name})
    webhooks.enqueue(session, "lead.released", leads)


def offer_accepted(session: Session, offer: Offer, released: list[Lead]) -> None:
    lead = offer.lead
    _bank_side(session, lead, "outcome", N_("%(firm)s已接受贵行授信方案，请办理放款"),
               N_("授信 %(amount)s，年利率 %(rate)s，%(term)s 个月。"),
               {"firm": lead.request.firm.name, "amount": amount(offer.amount), "rate": rate_text(offer.rate_pct),
                "term": offer.term_months})
    lead.updated_at = utcnow()  # its offer changed: the API's incremental sync must carry the lead again
    webhooks.enqueue(session, "offer.accepted", [lead])
    leads_released(session, released, RELEASED_ACCEPTED)


def request_withdrawn(session: Session, req: FinancingRequest, released: list[Lead]) -> None:
    leads_released(session, released, RELEASED_WITHDRAWN)


def request_funded(session: Session, req: FinancingRequest) -> None:
    for lead in req.leads:
        if lead.state == "disbursed":
            _bank_side(session, lead, "outcome", N_("%(firm)s已确认资金到账"),
                       N_("本次对接已完成，企业可对服务进行评价。"), {"firm": req.firm.name})


def notify_expired(session: Session, leads: Lead | int | Iterable[Lead | int]) -> int:
    """Tell each bank whose unclaimed lead expired (the request went on to the next bank). Takes one lead,
    leads or lead ids; set-based (one query and one INSERT per 5,000 leads) so the sweep can call it for
    many leads at once. Returns the number of notifications written."""
    items = [leads] if isinstance(leads, (Lead, int)) else list(leads)
    ids = [x.id if isinstance(x, Lead) else int(x) for x in items]
    written = 0
    for start in range(0, len(ids), BULK_CHUNK):
        chunk = ids[start:start + BULK_CHUNK]
        rows = session.execute(
            select(Lead.id, Lead.bank_id, Lead.claim_deadline, FinancingRequest.id, FinancingRequest.amount, Firm.name)
            .join(FinancingRequest, FinancingRequest.id == Lead.request_id).join(Firm, Firm.id == FinancingRequest.firm_id)
            .where(Lead.id.in_(chunk))).all()
        staff = _bank_staff(session, {r[1] for r in rows})
        now = utcnow()
        entries = [{"user_id": uid, "kind": "expiry", "created_at": now, "link": lead_link(lead_id),
                    "title": N_("线索已超时转派：%(firm)s 申请 %(amount)s"),
                    "body": N_("认领期限 %(deadline)s 已过仍未认领，融资需求 %(no)s 已转给其他银行。"),
                    "params": {"firm": firm_name, "amount": amount(yuan), "deadline": deadline,
                               "no": req_no(request_id)}}
                   for lead_id, bank_id, deadline, request_id, yuan, firm_name in rows for uid in staff[bank_id]]
        written += len(notifications.write(session, entries))  # each in its recipient's language
    return written

"""What follows a change of a request or lead: notices to exactly the people concerned, referral of unmatched
requests and the first-loan board. Routing, leads and financing call one function here per event.

Audiences: a bank's notices go to that bank only (all its staff for an unclaimed lead; the lead's manager and
the bank's admins once claimed); the firm's notices go to the firm's own users and its township's officials."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ...models import FinancingRequest, Firm, Lead, Notification, Offer, Product, User, utcnow
from ...models.requests import DECLINE_REASONS
from ..api import webhooks
from ..core.money import amount_text, rate_text
from ..notify import notifications, outbox
from ..notify.notifications import notify
from ..outcomes import first_loans, referrals
from .labels import req_no

BULK_CHUNK = 5000


def lead_link(lead_id: int) -> str:
    return f"/bank/leads/{lead_id}"


def request_link(request_id: int) -> str:
    return f"/requests/{request_id}"


def _firm_side(session: Session, req: FinancingRequest, kind: str, title: str, body: str = "") -> None:
    notify(session, kind, title, body=body, link=request_link(req.id), firm_id=req.firm_id,
           township_id=req.firm.township_id)


def _bank_side(session: Session, lead: Lead, kind: str, title: str, body: str = "") -> None:
    if lead.manager_id is not None:
        notify(session, kind, title, body=body, link=lead_link(lead.id), user_ids=[lead.manager_id],
               bank_id=lead.bank_id, bank_roles=("bank_admin",))
    else:
        notify(session, kind, title, body=body, link=lead_link(lead.id), bank_id=lead.bank_id)


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
        product = names.get(lead.product_id, "—")
        title = f"新线索：{req.firm.name} 申请 {amount_text(req.amount)}"[:200]
        body = f"匹配产品：{product}；期限 {req.term_months} 个月。请在 {lead.claim_deadline} 前认领，认领后可查看联系方式。"
        entries += [{"user_id": uid, "kind": "new_lead", "title": title, "body": body, "link": lead_link(lead.id)}
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
    who = f"（{manager.display_name or manager.username}）" if manager else ""
    _firm_side(session, req, "claim", f"{lead.bank.name}已认领您的融资需求 {req_no(req.id)}", f"负责的客户经理{who}将与您联系。")
    first_loans.lead_claimed(session, lead)


def lead_decided(session: Session, lead: Lead) -> None:
    """Approval (an offer) or a coded decline: the firm side hears the terms or the reason and next step."""
    req = lead.request
    if lead.state == "approved" and lead.offer is not None:
        o = lead.offer
        _firm_side(session, req, "offer",
                   f"{lead.bank.name}给出授信方案：{amount_text(o.amount)}，年利率 {rate_text(o.rate_pct)}，{o.term_months} 个月",
                   "请在需求页面比较各家方案，选择一家接受。")
    elif lead.state == "declined":
        label, fixable, next_step = DECLINE_REASONS.get(lead.decline_code or "", ("其他原因", False, ""))
        note = f"（{lead.decline_note}）" if lead.decline_note else ""
        fix = "可由企业补正后重新提交" if fixable else "不可补正"
        _firm_side(session, req, "decision", f"{lead.bank.name}未能批准融资需求 {req_no(req.id)}：{label}",
                   f"{label}{note}。{fix}。建议：{next_step}")


def lead_disbursed(session: Session, lead: Lead) -> None:
    _firm_side(session, lead.request, "outcome",
               f"{lead.bank.name}已登记放款 {amount_text(lead.disbursed_amount)}，请确认资金到账")
    first_loans.record_first_loan(session, lead)


def disbursement_corrected(session: Session, lead: Lead, note: str) -> None:
    """The firm side hears of the corrected amount or date; a first loan's figures follow the lead."""
    _firm_side(session, lead.request, "outcome", f"{lead.bank.name}更正了放款登记", note)
    first_loans.disbursement_corrected(session, lead, note)


def leads_released(session: Session, leads: Iterable[Lead], reason: str) -> None:
    """Released leads: each bank hears that it no longer needs to work the request, and why."""
    leads = list(leads)
    for lead in leads:
        _bank_side(session, lead, "outcome", f"线索已释放：{lead.request.firm.name}{reason}",
                   "该线索已关闭，无需继续办理。")
    webhooks.enqueue(session, "lead.released", leads)


def offer_accepted(session: Session, offer: Offer, released: list[Lead]) -> None:
    lead = offer.lead
    _bank_side(session, lead, "outcome", f"{lead.request.firm.name}已接受贵行授信方案，请办理放款",
               f"授信 {amount_text(offer.amount)}，年利率 {rate_text(offer.rate_pct)}，{offer.term_months} 个月。")
    lead.updated_at = utcnow()  # its offer changed: the API's incremental sync must carry the lead again
    webhooks.enqueue(session, "offer.accepted", [lead])
    leads_released(session, released, "已接受其他银行的方案")


def request_withdrawn(session: Session, req: FinancingRequest, released: list[Lead]) -> None:
    leads_released(session, released, "已撤回融资需求")


def request_funded(session: Session, req: FinancingRequest) -> None:
    for lead in req.leads:
        if lead.state == "disbursed":
            _bank_side(session, lead, "outcome", f"{req.firm.name}已确认资金到账",
                       "本次对接已完成，企业可对服务进行评价。")


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
                    "title": f"线索已超时转派：{firm_name} 申请 {amount_text(amount)}"[:200],
                    "body": f"认领期限 {deadline} 已过仍未认领，融资需求 {req_no(request_id)} 已转给其他银行。"}
                   for lead_id, bank_id, deadline, request_id, amount, firm_name in rows for uid in staff[bank_id]]
        if not entries:
            continue
        if outbox.enabled_channels():
            written_rows = session.execute(insert(Notification).returning(
                Notification.id, Notification.user_id, Notification.kind, Notification.title, Notification.body,
                Notification.link, Notification.created_at), entries).all()
            outbox.enqueue(session, written_rows)
        else:
            session.execute(insert(Notification), entries)
        written += len(entries)
    return written

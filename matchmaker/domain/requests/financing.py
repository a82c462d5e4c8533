"""Financing requests from the firm's side: file, submit (and route), accept an offer, confirm funds,
withdraw; and who may see which request."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import Select, inspect, select
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import set_committed_value

from ...models import FinancingRequest, Firm, Lead, Offer, User, utcnow
from ...models.products import COLLATERAL_KINDS
from ...models.requests import OPEN_LEAD_STATES
from ..core import locking
from ..core.errors import Conflict, DomainError, Forbidden, NotFound
from ..core.visibility import visible_to
from . import followups, lifecycle, notes, routing

MAX_AMOUNT_WAN = Decimal("100000")  # 10 亿元: larger asks go to the district directly
MAX_TERM_MONTHS = 360


def wan_to_yuan(value) -> int:
    """万元 (as typed) to integer 元; refuses fractions of a 元."""
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, AttributeError):
        raise DomainError("金额必须是数字", field="amount_wan") from None
    yuan = amount * 10000
    if yuan != yuan.to_integral_value():
        raise DomainError("金额最多精确到元（万元保留4位小数）", field="amount_wan")
    return int(yuan)


def validate_request_values(amount_yuan: int, term_months: int, purpose: str, collateral: str) -> None:
    if amount_yuan <= 0:
        raise DomainError("申请金额必须大于0", field="amount_wan")
    if amount_yuan > MAX_AMOUNT_WAN * 10000:
        raise DomainError("单笔申请金额不超过%(max)s万元，更大额度请联系区金融监管局", field="amount_wan",
                          max=f"{MAX_AMOUNT_WAN:,.0f}")
    if not 1 <= term_months <= MAX_TERM_MONTHS:
        raise DomainError("期限应在1–%(max)d个月之间", field="term_months", max=MAX_TERM_MONTHS)
    if not (purpose or "").strip():
        raise DomainError("请填写资金用途", field="purpose")
    if collateral not in COLLATERAL_KINDS:
        raise DomainError("请选择担保方式", field="collateral")


def can_file_for(actor: User, firm: Firm) -> bool:
    if actor.role == "enterprise":
        return actor.firm_id == firm.id
    if actor.role == "township":
        return firm.township_id is not None and firm.township_id == actor.township_id
    return actor.role == "district"


def file_request(session: Session, actor: User, firm: Firm, *, amount_yuan: int, term_months: int,
                 purpose: str, collateral: str, products_of_interest: list[str] | None = None,
                 linked_project: str = "", renewal: bool = False, submit: bool = True, today: date | None = None,
                 claim_workdays: int = 2, ctx: routing.RoutingContext | None = None) -> FinancingRequest:
    """Create a request (draft), and if `submit`, submit and route it at once."""
    if not can_file_for(actor, firm):
        raise Forbidden("无权为该企业发起融资需求")
    if int(amount_yuan) != amount_yuan:
        raise DomainError("金额最多精确到元", field="amount_wan")
    amount_yuan = int(amount_yuan)
    validate_request_values(amount_yuan, term_months, purpose, collateral)
    req = FinancingRequest(firm=firm, firm_id=firm.id, created_by_id=actor.id, amount=amount_yuan,
                           term_months=term_months, purpose=purpose.strip(), collateral=collateral,
                           products_of_interest=list(products_of_interest or []),
                           linked_project=(linked_project or "").strip(), renewal=bool(renewal), state="draft",
                           leads=[])  # new: it has none, so routing does not ask the database
    session.add(req)
    session.flush()
    note = notes.FILED_BY_TOWNSHIP if actor.role == "township" else ""
    lifecycle.record(session, "request", req.id, req.id, actor, None, "draft", note)
    if submit:
        submit_request(session, actor, req, today=today, claim_workdays=claim_workdays, ctx=ctx)
    return req


def submit_request(session: Session, actor: User, req: FinancingRequest, today: date | None = None,
                   claim_workdays: int = 2, ctx: routing.RoutingContext | None = None) -> list[Lead]:
    """Submit a draft and route it (with `ctx`: a routing context the caller loaded, e.g. for many requests)."""
    if not can_file_for(actor, req.firm):
        raise Forbidden("无权提交该融资需求")
    lifecycle.transition(session, req, "submitted", actor)
    req.submitted_at = utcnow()
    return routing.route_request(session, req, ctx=ctx, today=today, claim_workdays=claim_workdays)


def visible_requests(actor: User) -> Select:
    """Requests the actor may list."""
    query = select(FinancingRequest)
    if actor.role == "township":  # joined: the requests list filters and sorts on the firm's columns
        query = query.join(Firm, Firm.id == FinancingRequest.firm_id)
    return visible_to(actor, query, FinancingRequest.id, enterprise=FinancingRequest.firm_id == actor.firm_id,
                      township=Firm.township_id == actor.township_id,
                      bank=FinancingRequest.id.in_(select(Lead.request_id).where(Lead.bank_id == actor.bank_id)))


def get_request_for(session: Session, actor: User, request_id: int) -> FinancingRequest:
    req = session.get(FinancingRequest, request_id)
    if req is None:
        raise NotFound("融资需求不存在")
    if actor.role == "district":
        return req
    if actor.role == "enterprise" and req.firm_id == actor.firm_id:
        return req
    if actor.role == "township" and req.firm.township_id == actor.township_id:
        return req
    if actor.is_bank and any(lead.bank_id == actor.bank_id for lead in req.leads):
        return req
    raise Forbidden("无权查看该融资需求")


def offers_of(req: FinancingRequest) -> list[Offer]:
    """The request's offers, loaded for all its leads in one query (not one lazy load per lead)."""
    leads = req.leads
    pending = [lead for lead in leads if "offer" in inspect(lead).unloaded]
    session = object_session(req)
    if pending and session is not None:
        found = {o.lead_id: o for o in session.scalars(select(Offer).where(
            Offer.lead_id.in_([lead.id for lead in pending])))}
        for lead in pending:
            set_committed_value(lead, "offer", found.get(lead.id))
    return [lead.offer for lead in leads if lead.offer is not None]


def accept_offer(session: Session, actor: User, offer_id: int) -> Offer:
    """The firm accepts one offer; every other open lead of the request is released. The request is locked
    first, so of two acceptances (or an acceptance and a withdrawal) exactly one goes through."""
    offer = session.get(Offer, offer_id)
    if offer is None:
        raise NotFound("授信方案不存在")
    req = offer.lead.request
    if actor.role not in ("enterprise", "township") or not can_file_for(actor, req.firm):
        raise Forbidden("无权接受该授信方案")
    lifecycle.lock(session, req)
    locking.lock(session, offer)
    if offer.state == "accepted":
        raise Conflict("该方案已被接受")
    if req.state == "accepted":
        raise Conflict("该融资需求已接受其他银行的方案，请刷新页面")
    if req.state == "withdrawn":
        raise Conflict("该融资需求已撤回，不能再接受方案")
    if offer.state != "open" or offer.lead.state != "approved":
        raise Conflict("该授信方案已失效，请刷新页面")
    lifecycle.transition(session, req, "accepted", actor, notes.note(notes.ACCEPTED, bank=offer.lead.bank.name),
                         locked=True)
    offer.state = "accepted"
    released = _release_open_leads(session, req, notes.OTHER_ACCEPTED, keep=offer.lead_id)
    followups.offer_accepted(session, offer, released)
    return offer


def _release_open_leads(session: Session, req: FinancingRequest, note: str, keep: int | None = None) -> list[Lead]:
    """Release every open lead of the request but `keep` (and void their offers); returns the released leads.
    The caller holds the request's lock; each lead is locked and its state re-read before it is released."""
    released = []
    for lead in list(req.leads):  # locking a lead reloads the request and with it this collection
        if lead.id == keep:
            continue
        locking.lock(session, lead)
        if lead.state in OPEN_LEAD_STATES:
            lifecycle.transition(session, lead, "released", None, note, locked=True)
            if lead.offer is not None:
                lead.offer.state = "released"
            released.append(lead)
    return released


def confirm_funded(session: Session, actor: User, request_id: int) -> FinancingRequest:
    """The firm confirms that the disbursed money arrived."""
    req = get_request_for(session, actor, request_id)
    if not can_file_for(actor, req.firm) or actor.role == "district":
        raise Forbidden("只有企业或所属镇街可以确认到账")
    lifecycle.lock(session, req)
    if req.state == "funded":
        raise Conflict("已确认资金到账，无需重复确认")
    if not any(lead.state == "disbursed" for lead in req.leads):
        raise DomainError("银行尚未登记放款，暂不能确认到账")
    lifecycle.transition(session, req, "funded", actor, notes.FUNDED, locked=True)
    followups.request_funded(session, req)
    return req


def withdraw(session: Session, actor: User, request_id: int, note: str = "") -> FinancingRequest:
    req = get_request_for(session, actor, request_id)
    if not can_file_for(actor, req.firm) or actor.role == "district":
        raise Forbidden("无权撤回该融资需求")
    lifecycle.transition(session, req, "withdrawn", actor, note or notes.WITHDRAWN)
    released = _release_open_leads(session, req, notes.WITHDRAWN_RELEASE)
    followups.request_withdrawn(session, req, released)
    return req

"""Lead endpoints: list (filters, incremental sync), one lead, and each lifecycle step, all through the same
domain functions as the bank's pages (`domain/requests/leads.py`)."""
from __future__ import annotations

from sqlalchemy.orm import selectinload

from ...domain.requests import leads
from ...models import FinancingRequest, Lead
from ..common import session
from . import serialize
from .core import actor, bp, ok, responses, run_change, spec, sync_page, token_required
from .schemas import ApproveBody, ApproveOut, DeclineBody, DisburseBody, LeadOut, LeadPage, LeadQuery, NoteBody

TAGS = ["leads"]


@bp.get("/leads")
@token_required("leads:read")
@spec.validate(query=LeadQuery, resp=responses(LeadPage), tags=TAGS, operation_id="listLeads")
def list_leads(query: LeadQuery):
    """线索列表（增量同步）

    按 (updated_at, id) 排序。第一次可带 updated_since；之后每次带上次返回的 next_cursor，直到 has_more 为 false；
    保存最后的 next_cursor 供下次同步。同步期间发生变化的线索会以新状态在后面再次出现，不会漏掉。
    最近几秒（默认 5 秒，及仍未提交的事务开始之后）的变化留到下一次同步返回，以免漏掉稍后提交的变化。"""
    who = actor()
    stmt = leads.visible_leads(who).options(
        selectinload(Lead.request).joinedload(FinancingRequest.firm), selectinload(Lead.offer))
    if query.state:
        stmt = stmt.where(Lead.state == query.state)
    return sync_page(stmt, Lead, query, lambda row: serialize.lead(who, row))


@bp.get("/leads/<int:lead_id>")
@token_required("leads:read")
@spec.validate(resp=responses(LeadOut), tags=TAGS, operation_id="getLead")
def get_lead(lead_id: int):
    """一条线索（企业联系人与电话在认领后可见，与网页相同）"""
    who = actor()
    return ok(serialize.lead(who, leads.get_lead_for(session(), who, lead_id)))


def _step(lead_id: int, change):
    who = actor()

    def action(db):
        change(db, who)
        db.flush()
        item = db.get(Lead, lead_id)
        db.refresh(item)
        return 200, serialize.lead(who, item)

    return run_change(action)


@bp.post("/leads/<int:lead_id>/claim")
@token_required("leads:write")
@spec.validate(resp=responses(LeadOut, conflict=True), tags=TAGS, operation_id="claimLead")
def claim(lead_id: int):
    """认领线索（并发时只有一个成功，其余得到 409）"""
    return _step(lead_id, lambda db, who: leads.claim(db, who, lead_id))


@bp.post("/leads/<int:lead_id>/contact")
@token_required("leads:write")
@spec.validate(json=NoteBody, resp=responses(LeadOut, conflict=True), tags=TAGS, operation_id="contactLead")
def contact(lead_id: int, json: NoteBody):  # None when the body is empty
    """登记已联系企业"""
    note = json.note if json else ""
    return _step(lead_id, lambda db, who: leads.record_contact(db, who, lead_id, note))


@bp.post("/leads/<int:lead_id>/review")
@token_required("leads:write")
@spec.validate(json=NoteBody, resp=responses(LeadOut, conflict=True), tags=TAGS, operation_id="reviewLead")
def review(lead_id: int, json: NoteBody):  # None when the body is empty
    """进入审查"""
    note = json.note if json else ""
    return _step(lead_id, lambda db, who: leads.start_review(db, who, lead_id, note))


@bp.post("/leads/<int:lead_id>/approve")
@token_required("leads:write")
@spec.validate(json=ApproveBody, resp=responses(ApproveOut, conflict=True), tags=TAGS, operation_id="approveLead")
def approve(lead_id: int, json: ApproveBody):
    """审批通过并给出授信方案"""
    who = actor()

    def action(db):
        offer = leads.approve(db, who, lead_id, amount_yuan=json.amount_yuan, rate_pct=json.rate_pct,
                              term_months=json.term_months, conditions=json.conditions,
                              confirm_over=json.confirm_over)
        db.flush()
        item = db.get(Lead, lead_id)
        db.refresh(item)
        return 200, {"lead": serialize.lead(who, item), "offer": serialize.offer(offer)}

    return run_change(action)


@bp.post("/leads/<int:lead_id>/decline")
@token_required("leads:write")
@spec.validate(json=DeclineBody, resp=responses(LeadOut, conflict=True), tags=TAGS, operation_id="declineLead")
def decline(lead_id: int, json: DeclineBody):
    """拒绝（附拒绝原因代码；other 需填写说明）"""
    return _step(lead_id, lambda db, who: leads.decline(db, who, lead_id, json.code, json.note))


@bp.post("/leads/<int:lead_id>/disburse")
@token_required("leads:write")
@spec.validate(json=DisburseBody, resp=responses(LeadOut, conflict=True), tags=TAGS, operation_id="disburseLead")
def disburse(lead_id: int, json: DisburseBody):
    """登记放款（企业已接受授信方案后）"""
    return _step(lead_id, lambda db, who: leads.disburse(db, who, lead_id, json.amount_yuan, json.disbursed_on))

"""District endpoints: requests (incremental sync), banks' monthly figures, white-list entries and the frozen
figures of a published bulletin edition. Leads are read through /leads with a district token."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ...domain.banks import bulletins, monthly_reports, periods
from ...domain.core.errors import DomainError, NotFound
from ...domain.requests import financing
from ...domain.whitelists import lists
from ...models import Bank, FinancingRequest
from ...models.whitelists import WHITELIST_KINDS
from ..common import session
from . import serialize
from .core import actor, bp, ok, responses, spec, sync_page, token_required
from .schemas import (
    BankFiguresOut,
    BulletinOut,
    MonthQuery,
    RequestOut,
    RequestPage,
    RequestQuery,
    WhitelistPage,
    WhitelistQuery,
)

TAGS = ["district"]


@bp.get("/requests")
@token_required("requests:read")
@spec.validate(query=RequestQuery, resp=responses(RequestPage), tags=TAGS, operation_id="listRequests")
def list_requests(query: RequestQuery):
    """融资需求列表（增量同步，游标用法同线索列表）"""
    stmt = financing.visible_requests(actor()).options(selectinload(FinancingRequest.leads))
    if query.state:
        stmt = stmt.where(FinancingRequest.state == query.state)
    return sync_page(stmt, FinancingRequest, query, serialize.request_)


@bp.get("/requests/<int:request_id>")
@token_required("requests:read")
@spec.validate(resp=responses(RequestOut), tags=TAGS, operation_id="getRequest")
def get_request(request_id: int):
    """一条融资需求"""
    return ok(serialize.request_(financing.get_request_for(session(), actor(), request_id)))


@bp.get("/district/bank-figures")
@token_required("district:read")
@spec.validate(query=MonthQuery, resp=responses(BankFiguresOut), tags=TAGS, operation_id="bankFigures")
def bank_figures(query: MonthQuery):
    """各银行某月报送的数据（最新版本，单位：元）"""
    db = session()
    month = periods.parse_month(query.month)
    reports = monthly_reports.latest(db, [month])
    banks = db.scalars(select(Bank).where(Bank.active.is_(True)).order_by(Bank.seq)).all()
    rows = []
    for bank in banks:
        report = reports.get((bank.id, month))
        rows.append({"bank_id": bank.id, "bank_name": bank.name, "reported": report is not None,
                     "version": report.version if report else None,
                     "figures_yuan": monthly_reports.values_of(report)})
    return ok({"month": periods.month_key(month), "banks": rows})


@bp.get("/district/whitelist-entries")
@token_required("district:read")
@spec.validate(query=WhitelistQuery, resp=responses(WhitelistPage), tags=TAGS, operation_id="whitelistEntries")
def whitelist_entries(query: WhitelistQuery):
    """某类白名单当前批次的名单"""
    if query.kind not in WHITELIST_KINDS:
        raise DomainError("未知白名单类别：%(kind)s", field="kind", kind=query.kind)
    db = session()
    stmt = lists.visible_entries(actor(), query.kind, lists.ListFilters(), db)
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    from ...models import WhiteListEntry

    entries = db.scalars(stmt.order_by(WhiteListEntry.row_no, WhiteListEntry.id)
                         .limit(query.limit).offset((query.page - 1) * query.limit)).all()
    batch = lists.current_batches(db).get(query.kind)
    return ok({"kind": query.kind, "batch": batch.label if batch else None, "total": total, "items": [
        {"id": e.id, "kind": e.kind, "batch": e.batch.label, "firm_id": e.firm_id, "firm_name": e.firm.name,
         "uscc": e.firm.uscc, "township": e.township.name if e.township else None, "project_name": e.project_name,
         "investment_wan": str(e.investment_wan) if e.investment_wan is not None else None} for e in entries]})


@bp.get("/district/bulletins/<kind>/<period>")
@token_required("district:read")
@spec.validate(resp=responses(BulletinOut), tags=TAGS, operation_id="bulletinFigures")
def bulletin(kind: str, period: str):
    """已发布通报（最新一版）的冻结数据；kind 为 monthly、quarterly 或 annual"""
    if kind not in ("monthly", "quarterly", "annual"):
        raise NotFound("通报类别应为 monthly、quarterly 或 annual")
    parsed = periods.parse(kind, period)
    issued = bulletins.editions(session(), kind, parsed.key)
    if not issued:
        raise NotFound("该期通报尚未发布")
    latest = issued[0]
    return ok({"kind": kind, "period": latest.period, "edition": latest.edition,
                    "issued_at": latest.issued_at, "data": latest.data})

"""Figures for the dashboards: requests by state, by bank and by township; amounts requested, approved,
disbursed. Each function takes an optional township to restrict the figures to."""
from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ...models import Bank, FinancingRequest, Firm, Lead, Offer, Township


def _scoped(query, township_id: int | None):
    if township_id is not None:
        query = query.where(Firm.township_id == township_id)
    return query


def requests_by_state(session: Session, township_id: int | None = None) -> dict[str, int]:
    q = select(FinancingRequest.state, func.count()).join(Firm).group_by(FinancingRequest.state)
    return dict(session.execute(_scoped(q, township_id)).all())


def amounts(session: Session, township_id: int | None = None) -> dict[str, int]:
    """Total 元 requested (submitted requests), approved (offers) and disbursed."""
    requested = session.scalar(_scoped(
        select(func.coalesce(func.sum(FinancingRequest.amount), 0)).join(Firm)
        .where(FinancingRequest.state != "draft"), township_id)) or 0
    approved = session.scalar(_scoped(
        select(func.coalesce(func.sum(Offer.amount), 0)).join(Lead, Lead.id == Offer.lead_id)
        .join(FinancingRequest, FinancingRequest.id == Lead.request_id).join(Firm), township_id)) or 0
    disbursed = session.scalar(_scoped(
        select(func.coalesce(func.sum(Lead.disbursed_amount), 0))
        .join(FinancingRequest, FinancingRequest.id == Lead.request_id).join(Firm)
        .where(Lead.state == "disbursed"), township_id)) or 0
    return {"requested": int(requested), "approved": int(approved), "disbursed": int(disbursed)}


def by_bank(session: Session) -> list[dict]:
    """Per bank: leads received, claimed, declined, approved, disbursed (count and 元)."""
    q = (
        select(
            Bank.id, Bank.name,
            func.count(Lead.id),
            func.sum(case((Lead.claimed_at.is_not(None), 1), else_=0)),
            func.sum(case((Lead.state == "declined", 1), else_=0)),
            func.count(Offer.id),  # approved = gave an offer (as on the bulletins), even if later released
            func.sum(case((Lead.state == "disbursed", 1), else_=0)),
            func.coalesce(func.sum(Lead.disbursed_amount), 0),
            func.sum(case((Lead.state == "expired", 1), else_=0)),
        )
        .select_from(Bank).outerjoin(Lead, Lead.bank_id == Bank.id).outerjoin(Offer, Offer.lead_id == Lead.id)
        .group_by(Bank.id, Bank.name, Bank.seq).order_by(Bank.seq)
    )
    keys = ("bank_id", "bank", "received", "claimed", "declined", "approved", "disbursed", "disbursed_amount",
            "expired")
    return [dict(zip(keys, (v if v is not None else 0 for v in row))) for row in session.execute(q)]


def by_township(session: Session) -> list[dict]:
    """Per township: requests, funded, amount requested and disbursed."""
    req_q = (
        select(Township.id, Township.name, func.count(FinancingRequest.id),
               func.sum(case((FinancingRequest.state == "funded", 1), else_=0)),
               func.coalesce(func.sum(FinancingRequest.amount), 0))
        .select_from(Township).outerjoin(Firm, Firm.township_id == Township.id)
        .outerjoin(FinancingRequest, (FinancingRequest.firm_id == Firm.id) & (FinancingRequest.state != "draft"))
        .group_by(Township.id, Township.name).order_by(Township.id)
    )
    disbursed = dict(session.execute(
        select(Firm.township_id, func.coalesce(func.sum(Lead.disbursed_amount), 0))
        .join(FinancingRequest, FinancingRequest.firm_id == Firm.id).join(Lead, Lead.request_id == FinancingRequest.id)
        .where(Lead.state == "disbursed").group_by(Firm.township_id)).all())
    return [
        {"township_id": tid, "township": name, "requests": n or 0, "funded": funded or 0,
         "requested": int(amount or 0), "disbursed": int(disbursed.get(tid, 0) or 0)}
        for tid, name, n, funded, amount in session.execute(req_q)
    ]

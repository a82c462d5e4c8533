"""Ratings: after the outcome the firm rates each bank it dealt with (and that bank's account manager), 1–5 with
a comment, once per lead; the bank's record shows the averages and the comments."""
from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import Bank, FinancingRequest, Lead, Rating, User, utcnow
from ...text import N_
from ..core.errors import Conflict, DomainError, Forbidden, NotFound
from .first_loans import first_loans_by_bank

RECORD_ROLES = ("bank_admin", "district")


def is_rateable(lead: Lead) -> bool:
    """The bank worked the lead (claimed it) and it reached its outcome: declined, released, or disbursed and
    the firm confirmed the money arrived."""
    if lead.claimed_at is None:
        return False
    if lead.state == "disbursed":
        return lead.request.state == "funded"
    return lead.state in ("declined", "released")


def ratings_by_lead(session: Session, request_id: int) -> dict[int, Rating]:
    rows = session.scalars(select(Rating).join(Lead, Lead.id == Rating.lead_id).where(Lead.request_id == request_id))
    return {r.lead_id: r for r in rows}


def rateable_leads(session: Session, actor: User, req: FinancingRequest,
                   done: dict[int, Rating] | None = None) -> list[Lead]:
    """Leads of the request the actor (the firm's own user) may still rate (`done`: its ratings, if loaded)."""
    if actor.role != "enterprise" or actor.firm_id != req.firm_id:
        return []
    done = ratings_by_lead(session, req.id) if done is None else done
    return [lead for lead in req.leads if is_rateable(lead) and lead.id not in done]


def _score(value, field: str, label: str) -> int:
    try:
        score = int(value)
    except (TypeError, ValueError):
        raise DomainError("请为%(label)s打分（1–5分）", field=field, label=label) from None
    if not 1 <= score <= 5:
        raise DomainError("%(label)s评分应为1–5分", field=field, label=label)
    return score


def rate(session: Session, actor: User, lead_id: int, *, bank_score, manager_score=None,
         comment: str = "") -> Rating:
    """The firm rates the bank (and its manager) of one lead, once."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound("线索不存在")
    if actor.role != "enterprise" or actor.firm_id != lead.request.firm_id:
        raise Forbidden("只有对接该银行的企业可以评价")
    if not is_rateable(lead):
        raise DomainError("对接结束（放款到账、被拒绝或已释放）后才能评价该银行")
    if session.scalar(select(Rating.id).where(Rating.lead_id == lead.id)) is not None:
        raise Conflict("已评价过该银行的这次服务")
    bank_score = _score(bank_score, "bank_score", N_("银行服务"))
    manager = None if lead.manager_id is None else _score(manager_score, "manager_score", N_("客户经理"))
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise DomainError("评价内容不超过1000字", field="comment")
    rating = Rating(lead_id=lead.id, firm_id=lead.request.firm_id, bank_id=lead.bank_id, manager_id=lead.manager_id,
                    bank_score=bank_score, manager_score=manager, comment=comment, created_by_id=actor.id,
                    created_at=utcnow(), outcome=lead.state)
    try:
        with session.begin_nested():
            session.add(rating)
    except IntegrityError:
        raise Conflict("已评价过该银行的这次服务") from None
    return rating


def bank_ratings(bank_id: int) -> Select:
    return select(Rating).where(Rating.bank_id == bank_id)


def bank_summary(session: Session, bank_id: int) -> dict:
    """Count, averages (bank, manager), the 1–5 distribution and each manager's average for one bank."""
    count, avg_bank, avg_manager = session.execute(
        select(func.count(Rating.id), func.avg(Rating.bank_score), func.avg(Rating.manager_score))
        .where(Rating.bank_id == bank_id)).one()
    dist = dict(session.execute(select(Rating.bank_score, func.count()).where(Rating.bank_id == bank_id)
                                .group_by(Rating.bank_score)).all())
    managers = [
        (session.get(User, uid), int(n), float(avg))
        for uid, n, avg in session.execute(
            select(Rating.manager_id, func.count(), func.avg(Rating.manager_score))
            .where(Rating.bank_id == bank_id, Rating.manager_id.is_not(None), Rating.manager_score.is_not(None))
            .group_by(Rating.manager_id).order_by(func.avg(Rating.manager_score).desc()))
    ]
    first = first_loans_by_bank(session, bank_id)
    return {
        "count": int(count or 0),
        "avg_bank": float(avg_bank) if avg_bank is not None else None,
        "avg_manager": float(avg_manager) if avg_manager is not None else None,
        "distribution": {s: int(dist.get(s, 0)) for s in range(5, 0, -1)},
        "managers": managers,
        "first_loans": first[0][1] if first else 0,
        "first_loan_amount": first[0][2] if first else 0,
    }


def banks_overview(session: Session) -> list[dict]:
    """Every bank with its rating count and averages and its first loans, for the district."""
    stats = {bid: (int(n), float(a) if a is not None else None, float(m) if m is not None else None)
             for bid, n, a, m in session.execute(
                 select(Rating.bank_id, func.count(), func.avg(Rating.bank_score), func.avg(Rating.manager_score))
                 .group_by(Rating.bank_id))}
    first = {bank.id: (n, amount) for bank, n, amount in first_loans_by_bank(session)}
    out = []
    for bank in session.scalars(select(Bank).order_by(Bank.seq)):
        n, avg_bank, avg_manager = stats.get(bank.id, (0, None, None))
        out.append({"bank": bank, "count": n, "avg_bank": avg_bank, "avg_manager": avg_manager,
                    "first_loans": first.get(bank.id, (0, 0))[0], "first_loan_amount": first.get(bank.id, (0, 0))[1]})
    return out


def can_see_record(actor: User, bank_id: int) -> bool:
    return actor.role == "district" or (actor.role == "bank_admin" and actor.bank_id == bank_id)

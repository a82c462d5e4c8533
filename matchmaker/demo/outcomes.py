"""Demo data after outcomes: firms' accounts rate the banks they dealt with, referrals at every stage (one for
a maturing-loan renewal, so the bridge fund appears), a first-loan board with owners, and half of the older
notifications read. Runs after the core demo, whose requests already produced notices, referrals and cases."""
from __future__ import annotations

import random

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..domain.outcomes import first_loans, ratings, referrals
from ..domain.requests import leads
from ..models import FinancingRequest, Firm, FirstLoanCase, Lead, Notification, Referral, User, utcnow

COMMENTS = {  # by bank score
    5: ["响应及时，客户经理专业耐心", "服务很好，推荐", "放款速度快，利率合理", ""],
    4: ["沟通顺畅，上门调查认真", "利率比预期略高，但放款速度快", ""],
    3: ["拒绝原因说明清楚，给了改进建议", "审批时间偏长", ""],
    2: ["认领后很久才联系", "材料要求反复变化", ""],
    1: ["一直联系不上客户经理", ""],
}


def _firm_users(session: Session, firm_ids: set[int]) -> dict[int, User]:
    """One enterprise account per firm (demo firms other than the main one get one, same demo password)."""
    users = {u.firm_id: u for u in session.scalars(select(User).where(User.role == "enterprise"))}
    template = next(iter(users.values()), None)
    if template is None:
        return users
    for firm in session.scalars(select(Firm).where(Firm.id.in_(firm_ids - set(users)))):
        user = User(username=f"firm{firm.id}", password_hash=template.password_hash, role="enterprise",
                    display_name=firm.contact_person or firm.name[:10], firm_id=firm.id, active=True)
        session.add(user)
        users[firm.id] = user
    session.flush()
    return users


def _ratings(session: Session, rng: random.Random) -> None:
    leads = [lead for lead in session.scalars(select(Lead).where(Lead.claimed_at.is_not(None))
                                              .order_by(Lead.id)) if ratings.is_rateable(lead)]
    chosen = [lead for lead in leads if rng.random() < 0.6]
    users = _firm_users(session, {lead.request.firm_id for lead in chosen})
    for lead in chosen:
        base = 5 if lead.state == "disbursed" else rng.choice([2, 3, 3, 4])
        score = max(1, min(5, base - rng.choice([0, 0, 0, 1])))
        ratings.rate(session, users[lead.request.firm_id], lead.id, bank_score=score,
                     manager_score=max(1, min(5, score + rng.choice([-1, 0, 0, 1]))), comment=rng.choice(COMMENTS[score]))


def _renewals(session: Session) -> None:
    """Requests to renew a maturing loan are flagged; every bank declines one of them, so it is referred to
    the emergency bridge fund as well."""
    session.execute(update(FinancingRequest).where(FinancingRequest.purpose.contains("续贷"))
                    .values(renewal=True).execution_options(synchronize_session="fetch"))
    req = session.scalar(select(FinancingRequest).where(FinancingRequest.renewal.is_(True),
                                                        FinancingRequest.state == "routed").order_by(FinancingRequest.id))
    if req is None:
        return
    managers = {u.bank_id: u for u in session.scalars(select(User).where(User.role == "bank_manager"))}
    for lead in list(req.leads):
        session.refresh(lead)  # the sweep moves leads with set-based UPDATEs: read the state as stored
        if lead.state == "routed":
            leads.claim(session, managers[lead.bank_id], lead.id)
        if lead.state in ("claimed", "contacted", "in_review"):
            leads.decline(session, managers[lead.bank_id], lead.id, "credit_policy", "续贷企业近期现金流紧张")


def _referrals(session: Session, rng: random.Random) -> None:
    officials = {u.township_id: u for u in session.scalars(select(User).where(User.role == "township")
                                                              .order_by(User.id.desc()))}
    district = session.scalar(select(User).where(User.role == "district"))
    for ref in session.scalars(select(Referral).order_by(Referral.id)):
        actor = officials.get(ref.township_id) or district
        roll = rng.random()
        if roll < 0.35:
            continue
        referrals.update(session, actor, ref.id, "contacted", "已电话联系企业，约定上门了解情况")
        if roll < 0.6:
            continue
        if roll < 0.8:
            amount = int(ref.request.amount * rng.choice([0.5, 0.8, 1])) // 10000 * 10000 or 10000
            referrals.update(session, actor, ref.id, "resolved_funded", "经担保增信后获得贷款", amount)
        else:
            referrals.update(session, actor, ref.id, "resolved_not_funded", "企业经营困难，暂缓融资，继续辅导")


def _first_loans(session: Session, rng: random.Random) -> None:
    first_loans.identify(session)
    officials: dict[int, list[User]] = {}
    for u in session.scalars(select(User).where(User.role == "township")):
        officials.setdefault(u.township_id, []).append(u)
    managers = {u.bank_id: u for u in session.scalars(select(User).where(User.role == "bank_manager"))}
    for case in session.scalars(select(FirstLoanCase).where(FirstLoanCase.stage != "first_loan")
                                .order_by(FirstLoanCase.id)):
        if rng.random() < 0.3:
            continue
        actor = rng.choice(officials.get(case.township_id) or [None]) or session.scalar(
            select(User).where(User.role == "district"))
        owner = actor if actor.role == "township" else None
        if case.bank_id is not None and rng.random() < 0.5:
            owner = managers.get(case.bank_id, owner)
        stage = case.stage if case.stage == "applied" else rng.choice(["identified", "counselled", "counselled"])
        first_loans.update_case(session, actor, case.id, stage=stage, owner_id=owner.id if owner else None,
                                bank_id=case.bank_id, note=rng.choice(["已上门走访", "已协助整理财务报表", "已推荐首贷产品", ""]))


def _read_some(session: Session, rng: random.Random) -> None:
    ids = list(session.scalars(select(Notification.id).order_by(Notification.id)))
    older = ids[: int(len(ids) * 0.8)]
    read = [i for i in older if rng.random() < 0.6]
    for start in range(0, len(read), 5000):
        session.execute(update(Notification).where(Notification.id.in_(read[start:start + 5000]))
                        .values(read_at=utcnow()).execution_options(synchronize_session=False))


def build_demo(session: Session, rng: random.Random) -> None:
    """Ratings, referral progress, a first-loan board and a renewal sent to the bridge fund, on the core demo."""
    _renewals(session)
    _ratings(session, rng)
    _referrals(session, rng)
    _first_loans(session, rng)
    _read_some(session, rng)
    session.flush()

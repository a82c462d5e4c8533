"""Demo data for the firm portrait: the tax bureau's 纳税信用等级 lists for 2023 and 2024 over most demo firms
(some firms only self-declare), qualification lists (专精特新, 瞪羚, 单项冠军, 链主 and their suppliers), product
rules that use them, consent on most live requests and a few bank views of consenting firms' portraits."""
from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.portrait import access
from ..domain.whitelists.batches import commit_rows
from ..domain.whitelists.kinds import GRADE_KEY, LEADER_KEY
from ..models import FinancingRequest, Firm, Lead, Product, User
from ..models.whitelists import WHITELIST_KINDS

GRADE_WEIGHTS = (("A", 40), ("B", 30), ("M", 15), ("C", 10), ("D", 5))
PRODUCT_RULES = {  # product kind -> rules the portrait's lists make possible
    "kechuang": {"required_whitelists": ["high_tech", "gazelle", "zjtx", "champion"]},
    "supply_chain": {"required_whitelists": ["chain_supplier", "chain_leader"]},
    "rencai": {"tax_grade_verified": True},
}


def _row(n: int, firm: Firm, extra: dict | None = None) -> dict:
    return {"row": n, "name": firm.name, "uscc": firm.uscc or "", "township_id": firm.township_id,
            "industry": firm.industry, "project_name": "", "investment_wan": None, "remark": "",
            "extra": extra or {}, "decision": "auto", "method": "uscc", "score": 100.0, "firm_id": firm.id,
            "chosen": None, "matched_name": firm.name, "candidates": [], "note": ""}


def _commit(session: Session, actor: User | None, kind: str, year: str, rows: list[dict]) -> None:
    commit_rows(session, actor, kind, year, f"{year}年{WHITELIST_KINDS[kind]}名单.xlsx", rows)


def build_demo(session: Session, rng: random.Random) -> None:
    firms = list(session.scalars(select(Firm).order_by(Firm.id)))
    if len(firms) < 10:
        return
    district = session.scalar(select(User).where(User.role == "district"))
    demo_firm = firms[0]
    grades, weights = zip(*GRADE_WEIGHTS)
    listed = [demo_firm] + [f for f in firms[1:] if rng.random() < 0.7]  # the rest only self-declare
    for year in ("2023", "2024"):
        rows = []
        for n, firm in enumerate(listed, start=2):
            grade = "A" if firm is demo_firm else rng.choices(grades, weights)[0]
            rows.append(_row(n, firm, {GRADE_KEY: grade}))
        _commit(session, district, "tax_credit", year, rows)
    others = firms[1:]
    leaders = rng.sample([f for f in others if f.size in ("large", "medium")] or others, 3)
    _commit(session, district, "chain_leader", "2024", [_row(n, f) for n, f in enumerate(leaders, start=2)])
    suppliers = [demo_firm] + rng.sample([f for f in others if f not in leaders], max(4, len(firms) // 25))
    _commit(session, district, "chain_supplier", "2024",
            [_row(n, f, {LEADER_KEY: rng.choice(leaders).name}) for n, f in enumerate(suppliers, start=2)])
    for kind, share, extra in (("zjtx", 12, []), ("gazelle", 18, [demo_firm]), ("champion", 60, [])):
        members = list(dict.fromkeys(extra + rng.sample(others, max(2, len(firms) // share))))
        _commit(session, district, kind, "2024", [_row(n, f) for n, f in enumerate(members, start=2)])
    for product in session.scalars(select(Product).where(Product.kind_code.in_(PRODUCT_RULES)).order_by(Product.id)):
        product.rules = {**(product.rules or {}), **PRODUCT_RULES[product.kind_code]}
    session.flush()
    _consents_and_views(session, rng)


def _consents_and_views(session: Session, rng: random.Random) -> None:
    """Consent on most live requests (by the firm, or its township on its behalf) and a few bank looks."""
    filers = {u.township_id: u for u in session.scalars(select(User).where(User.role == "township").order_by(User.id))}
    firm_users = {u.firm_id: u for u in session.scalars(select(User).where(User.role == "enterprise"))}
    requests = session.scalars(select(FinancingRequest).where(FinancingRequest.state != "draft")
                               .order_by(FinancingRequest.id))
    consenting = []
    for req in requests:
        actor = firm_users.get(req.firm_id) or filers.get(req.firm.township_id)
        if actor is not None and (req.firm_id in firm_users or rng.random() < 0.75):
            access.grant(session, actor, req)
            consenting.append(req.id)
    managers = {u.bank_id: u for u in session.scalars(select(User).where(User.role == "bank_manager")
                                                      .order_by(User.id))}
    held = session.execute(select(Lead.bank_id, FinancingRequest.firm_id)
                           .join(FinancingRequest, FinancingRequest.id == Lead.request_id)
                           .where(Lead.request_id.in_(consenting), Lead.claimed_at.is_not(None),
                                  Lead.state.in_(access.HELD_LEAD_STATES)).order_by(Lead.id)).all()
    for bank_id, firm_id in held[: 40]:
        if bank_id in managers:
            for _ in range(rng.randint(1, 2)):
                access.open_portrait(session, managers[bank_id], firm_id)
    session.flush()

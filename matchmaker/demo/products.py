"""Demo product rules: a few rules beyond amount, term and collateral on the demo catalogue, and existing bank debt on
firms that have loans, so the evaluator has something to say."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Firm, Product

DEMO_RULES = {  # kind -> rules added to the demo catalogue's products, so the evaluator has something to say
    "kechuang": {"min_tax_grade": "B", "min_firm_age_years": 1},
    "tech_upgrade": {"min_firm_age_years": 3},
    "zhengyinbao": {"max_existing_debt": 10_000_000},
    "green": {"industries": ["agriculture", "construction", "water_treatment", "new_materials"]},
    "rencai": {"min_tax_grade": "M"},
}


def build_demo(session: Session, rng) -> None:
    """Give the demo catalogue's products a few rules beyond amount, term and collateral."""
    for product in session.scalars(select(Product).where(Product.kind_code.in_(DEMO_RULES)).order_by(Product.id)):
        product.rules = {**(product.rules or {}), **DEMO_RULES[product.kind_code]}
    for firm in session.scalars(select(Firm).where(Firm.has_bank_loan.is_(True)).order_by(Firm.id)):
        if rng.random() < 0.8:
            firm.existing_bank_debt = rng.choice([50, 200, 500, 800, 1500, 3000]) * 10000
    session.flush()

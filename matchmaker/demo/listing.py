"""Demo listing reserve pool: twenty demo firms spread over tiers and stages, a few already listed or quoted."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.banks.listing import STAGE_ORDER, save
from ..models import Firm, User


def build_demo(session: Session, rng) -> None:
    """Twenty firms of the demo in the pool, spread over tiers and stages; a few already listed or quoted."""
    district = session.scalar(select(User).where(User.role == "district").order_by(User.id))
    firms = list(session.scalars(select(Firm).where(Firm.size.in_(("medium", "large"))).order_by(Firm.id).limit(20)))
    plan = (["cultivating"] * 6 + ["restructuring"] * 4 + ["tutoring"] * 4 + ["filing"] * 3 + ["listed"] * 3)
    for firm, stage in zip(firms, plan):
        market = rng.choice(["main", "chinext", "star", "bse"]) if stage in ("filing", "listed") else ""
        if stage == "listed" and rng.random() < 0.34:
            market = "neeq"
        joint = date(rng.randint(2021, 2023), rng.randint(1, 12), rng.randint(1, 28)) \
            if STAGE_ORDER.index(stage) >= 2 else None
        listed = date(2023, rng.randint(1, 12), rng.randint(1, 28)) if stage == "listed" else None
        tier = "first" if STAGE_ORDER.index(stage) >= 3 else rng.choice(["second", "third"])
        save(session, district, name=firm.name, tier=tier, stage=stage, industry=firm.industry, market=market,
             joint_stock_on=joint, listed_on=listed, owner=rng.choice(["王科长", "李主任", "张科员"]))

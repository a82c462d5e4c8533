"""The district's goals for the plan years (policy: 存贷比 83 %, 工业贷款 109 亿, +53 亿 in three years, 24 new
joint-stock firms, 6 listings, 2021–2023), as the district set them or the policy's defaults."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..core import settings

DEFAULT_GOALS = {"ldr_pct": "83", "industrial_loans_yi": "109", "industrial_increase_yi": "53",
                 "joint_stock_new": 24, "listed": 6, "start_year": 2021, "end_year": 2023}


def goals(session: Session) -> dict:
    stored = settings.get(session, "district_goals") or {}
    return {**DEFAULT_GOALS, **stored}

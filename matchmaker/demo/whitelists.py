"""Demo white lists: two or three batches of each of the six lists over the demo firms, made by the import code
itself, and one 2024 file left waiting in preview with names written a little differently."""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import resolve_thresholds
from ..domain.core.workdays import local_midnight_utc
from ..domain.whitelists.batches import ImportRejected, Thresholds, commit_rows, compare, resolve_rows, stage
from ..domain.whitelists.checking import CheckedFile
from ..models import Firm, User
from ..models.base import clock_at
from ..models.whitelists import PORTRAIT_KINDS, PROJECT_KINDS, WHITELIST_KINDS
from .names import other_char_typo, spelling_variant

PROJECT_WORDS = {
    "key_project": ["年产{n}万吨新材料项目", "智能制造产业园项目", "{n}万平方米标准化厂房建设项目", "高端装备生产基地项目"],
    "tech_upgrade": ["生产线智能化技术改造项目", "节能降耗技术改造项目", "{n}条自动化生产线技改项目", "数字化车间改造项目"],
    "rural_revitalisation": ["石榴特色种植示范项目", "土地综合整治项目", "农村人居环境提升项目", "{n}亩高标准农田建设项目"],
}


def build_demo(session: Session, rng: random.Random) -> None:
    """Two or three batches of each of the six lists over the demo firms, made by the import code itself."""
    firms = list(session.scalars(select(Firm).order_by(Firm.id)))
    if not firms:
        return
    district = session.scalar(select(User).where(User.role == "district"))
    for kind in (k for k in WHITELIST_KINDS if k not in PORTRAIT_KINDS):  # those: demo/portrait.py
        size = max(5, len(firms) // (6 if kind in PROJECT_KINDS else 4))
        members = rng.sample(firms, min(size, len(firms)))
        if kind in ("above_scale", "doubling_firm", "high_tech", "key_project") and firms[0] not in members:
            members[0] = firms[0]  # the demo enterprise account is on a few lists
        for year in ("2021", "2022", "2023")[rng.randint(0, 1):]:
            rows = [_demo_row(kind, firm, n, rng) for n, firm in enumerate(members, start=2)]
            with clock_at(local_midnight_utc(date(int(year), 3, 1)) + timedelta(hours=10)):
                commit_rows(session, district, kind, year, f"{WHITELIST_KINDS[kind]}{year}.xlsx", rows)
            members = [f for f in members if rng.random() > 0.12] + rng.sample(firms, max(1, size // 8))
            members = list(dict.fromkeys(members))
    _demo_pending_import(session, firms, district, rng)


def _demo_pending_import(session: Session, firms: list[Firm], district: User | None, rng: random.Random) -> None:
    """A 2024 file waiting in preview, with names written a little differently: the review queue has work."""
    rows = []
    for n, firm in enumerate(rng.sample(firms, min(10, len(firms))), start=3):
        name = other_char_typo(rng, firm.name) if n < 7 else spelling_variant(rng, firm.name)[0]
        rows.append({"row": n, "name": name, "uscc": "", "township_id": firm.township_id, "industry": None,
                     "project_name": "", "investment_wan": None, "remark": "", "extra": {}})
    rows.append({"row": len(rows) + 3, "name": "枣庄市中区新申报科技有限公司", "uscc": "", "township_id": None,
                 "industry": "it", "project_name": "", "investment_wan": None, "remark": "", "extra": {}})
    resolved = resolve_rows(session, CheckedFile("high_tech", "", 2, [], rows), Thresholds(*resolve_thresholds()))
    try:
        summary = compare(session, "high_tech", "2024", resolved)
    except ImportRejected:
        return
    stage(session, district, "high_tech", "2024", "2024年高新技术企业名单（初稿）.xlsx", resolved, summary)


def _demo_row(kind: str, firm: Firm, n: int, rng: random.Random) -> dict:
    project = ""
    amount = None
    if kind in PROJECT_KINDS:
        project = rng.choice(PROJECT_WORDS[kind]).format(n=rng.choice([2, 5, 10, 20, 50]))
        amount = str(Decimal(rng.choice([500, 800, 1200, 3000, 5000, 12000, 26000])))
    return {"row": n, "name": firm.name, "uscc": firm.uscc or "", "township_id": firm.township_id,
            "industry": firm.industry, "project_name": project, "investment_wan": amount, "remark": "", "extra": {},
            "decision": "auto", "method": "uscc", "score": 100.0, "firm_id": firm.id, "chosen": None,
            "matched_name": firm.name, "candidates": [], "note": ""}

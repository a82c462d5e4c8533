"""The listing reserve pool (上市后备资源库), kept by the district: firms with their tier and stage
(培育 → 股改 → 辅导 → 申报 → 上市/挂牌), each change of stage written to the history; counts for the goals."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Firm, History, ListingCandidate, User, utcnow
from ...models.firms import INDUSTRIES
from ...text import N_
from ..core.errors import DomainError, Forbidden, NotFound
from ..requests import lifecycle
from .periods import local_date

STAGES = {"cultivating": N_("培育"), "restructuring": N_("股改"), "tutoring": N_("辅导"), "filing": N_("申报"),
          "listed": N_("上市/挂牌")}
STAGE_ORDER = list(STAGES)
TIERS = {"first": N_("第一梯队（1年内申报）"), "second": N_("第二梯队（2–3年申报）"), "third": N_("第三梯队（培育储备）")}
# a tier's short name (on the pipeline's cards)
TIER_SHORT = {"first": N_("第一梯队"), "second": N_("第二梯队"), "third": N_("第三梯队")}
MARKETS = {"": N_("未定"), "main": N_("沪深主板"), "chinext": N_("创业板"), "star": N_("科创板"), "bse": N_("北交所"),
           "overseas": N_("境外上市"), "neeq": N_("新三板挂牌"), "regional": N_("区域性股权市场挂牌")}
LISTING_MARKETS = ("main", "chinext", "star", "bse", "overseas")  # 上市 (the others are 挂牌)


def _district(actor: User) -> None:
    if actor.role != "district":
        raise Forbidden("上市后备资源库由区金融监管局维护")


def get(session: Session, candidate_id: int) -> ListingCandidate:
    row = session.get(ListingCandidate, candidate_id)
    if row is None:
        raise NotFound("后备企业不存在")
    return row


def _resolve_firm(session: Session, text: str) -> Firm | None:
    text = text.strip()
    return session.scalar(select(Firm).where((Firm.uscc == text.upper()) | (Firm.name == text)))


def save(session: Session, actor: User, *, name: str, tier: str, stage: str, industry: str = "other",
         market: str = "", joint_stock_on: date | None = None, listed_on: date | None = None, owner: str = "",
         note: str = "", candidate_id: int | None = None, today: date | None = None) -> ListingCandidate:
    """Add a firm to the pool or update it; a change of stage is written to the history."""
    _district(actor)
    today = today or local_date(utcnow())
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写企业名称或统一社会信用代码", field="name")
    if tier not in TIERS:
        raise DomainError("请选择梯队", field="tier")
    if stage not in STAGES:
        raise DomainError("请选择阶段", field="stage")
    if market not in MARKETS:
        raise DomainError("请选择目标市场", field="market")
    if industry not in INDUSTRIES:
        raise DomainError("请选择行业", field="industry")
    if stage == "listed" and not market:
        raise DomainError("上市/挂牌的企业请选择市场", field="market")
    if listed_on and stage != "listed":
        raise DomainError("只有“上市/挂牌”阶段的企业才有上市日期", field="listed_on")
    for field, day in (("joint_stock_on", joint_stock_on), ("listed_on", listed_on)):
        if day and day > today:
            raise DomainError("日期不能晚于今天", field=field)
    firm = _resolve_firm(session, name)
    display = firm.name if firm else name
    clash = session.scalar(select(ListingCandidate).where(ListingCandidate.name == display,
                                                          ListingCandidate.id != (candidate_id or 0)))
    if clash is not None:
        raise DomainError("“%(name)s”已在后备资源库中", field="name", name=display)
    row = get(session, candidate_id) if candidate_id else ListingCandidate(stage=stage)
    old_stage = row.stage if candidate_id else None
    row.firm_id, row.name, row.tier, row.stage, row.market = (firm.id if firm else None), display, tier, stage, market
    row.industry = firm.industry if firm and industry == "other" else industry
    row.owner, row.note = (owner or "").strip()[:50], (note or "").strip()
    if STAGE_ORDER.index(stage) >= STAGE_ORDER.index("tutoring") and joint_stock_on is None:
        joint_stock_on = row.joint_stock_on or today  # past 股改: the firm is now a 股份有限公司
    row.joint_stock_on = joint_stock_on
    row.listed_on = listed_on or (row.listed_on or today if stage == "listed" else None)
    session.add(row)
    session.flush()
    if old_stage != stage:
        text = f"{STAGES[old_stage]} → {STAGES[stage]}" if old_stage else f"纳入后备资源库（{STAGES[stage]}）"
        lifecycle.record(session, "listing", row.id, None, actor, old_stage, stage, text)
    return row


def move(session: Session, actor: User, candidate_id: int, step: int, today: date | None = None) -> ListingCandidate:
    """Move a firm one stage forward (step=1) or back (step=-1)."""
    row = get(session, candidate_id)
    index = STAGE_ORDER.index(row.stage) + step
    if not 0 <= index < len(STAGE_ORDER):
        raise DomainError("已经是第一个或最后一个阶段")
    stage = STAGE_ORDER[index]
    if stage == "listed" and not row.market:
        raise DomainError("请先编辑该企业并选择上市/挂牌的市场")
    return save(session, actor, name=row.name, tier=row.tier, stage=stage, industry=row.industry, market=row.market,
                joint_stock_on=row.joint_stock_on, listed_on=row.listed_on if stage == "listed" else None,
                owner=row.owner, note=row.note, candidate_id=row.id, today=today)


def pipeline(session: Session, tier: str | None = None,
             industry: str | None = None) -> dict[str, list[ListingCandidate]]:
    query = select(ListingCandidate).order_by(ListingCandidate.tier, ListingCandidate.name)
    if tier:
        query = query.where(ListingCandidate.tier == tier)
    if industry:
        query = query.where(ListingCandidate.industry == industry)
    out: dict[str, list[ListingCandidate]] = {s: [] for s in STAGES}
    for row in session.scalars(query):
        out[row.stage].append(row)
    return out


def goal_counts(session: Session, start_year: int, end_year: int) -> dict[str, int]:
    """New joint-stock firms in [start_year, end_year], and firms listed (上市) or quoted (挂牌) so far."""
    joint = session.scalar(select(func.count()).select_from(ListingCandidate).where(
        ListingCandidate.joint_stock_on >= date(int(start_year), 1, 1),
        ListingCandidate.joint_stock_on <= date(int(end_year), 12, 31))) or 0
    listed = session.scalar(select(func.count()).select_from(ListingCandidate).where(
        ListingCandidate.stage == "listed", ListingCandidate.market.in_(LISTING_MARKETS))) or 0
    quoted = session.scalar(select(func.count()).select_from(ListingCandidate).where(
        ListingCandidate.stage == "listed", ListingCandidate.market.not_in(LISTING_MARKETS))) or 0
    return {"joint_stock_new": joint, "listed": listed, "quoted": quoted}


def history(session: Session, candidate_id: int) -> list[History]:
    return list(session.scalars(select(History).where(History.entity == "listing", History.entity_id == candidate_id)
                                .order_by(History.at, History.id)))

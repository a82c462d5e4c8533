"""Routing: rank (bank, product) pairs for a financing request and send it to the best few banks.

Hard rules first (see `eligibility`), then a score whose named parts are stored on each lead so the firm
can see "why this bank". Everything needed to rank is loaded once into a RoutingContext so that ranking a
request is pure in-memory work (see benchmarks/route_requests.py). A filed request does not reload it: the
context stays warm per database and is rebuilt only when a cheap stamp over its inputs (products, banks, weights,
targets, reports, calendar, latest claim) changes; the live figures (open leads, the firm's recent declines) are
read fresh each time.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from operator import attrgetter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import (
    Bank,
    BankTarget,
    FinancingRequest,
    Firm,
    Lead,
    MonthlyReport,
    Product,
    ProductKind,
    Setting,
    Township,
    User,
    WorkdayOverride,
    utcnow,
)
from ...models.requests import OPEN_LEAD_STATES
from ...models.whitelists import QUALIFICATION_KINDS
from ...text import N_
from ..banks.figures import target_gap_share, workdays_to
from ..banks.targets import latest_progress
from ..core import settings, weights
from ..core.changes import record_changes
from ..core.errors import Forbidden
from ..core.workdays import Calendar, load_calendar, local_date
from ..whitelists.grades import verified_grades
from ..whitelists.lists import whitelist_kinds_by_firm
from . import followups, lifecycle, notes
from .eligibility import (
    WHITELIST_LABELS,
    FirmFacts,
    ProductRules,
    RequestFacts,
    firm_passes,
    is_eligible,
    reason_text,
    request_passes,
    says,
)
from .unmatched import close_if_unmatched

DECLINE_COOLDOWN_DAYS = 90
WEIGHT_LABELS = {
    "product_fit": (N_("产品匹配"), N_("企业勾选的产品种类与该行产品一致的程度")),
    "whitelist": (N_("名单与资质优先"), N_("企业列入区级白名单或经核验的资质名单（专精特新、瞪羚、单项冠军、链主及其供应商），"
                                        "尤其是产品优先支持的；无名单时，税务核验的 A 级纳税信用也加分")),
    "target_gap": (N_("目标差距"), N_("该行距本年工业贷款目标还差多少（差得越多越优先）")),
    "speed": (N_("响应速度"), N_("该行以往认领线索的速度")),
    "workload": (N_("在办负荷"), N_("该行在办线索占其容量的比例（越空闲越优先）")),
    "nearby": (N_("就近服务"), N_("该行网点与企业在同一镇街")),
}


@dataclass(slots=True)
class BankFacts:
    id: int
    name: str
    township_id: int | None
    capacity: int
    open_leads: int = 0
    target_gap: float = 0.5  # 0 = target met, 1 = nothing towards it yet
    target_why: list = field(default_factory=list)  # the reason's segments (eligibility.says)
    avg_claim_workdays: float | None = None

    @property
    def target_reason(self) -> str:
        return reason_text(self.target_why)


@dataclass(slots=True)
class Match:
    bank_id: int
    product_id: int
    score: float
    parts: dict


@dataclass
class RoutingContext:
    products: list[ProductRules]
    banks: dict[int, BankFacts]
    weights: dict[str, float]
    fanout: int = 3
    recent_declines: dict[int, set[int]] = field(default_factory=dict)  # firm_id -> bank ids
    kind_names: dict[str, str] = field(default_factory=dict)
    whitelist_kinds: dict[int, frozenset[str]] = field(default_factory=dict)  # firm_id -> kinds
    verified_grades: dict[int, str] | None = None  # firm_id -> verified tax grade; None: read per request
    today: date = field(default_factory=local_date)  # Beijing date: firm ages and deadlines
    calendar: Calendar = field(default_factory=Calendar)
    memo: dict = field(default_factory=dict, repr=False, compare=False)  # rank's caches (see `_memo`)


def firm_whitelist_kinds(session: Session, firm_ids: list[int] | None = None) -> dict[int, frozenset[str]]:
    """White-list kinds each firm belongs to (current batches)."""
    return whitelist_kinds_by_firm(session, firm_ids)


def firm_verified_grades(session: Session, firm_ids: list[int] | None = None) -> dict[int, str]:
    """Tax credit grade each firm has on the newest tax bureau list (核验)."""
    return verified_grades(session, firm_ids)


def load_context(session: Session, today: date | None = None, firm_ids: list[int] | None = None) -> RoutingContext:
    """Snapshot products, banks and their live figures for ranking; recent declines of `firm_ids` (all firms
    when None)."""
    today = today or local_date()
    kind_names = {}
    products = []
    township_names = dict(session.execute(select(Township.id, Township.name)).all())
    for p in session.scalars(select(Product).join(Bank).where(Product.active.is_(True), Bank.active.is_(True))
                             .order_by(Product.id)):
        products.append(ProductRules.from_product(p, township_names))
        kind_names[p.kind_code] = p.kind.name
    banks = {
        b.id: BankFacts(id=b.id, name=b.name, township_id=b.township_id, capacity=b.capacity)
        for b in session.scalars(select(Bank).where(Bank.active.is_(True)))
    }
    for bank_id, n in _open_leads(session).items():
        if bank_id in banks:
            banks[bank_id].open_leads = n
    _fill_target_gaps(session, banks, today.year)
    calendar = load_calendar(session)
    _fill_claim_speed(session, banks, calendar)
    return RoutingContext(
        products=products,
        banks=banks,
        weights=current_weights(session),
        fanout=int(settings.get(session, "routing_fanout")),
        recent_declines=recent_declines(session, firm_ids),
        kind_names=kind_names,
        today=today,
        calendar=calendar,
    )


def recent_declines(session: Session, firm_ids: list[int] | None = None) -> dict[int, set[int]]:
    """Banks that declined each firm in the last DECLINE_COOLDOWN_DAYS days (of `firm_ids`, or all firms)."""
    if firm_ids is not None and not firm_ids:
        return {}
    since = utcnow() - timedelta(days=DECLINE_COOLDOWN_DAYS)
    query = (select(FinancingRequest.firm_id, Lead.bank_id).join(Lead, Lead.request_id == FinancingRequest.id)
             .where(Lead.state == "declined", Lead.decided_at >= since))
    if firm_ids is not None:
        query = query.where(FinancingRequest.firm_id.in_(firm_ids))
    declines: dict[int, set[int]] = defaultdict(set)
    for firm_id, bank_id in session.execute(query):
        declines[firm_id].add(bank_id)
    return dict(declines)


def _open_leads(session: Session) -> dict[int, int]:
    return dict(session.execute(select(Lead.bank_id, func.count()).where(Lead.state.in_(OPEN_LEAD_STATES))
                                .group_by(Lead.bank_id)).all())


SPEED_TTL_SECONDS = 60.0  # claim speed (last 5,000 claims) moves slowly; the latest claim in the stamp catches new ones
_warm: dict[str, tuple[str, RoutingContext, float]] = {}  # database url -> (stamp, context, loaded at)
_warm_lock = threading.Lock()


def _stamp(session: Session, today: date) -> str:
    """Everything the cached part of the context is computed from, in a few small reads: products, banks,
    townships, product kinds and settings row by row; targets, reports and calendar by count and latest change;
    the latest claim (claim speed). Equal stamps give equal contexts (claim speed: within SPEED_TTL_SECONDS)."""
    small = [session.execute(select(table)).all() for table in (Product.__table__, Bank.__table__,
                                                                 Township.__table__, ProductKind.__table__,
                                                                 Setting.__table__)]
    aggregates = session.execute(select(
        select(func.count()).select_from(BankTarget).scalar_subquery(),
        select(func.max(BankTarget.id)).scalar_subquery(),
        select(func.sum(BankTarget.ldr_pct)).scalar_subquery(),
        select(func.sum(BankTarget.industrial_loans_yi)).scalar_subquery(),
        select(func.count()).select_from(MonthlyReport).scalar_subquery(),
        select(func.max(MonthlyReport.id)).scalar_subquery(),
        select(func.count()).select_from(WorkdayOverride).scalar_subquery(),
        select(func.max(WorkdayOverride.updated_at)).scalar_subquery(),
        select(func.max(Lead.claimed_at)).scalar_subquery(),
    )).one()
    return repr((today, small, tuple(aggregates)))


def warm_context(session: Session, firm_id: int, today: date | None = None) -> RoutingContext:
    """The routing context for one firm's request without reloading it: the cached part while its stamp holds,
    with this moment's open leads per bank and this firm's recent declines."""
    today = today or local_date()
    key = session.get_bind().url.render_as_string(hide_password=False)
    stamp = _stamp(session, today)
    cached = _warm.get(key)
    if cached is None or cached[0] != stamp or time.monotonic() - cached[2] > SPEED_TTL_SECONDS:
        base = load_context(session, today, firm_ids=[])
        with _warm_lock:
            _warm[key] = (stamp, base, time.monotonic())
    else:
        base = cached[1]
    banks = {bank_id: replace(facts, open_leads=0) for bank_id, facts in base.banks.items()}
    for bank_id, n in _open_leads(session).items():
        if bank_id in banks:
            banks[bank_id].open_leads = n
    return RoutingContext(products=base.products, banks=banks, weights=dict(base.weights), fanout=base.fanout,
                          recent_declines=recent_declines(session, [firm_id]), kind_names=base.kind_names,
                          today=today, calendar=base.calendar)


def current_weights(session: Session) -> dict[str, float]:
    """The district's score weights (defaults for any part not set)."""
    stored = settings.get(session, "routing_weights") or {}
    defaults = settings.DEFAULTS["routing_weights"]
    return {k: float(stored.get(k, defaults[k]) if isinstance(stored, dict) else defaults[k]) for k in WEIGHT_LABELS}


def validate_weights(values: dict) -> dict[str, float]:
    """Each part 0–100 (at most 2 decimals), not all zero. Errors name the part's field."""
    return weights.validate_weights(values, WEIGHT_LABELS, N_("权重不能全部为0，否则无法排序"))


def save_weights(session: Session, actor: User, values: dict) -> dict[str, float]:
    """The district sets the score weights; routing reads them for every request from now on."""
    if actor.role != "district":
        raise Forbidden("只有区金融监管局可以调整推荐权重")
    cleaned = validate_weights(values)
    before = current_weights(session)
    settings.put(session, "routing_weights", cleaned)
    session.flush()
    record_changes(session, actor, "weights", 0, before, cleaned)
    return cleaned


def _fill_target_gaps(session: Session, banks: dict[int, BankFacts], year: int) -> None:
    """Gap to this year's industrial-loan target: the bank's latest reported balance against the target, the same
    figure `/targets/` shows (`targets.industrial_completion`). Without a report or a target the part is neutral
    and the reason says why."""
    completion = {row["bank_id"]: row for row in latest_progress(session, year, as_of=utcnow())}
    for bank_id, facts in banks.items():
        pct, facts.target_why = _target_reason(completion.get(bank_id), year)
        facts.target_gap = target_gap_share(pct, NEUTRAL_GAP)


def _target_reason(row: dict | None, year: int) -> tuple[str | None, list]:
    """A bank's completion of the year's industrial-loan target and where it stands, as
    `targets.industrial_completion` says it (the figure `/targets/` shows), kept as segments to write per reader."""
    if row is None or row["target_industrial"] is None:
        return None, [says(N_("%(year)s年未设定工业贷款目标"), year=year)]
    pct = row["completion_pct"]
    if pct is None:
        return None, [says(N_("%(year)s年尚未报送工业贷款余额"), year=year)]
    return pct, [says(N_("%(month)s工业贷款余额完成本年目标 %(pct)s%%"), month=str(row["month"]), pct=str(pct))]


def _fill_claim_speed(session: Session, banks: dict[int, BankFacts], calendar: Calendar) -> None:
    """Each bank's mean working days from routing to claim over its latest claims: the bulletins' 认领（工作日）
    figure (`figures.workdays_to`), so "why this bank" and the bulletin say the same."""
    rows = session.execute(
        select(Lead.bank_id, Lead.created_at, Lead.claimed_at).where(Lead.claimed_at.is_not(None))
        .order_by(Lead.claimed_at.desc()).limit(5000)
    ).all()
    per_bank: dict[int, list[int]] = defaultdict(list)
    for bank_id, created, claimed in rows:
        per_bank[bank_id].append(workdays_to(calendar, local_date(created), local_date(claimed)))
    for bank_id, days in per_bank.items():
        if bank_id in banks:
            banks[bank_id].avg_claim_workdays = sum(days) / len(days)


NEUTRAL_GAP = 0.5  # no report or no target this year: neither pushed nor held back
PARTS = tuple(WEIGHT_LABELS)  # product_fit, whitelist, target_gap, speed, workload, nearby


def _fit(product: ProductRules, req: RequestFacts) -> float:
    if not req.interests:
        return 0.6
    return 1.0 if product.kind_code in req.interests else 0.3


VERIFIED_A_ONLY = 0.5  # no list at all, but the tax bureau grades the firm A


def _whitelist(product: ProductRules, firm: FirmFacts) -> float:
    if not firm.whitelist_kinds:
        return VERIFIED_A_ONLY if firm.verified_grade == "A" else 0.0
    return 1.0 if firm.whitelist_kinds & product.preferred_whitelists else 0.7


def whitelist_reason(product: ProductRules, firm: FirmFacts) -> list:
    """Why the 名单与资质 part scored what it did (segments): lists and verified qualifications, and a verified A
    grade."""
    kinds = firm.whitelist_kinds
    hit = sorted(kinds & product.preferred_whitelists) or sorted(kinds)
    lists = [WHITELIST_LABELS.get(k, k) for k in hit if k not in QUALIFICATION_KINDS]
    quals = [WHITELIST_LABELS.get(k, k) for k in hit if k in QUALIFICATION_KINDS]
    words = ([says(N_("白名单企业：%(lists)s"), lists={"ts": lists})] if lists else []) + \
        ([says(N_("核验资质：%(quals)s"), quals={"ts": quals})] if quals else [])
    if firm.verified_grade == "A":
        words.append(says(N_("纳税信用 A 级（税务核验）")))
    return words or [says(N_("不在白名单，也无核验资质"))]


def _bank_values(bank: BankFacts, firm: FirmFacts) -> tuple[float, float, float, float]:
    """target_gap, speed, workload and nearby: the parts that depend on the bank (and the firm's township)."""
    speed = 0.5 if bank.avg_claim_workdays is None else 1.0 / (1.0 + bank.avg_claim_workdays)
    load = max(0.0, 1.0 - bank.open_leads / bank.capacity) if bank.capacity else 0.0
    near = 1.0 if (bank.township_id is not None and bank.township_id == firm.township_id) else 0.0
    return bank.target_gap, speed, load, near


def _product_values(ctx: RoutingContext, product: ProductRules, firm: FirmFacts, req: RequestFacts) -> dict:
    """product_fit and whitelist: (value 0–1, reason), from the product, the request's interests, the firm's lists."""
    kind_name = ctx.kind_names.get(product.kind_code, product.kind_code)
    fit = _fit(product, req)
    fit_reason = [says(N_("企业关注的产品：%(kind)s") if fit == 1.0 else N_("符合%(kind)s的准入条件") if fit == 0.6
                       else N_("可办理%(kind)s（非企业勾选产品）"), kind=kind_name)]
    wl = _whitelist(product, firm)
    wl_reason = whitelist_reason(product, firm)
    return {"product_fit": (fit, fit_reason), "whitelist": (wl, wl_reason)}


def _bank_reasons(bank: BankFacts, firm: FirmFacts) -> dict:
    """target_gap, speed, workload and nearby: (value 0–1, reason), from the bank and the firm's township."""
    gap, speed, load, near = _bank_values(bank, firm)
    return {
        "target_gap": (gap, bank.target_why or [says(N_("暂无工业贷款目标进度"))]),
        "speed": (speed, [says(N_("暂无历史响应记录"))] if bank.avg_claim_workdays is None
                  else [says(N_("历史平均 %(days)s 个工作日认领"), days=f"{bank.avg_claim_workdays:.1f}")]),
        "workload": (load, [says(N_("在办线索 %(open)s / 容量 %(capacity)s"), open=bank.open_leads,
                                 capacity=bank.capacity)]),
        "nearby": (near, [says(N_("网点与企业同在一个镇街") if near else N_("网点不在企业所在镇街"))]),
    }


def _parts(ctx: RoutingContext, values: dict) -> tuple[float, dict]:
    w = ctx.weights
    parts = {}
    total = 0.0
    for name, (value, why) in values.items():
        points = value * w.get(name, 0.0)
        total += points
        # "reason": the Chinese text (the API, exports); "why": what to say, written in each reader's language
        parts[name] = {"value": round(value, 3), "weight": w.get(name, 0.0), "points": round(points, 2),
                       "reason": reason_text(why), "why": why}
    return total, parts


def score(ctx: RoutingContext, product: ProductRules, bank: BankFacts, firm: FirmFacts,
          req: RequestFacts) -> tuple[float, dict]:
    """Score one eligible pair; returns the total and its named parts (value 0–1, weight, points, reason)."""
    return _parts(ctx, {**_product_values(ctx, product, firm, req), **_bank_reasons(bank, firm)})


def rank(ctx: RoutingContext, firm: FirmFacts, req: RequestFacts, exclude_banks: set[int] | None = None,
         limit: int | None = None) -> list[Match]:
    """The best product per bank among eligible pairs, best banks first, at most `limit` (default fanout).

    Same answer as scoring every eligible pair (`rank_pairwise`), without the per-pair work: which products a
    request and a firm pass is a bitmask looked up by the request's and the firm's facts (each product checked
    once per distinct value, by `is_eligible`); the products in score order — by the request's interests, the
    firm's white lists and township — are kept per context; the first eligible product of each bank in that order
    is its best. The parts with reasons are built for the chosen matches only (and kept for the next equal ones)."""
    excluded = ctx.recent_declines.get(firm.id)
    if exclude_banks:
        excluded = set(exclude_banks) | excluded if excluded else set(exclude_banks)
    limit = ctx.fanout if limit is None else limit
    if limit <= 0:
        return rank_pairwise(ctx, firm, req, exclude_banks, limit)
    memo = _memo(ctx)
    eligible = _request_mask(ctx, memo, req) & _firm_mask(ctx, memo, firm)
    if not eligible:
        return []
    key = (req.interests, firm.whitelist_kinds, firm.township_id, firm.verified_grade == "A")  # what scores use
    order = memo["order"].get(key)
    if order is None:
        order = memo["order"][key] = _score_order(ctx, firm, req)
        memo["misses"] += 1
    matches, seen = [], set()
    for bit, bank_id, total, index in order:
        if eligible & bit and bank_id not in seen and not (excluded and bank_id in excluded):
            seen.add(bank_id)
            product = ctx.products[index]
            mine = memo["parts"].get((index, key))
            if mine is None:
                mine = memo["parts"][(index, key)] = _parts(ctx, _product_values(ctx, product, firm, req))[1]
                memo["misses"] += 1
            near = ctx.banks[bank_id].township_id == firm.township_id
            theirs = memo["banks"].get((bank_id, near))
            if theirs is None:
                theirs = memo["banks"][(bank_id, near)] = _parts(ctx, _bank_reasons(ctx.banks[bank_id], firm))[1]
            matches.append(Match(bank_id, product.id, total, {**mine, **theirs}))
            if len(matches) == limit:
                break
    return matches


def rank_pairwise(ctx: RoutingContext, firm: FirmFacts, req: RequestFacts, exclude_banks: set[int] | None = None,
                  limit: int | None = None) -> list[Match]:
    """`rank` pair by pair: every product checked and scored (the reference `rank` is pinned to in the tests)."""
    excluded = set(exclude_banks or ())
    excluded |= ctx.recent_declines.get(firm.id, set())
    w_fit, w_wl, w_gap, w_speed, w_load, w_near = (ctx.weights.get(k, 0.0) for k in PARTS)
    bank_points: dict[int, float] = {}
    best: dict[int, tuple[float, ProductRules]] = {}
    today = ctx.today
    for product in ctx.products:
        bank_id = product.bank_id
        bank = ctx.banks.get(bank_id)
        if bank is None or bank_id in excluded or bank.open_leads >= bank.capacity:
            continue
        if not is_eligible(product, firm, req, today):
            continue
        points = bank_points.get(bank_id)
        if points is None:
            gap, speed, load, near = _bank_values(bank, firm)
            points = bank_points[bank_id] = gap * w_gap + speed * w_speed + load * w_load + near * w_near
        total = _fit(product, req) * w_fit + _whitelist(product, firm) * w_wl + points
        current = best.get(bank_id)
        if current is None or total > current[0]:
            best[bank_id] = (total, product)
    chosen = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[: (limit if limit is not None
                                                                                else ctx.fanout)]
    matches = []
    for bank_id, (total, product) in chosen:
        _, parts = score(ctx, product, ctx.banks[bank_id], firm, req)
        matches.append(Match(bank_id, product.id, total, parts))
    return matches


_MEMO_SIZE = 200_000  # entries in a context's caches before they start over


_OPEN_LEADS = attrgetter("open_leads")


def _memo(ctx: RoutingContext) -> dict:
    """The context's caches, emptied when anything they are computed from changed: the products, the banks, the
    weights, the date, or a bank's open leads (route_request counts each new lead in; the other figures of a
    bank are set when the context is made). The parts of the matches are shared between equal matches: read
    them, don't change them."""
    state = (id(ctx.products), len(ctx.products), id(ctx.banks), tuple(ctx.weights.items()), ctx.today,
             tuple(map(_OPEN_LEADS, ctx.banks.values())))
    memo = ctx.memo
    if memo.get("state") != state or memo["misses"] > _MEMO_SIZE:
        memo.clear()
        memo.update(state=state, request={}, firm={}, order={}, parts={}, banks={}, misses=0)
    return memo


def _request_mask(ctx: RoutingContext, memo: dict, req: RequestFacts) -> int:
    """Bit i set: the request passes the amount, term and collateral rules of product i."""
    key = (req.amount, req.term_months, req.collateral)
    mask = memo["request"].get(key)
    if mask is None:
        mask = memo["request"][key] = sum(1 << i for i, p in enumerate(ctx.products) if request_passes(p, req))
        memo["misses"] += 1
    return mask


def _firm_mask(ctx: RoutingContext, memo: dict, firm: FirmFacts) -> int:
    """Bit i set: the firm passes the rules of product i on the firm (first loan, industry, township, white lists,
    tax grade, debt, age)."""
    key = (firm.has_bank_loan, firm.industry, firm.township_id, firm.whitelist_kinds, firm.tax_credit_grade,
           firm.verified_grade, firm.existing_debt, firm.founded_year)
    mask = memo["firm"].get(key)
    if mask is None:
        year = ctx.today.year
        mask = memo["firm"][key] = sum(1 << i for i, p in enumerate(ctx.products) if firm_passes(p, firm, year))
        memo["misses"] += 1
    return mask


def _score_order(ctx: RoutingContext, firm: FirmFacts, req: RequestFacts) -> list[tuple[int, int, float, int]]:
    """(bit, bank id, total, index) of every product of a bank with room, by total descending, then bank id, then
    the product's place: the order `rank_pairwise` ends up choosing in (a bank's best product is its first one)."""
    w_fit, w_wl, w_gap, w_speed, w_load, w_near = (ctx.weights.get(k, 0.0) for k in PARTS)
    bank_points: dict[int, float] = {}
    rows = []
    for index, product in enumerate(ctx.products):
        bank = ctx.banks.get(product.bank_id)
        if bank is None or bank.open_leads >= bank.capacity:
            continue
        points = bank_points.get(bank.id)
        if points is None:
            gap, speed, load, near = _bank_values(bank, firm)
            points = bank_points[bank.id] = gap * w_gap + speed * w_speed + load * w_load + near * w_near
        total = _fit(product, req) * w_fit + _whitelist(product, firm) * w_wl + points
        rows.append((1 << index, product.bank_id, total, index))
    rows.sort(key=lambda row: (-row[2], row[1], row[3]))
    return rows


def facts_for(request: FinancingRequest, firm: Firm, whitelist_kinds: frozenset[str] = frozenset(),
              verified_grade: str | None = None):
    return FirmFacts.from_firm(firm, whitelist_kinds, verified_grade), RequestFacts.from_request(request)


def lead_values(ctx: RoutingContext, request_id: int, m: Match, rank_no: int, deadline: date) -> dict:
    """Column values of a new lead for a match (shared by route_request and the sweep's bulk re-routing)."""
    return {"request_id": request_id, "bank_id": m.bank_id, "product_id": m.product_id, "state": "routed",
            "rank": rank_no, "score": Decimal(str(round(m.score, 3))), "score_parts": m.parts,
            "claim_deadline": deadline}


def routed_note(ctx: RoutingContext, m: Match) -> str:
    return notes.note(notes.ROUTED, bank=ctx.banks[m.bank_id].name, score=f"{m.score:.1f}")


def route_request(session: Session, request: FinancingRequest, actor: User | None = None,
                  ctx: RoutingContext | None = None, today: date | None = None,
                  claim_workdays: int = 2, exclude_banks: set[int] | None = None,
                  limit: int | None = None) -> list[Lead]:
    """Create leads for the best banks not tried yet (banks with a lead on the request, and `exclude_banks`,
    are skipped) and move the request to `routed`. With no bank left: a new request becomes `unmatched`; a
    re-routed one becomes `unmatched` only once none of its leads is open and it has no offer."""
    ctx = ctx or warm_context(session, request.firm_id, today)
    today = today or ctx.today
    kinds = ctx.whitelist_kinds.get(request.firm_id)
    if kinds is None:
        kinds = firm_whitelist_kinds(session, [request.firm_id]).get(request.firm_id, frozenset())
    grades = ctx.verified_grades if ctx.verified_grades is not None \
        else firm_verified_grades(session, [request.firm_id])
    firm_facts, req_facts = facts_for(request, request.firm, kinds, grades.get(request.firm_id))
    already = {lead.bank_id for lead in request.leads} | set(exclude_banks or ())
    matches = rank(ctx, firm_facts, req_facts, exclude_banks=already, limit=limit)
    if not matches:
        if request.state == "submitted":
            lifecycle.transition(session, request, "unmatched", None, notes.NO_PRODUCT)
            followups.request_unmatched(session, request)
        else:
            close_if_unmatched(session, request)
        return []
    deadline = ctx.calendar.add_workdays(today, claim_workdays)
    next_rank = max((lead.rank for lead in request.leads), default=0) + 1
    leads = [Lead(request=request, **lead_values(ctx, request.id, m, next_rank + offset, deadline))
             for offset, m in enumerate(matches)]
    session.add_all(leads)
    session.flush()
    for lead, m in zip(leads, matches):
        lifecycle.record(session, "lead", lead.id, request.id, None, None, "routed", routed_note(ctx, m))
        ctx.banks[m.bank_id].open_leads += 1
    if request.state != "routed":
        lifecycle.transition(session, request, "routed", None, notes.note(notes.ROUTED_MANY, n=len(leads)))
    followups.leads_routed(session, request, leads)
    return leads

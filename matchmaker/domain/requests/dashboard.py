"""Figures for the dashboards, over a period (a month, quarter, year, a custom range, or all time): requests by
state, by bank and by township; amounts requested, approved and disbursed; the funnel requests → claimed →
approved → disbursed; the monthly trend; the mean calendar days from routing to claim per bank.

Each figure counts a row in the period by its own date: a request by when it was filed, an approval by when the
offer was made, a disbursement by its disbursement date, a lead by when it was routed. Functions take an optional
township to restrict the figures to. Every figure is one set-based query (GROUP BY), whatever the data size."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session

from ...models import Bank, FinancingRequest, Firm, Lead, Offer, Township
from ..banks import periods
from ..core.errors import DomainError

MAX_TREND_MONTHS = 36
PERIOD_KINDS = {"all": "全部", "monthly": "按月", "quarterly": "按季", "annual": "按年", "custom": "自定义"}


@dataclass(frozen=True)
class Window:
    """A period of the dashboard in Beijing dates: `start` inclusive, `end` exclusive; None = unbounded."""
    kind: str
    key: str
    label: str
    start: date | None = None
    end: date | None = None


ALL_TIME = Window("all", "", "全部时间")


def window_from(kind: str | None, key: str | None = None, start: str | None = None, end: str | None = None) -> Window:
    """The dashboard's period from its filter: kind all / monthly ('2026-03') / quarterly ('2026Q1') / annual
    ('2026') / custom (two ISO dates, both inclusive). A bad value is a DomainError naming the field."""
    kind = kind or "all"
    if kind == "all":
        return ALL_TIME
    if kind in ("monthly", "quarterly", "annual"):
        p = periods.parse(kind, key)
        return Window(kind, p.key, p.label, p.start, p.end)
    if kind == "custom":
        first = _iso(start, "start")
        last = _iso(end, "end")
        if last < first:
            raise DomainError("结束日期不能早于开始日期", field="end")
        if (last - first).days > 366 * 10:
            raise DomainError("自定义期间最长十年", field="end")
        return Window(kind, f"{first}~{last}", f"{first} 至 {last}", first, date.fromordinal(last.toordinal() + 1))
    raise DomainError("未知的期间类型", field="period")


def _iso(text: str | None, field: str) -> date:
    try:
        value = date.fromisoformat((text or "").strip())
    except ValueError:
        raise DomainError(f"日期“{(text or '')[:20]}”格式应为 YYYY-MM-DD", field=field) from None
    if not 2000 <= value.year <= 2100:
        raise DomainError("日期应在2000–2100年之间", field=field)
    return value


def _in_window(column, window: Window, is_date: bool = False) -> list:
    """Conditions putting a UTC datetime column (or a plain date column) inside the window's Beijing dates."""
    bound = (lambda d: d) if is_date else periods.utc_start
    out = []
    if window.start is not None:
        out.append(column >= bound(window.start))
    if window.end is not None:
        out.append(column < bound(window.end))
    return out


def _scoped(query, township_id: int | None):
    if township_id is not None:
        query = query.where(Firm.township_id == township_id)
    return query


def requests_by_state(session: Session, township_id: int | None = None, window: Window = ALL_TIME) -> dict[str, int]:
    q = (select(FinancingRequest.state, func.count()).join(Firm).where(*_in_window(FinancingRequest.created_at, window))
         .group_by(FinancingRequest.state))
    return dict(session.execute(_scoped(q, township_id)).all())


def amounts(session: Session, township_id: int | None = None, window: Window = ALL_TIME) -> dict[str, int]:
    """Total 元 requested (submitted requests filed in the period), approved (offers made in it) and disbursed
    (disbursement dates in it)."""
    requested = session.scalar(_scoped(
        select(func.coalesce(func.sum(FinancingRequest.amount), 0)).join(Firm)
        .where(FinancingRequest.state != "draft", *_in_window(FinancingRequest.created_at, window)), township_id)) or 0
    approved = session.scalar(_scoped(
        select(func.coalesce(func.sum(Offer.amount), 0)).join(Lead, Lead.id == Offer.lead_id)
        .join(FinancingRequest, FinancingRequest.id == Lead.request_id).join(Firm)
        .where(*_in_window(Offer.created_at, window)), township_id)) or 0
    disbursed = session.scalar(_scoped(
        select(func.coalesce(func.sum(Lead.disbursed_amount), 0))
        .join(FinancingRequest, FinancingRequest.id == Lead.request_id).join(Firm)
        .where(Lead.state == "disbursed", *_in_window(Lead.disbursed_at, window, is_date=True)), township_id)) or 0
    return {"requested": int(requested), "approved": int(approved), "disbursed": int(disbursed)}


FUNNEL_STEPS = (("submitted", "提交需求"), ("claimed", "银行认领"), ("approved", "获得授信"), ("disbursed", "已放款"))


def funnel(session: Session, township_id: int | None = None, window: Window = ALL_TIME) -> list[dict]:
    """Of the requests filed in the period: how many were submitted, claimed by a bank, given an offer, disbursed."""
    lead_of = Lead.request_id == FinancingRequest.id
    claimed = exists().where(lead_of, Lead.claimed_at.is_not(None))
    approved = exists().where(lead_of, Offer.lead_id == Lead.id)
    disbursed = exists().where(lead_of, Lead.state == "disbursed")
    q = (select(func.count(), *(func.coalesce(func.sum(case((cond, 1), else_=0)), 0)
                                for cond in (claimed, approved, disbursed)))
         .select_from(FinancingRequest).join(Firm)
         .where(FinancingRequest.state != "draft", *_in_window(FinancingRequest.created_at, window)))
    values = session.execute(_scoped(q, township_id)).one()
    return [{"key": key, "label": label, "value": int(v or 0)} for (key, label), v in zip(FUNNEL_STEPS, values)]


def _month_of(session: Session, column, is_date: bool = False):
    """'YYYY-MM' of a UTC datetime column in Beijing time (or of a date column), in the database's own SQL."""
    if session.get_bind().dialect.name == "postgresql":
        shifted = column if is_date else column + func.make_interval(0, 0, 0, 0, 8)
        return func.to_char(shifted, "YYYY-MM")
    return func.strftime("%Y-%m", column) if is_date else func.strftime("%Y-%m", column, "+8 hours")


def trend_months(window: Window, today: date) -> list[date]:
    """The months the trend chart shows: the window's (at most 36, the latest), or the last 12 for all time."""
    last = periods.add_months(window.end, -1) if window.end else date(today.year, today.month, 1)
    first = date(window.start.year, window.start.month, 1) if window.start else periods.add_months(last, -11)
    months = []
    current = first
    while current <= last:
        months.append(current)
        current = periods.add_months(current, 1)
    return months[-MAX_TREND_MONTHS:]


def monthly_trend(session: Session, months: list[date], township_id: int | None = None) -> list[dict]:
    """Per month: requests filed, disbursements (count and 元) — two GROUP BY queries for the whole range."""
    if not months:
        return []
    span = Window("custom", "", "", months[0], periods.add_months(months[-1], 1))
    req_month = _month_of(session, FinancingRequest.created_at)
    filed = dict(session.execute(_scoped(
        select(req_month, func.count()).select_from(FinancingRequest).join(Firm)
        .where(FinancingRequest.state != "draft", *_in_window(FinancingRequest.created_at, span))
        .group_by(req_month), township_id)).all())
    paid_month = _month_of(session, Lead.disbursed_at, is_date=True)
    paid = {m: (n, amount) for m, n, amount in session.execute(_scoped(
        select(paid_month, func.count(), func.coalesce(func.sum(Lead.disbursed_amount), 0))
        .select_from(Lead).join(FinancingRequest, FinancingRequest.id == Lead.request_id).join(Firm)
        .where(Lead.state == "disbursed", *_in_window(Lead.disbursed_at, span, is_date=True))
        .group_by(paid_month), township_id))}
    out = []
    for m in months:
        key = periods.month_key(m)
        n, amount = paid.get(key, (0, 0))
        out.append({"month": key, "requests": int(filed.get(key, 0)), "disbursed": int(n),
                    "disbursed_amount": int(amount or 0)})
    return out


def _days(session: Session, later, earlier):
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def by_bank(session: Session, window: Window = ALL_TIME) -> list[dict]:
    """Per bank, of the leads routed in the period: received, claimed, expired, declined, approved (gave an offer,
    as on the bulletins, even if later released), disbursed (count and 元), and the mean calendar days from
    routing to claim. Inactive banks are listed after the active ones, marked."""
    lead_in = Lead.bank_id == Bank.id
    for cond in _in_window(Lead.created_at, window):
        lead_in = lead_in & cond
    q = (
        select(
            Bank.id, Bank.name, Bank.active,
            func.count(Lead.id),
            func.sum(case((Lead.claimed_at.is_not(None), 1), else_=0)),
            func.sum(case((Lead.state == "expired", 1), else_=0)),
            func.sum(case((Lead.state == "declined", 1), else_=0)),
            func.count(Offer.id),
            func.sum(case((Lead.state == "disbursed", 1), else_=0)),
            func.coalesce(func.sum(case((Lead.state == "disbursed", Lead.disbursed_amount), else_=0)), 0),
            func.avg(case((Lead.claimed_at.is_not(None), _days(session, Lead.claimed_at, Lead.created_at)))),
        )
        .select_from(Bank).outerjoin(Lead, lead_in).outerjoin(Offer, Offer.lead_id == Lead.id)
        .group_by(Bank.id, Bank.name, Bank.active, Bank.seq).order_by(Bank.active.desc(), Bank.seq)
    )
    keys = ("bank_id", "bank", "active", "received", "claimed", "expired", "declined", "approved", "disbursed",
            "disbursed_amount")
    out = []
    for row in session.execute(q):
        item = dict(zip(keys, (v if v is not None else 0 for v in row[:-1])))
        item["disbursed_amount"] = int(item["disbursed_amount"])
        item["claim_days"] = round(float(row[-1]), 1) if row[-1] is not None else None
        out.append(item)
    return out


def by_township(session: Session, window: Window = ALL_TIME) -> list[dict]:
    """Per township: requests filed in the period, of which funded, amount requested; and 元 disbursed in it."""
    req_in = (FinancingRequest.firm_id == Firm.id) & (FinancingRequest.state != "draft")
    for cond in _in_window(FinancingRequest.created_at, window):
        req_in = req_in & cond
    req_q = (
        select(Township.id, Township.name, func.count(FinancingRequest.id),
               func.sum(case((FinancingRequest.state == "funded", 1), else_=0)),
               func.coalesce(func.sum(FinancingRequest.amount), 0))
        .select_from(Township).outerjoin(Firm, Firm.township_id == Township.id)
        .outerjoin(FinancingRequest, req_in)
        .group_by(Township.id, Township.name).order_by(Township.id)
    )
    disbursed = dict(session.execute(
        select(Firm.township_id, func.coalesce(func.sum(Lead.disbursed_amount), 0))
        .join(FinancingRequest, FinancingRequest.firm_id == Firm.id).join(Lead, Lead.request_id == FinancingRequest.id)
        .where(Lead.state == "disbursed", *_in_window(Lead.disbursed_at, window, is_date=True))
        .group_by(Firm.township_id)).all())
    return [
        {"township_id": tid, "township": name, "requests": n or 0, "funded": funded or 0,
         "requested": int(amount or 0), "disbursed": int(disbursed.get(tid, 0) or 0)}
        for tid, name, n, funded, amount in session.execute(req_q)
    ]

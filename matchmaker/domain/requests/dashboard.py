"""Figures for the dashboards, over a period (a month, quarter, year, a custom range, or all time): requests by
state, by bank and by township; amounts requested, approved and disbursed; the funnel requests → claimed →
approved → disbursed; the monthly trend; the mean calendar days from routing to claim per bank.

Each figure counts a row in the period by its own date: a request by when it was filed, an approval by when the
offer was made, a disbursement by its disbursement date, a lead by when it was routed. Functions take an optional
township to restrict the figures to.

The figures are read from per-day totals (requests by day, township, state and how far they got; offers, leads and
disbursements by day and township or bank), counted by the database with one GROUP BY per table and kept per
database while a stamp of what they are counted from holds (the latest history row — every change of a request,
lead, offer or firm writes one — the latest lead change, the row counts of requests, leads and offers, banks and
townships). Any period, custom or not, is a sum over its days, so a view costs the stamp's three small reads;
a change costs one recount."""
from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from itertools import accumulate

from sqlalchemy import case, event, func, select
from sqlalchemy.orm import Session

from ...models import Bank, FinancingRequest, Firm, History, Lead, Offer, Township
from ...text import N_
from ..banks import periods
from ..core import shared_cache
from ..core.errors import DomainError

MAX_TREND_MONTHS = 36
PERIOD_KINDS = {"all": N_("全部"), "monthly": N_("按月"), "quarterly": N_("按季"), "annual": N_("按年"),
                "custom": N_("自定义")}


@dataclass(frozen=True)
class Window:
    """A period of the dashboard in Beijing dates: `start` inclusive, `end` exclusive; None = unbounded."""
    kind: str
    key: str
    label: str
    start: date | None = None
    end: date | None = None


ALL_TIME = Window("all", "", N_("全部时间"))


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
        raise DomainError("日期“%(text)s”格式应为 YYYY-MM-DD", field=field, text=(text or "")[:20]) from None
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


FUNNEL_STEPS = (("submitted", N_("提交需求")), ("claimed", N_("银行认领")), ("approved", N_("获得授信")),
                ("disbursed", N_("已放款")))


# Per-day totals ---------------------------------------------------------------------------------------------------

class Series:
    """Running totals of a few counts over days (ISO text, sorted): the sum over any range of days by two binary
    searches, whatever the number of days."""

    def __init__(self, days: list[str], values: list[list]):
        """`days` sorted; `values[i][j]` the i-th count on `days[j]`."""
        self.days = days
        self.columns = [list(accumulate(column, initial=0)) for column in values]

    def between(self, start: str | None, end: str | None) -> list:
        lo = bisect_left(self.days, start) if start is not None else 0
        hi = bisect_left(self.days, end) if end is not None else len(self.days)
        if hi <= lo:
            return [0] * len(self.columns)
        return [column[hi] - column[lo] for column in self.columns]


@dataclass
class DayTotals:
    """What every figure is summed from. Days are Beijing dates (ISO text) of the row's own date."""
    requests: dict[tuple, Series]  # (township, state, claimed, offered, disbursed) -> [requests, 元 requested]
    offers: dict[int | None, Series]  # township -> [元 offered] by day offered
    paid: dict[int | None, Series]  # township -> [disbursed leads, 元] by disbursement date
    # bank -> [leads, claimed, expired, declined, offers, disbursed, 元 disbursed, claim days, claimed rows] by day routed
    leads: dict[int, Series]
    filed_by_month: dict[tuple, int]  # ('YYYY-MM', township) -> submitted requests filed
    paid_by_month: dict[tuple, list[int]]  # ('YYYY-MM', township) -> [disbursed leads, 元]
    banks: list[tuple]  # (id, name, active) in the order the dashboard lists them
    townships: list[tuple]  # (id, name) by id


def _local_day(session: Session, column, is_date: bool = False):
    """The Beijing date of a naive-UTC datetime column (or a date column) as ISO text, in the database's SQL."""
    if session.get_bind().dialect.name == "postgresql":
        shifted = column if is_date else column + func.make_interval(0, 0, 0, 0, 8)
        return func.to_char(shifted, "YYYY-MM-DD")
    return func.date(column) if is_date else func.date(column, "+8 hours")


def _days(session: Session, later, earlier):
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def stamp(session: Session) -> tuple:
    """Three small reads (primary keys and indexed columns): a change to anything the day totals are counted from
    moves it. Requests, leads and offers are never deleted; their changes and the firms' write history. Read once
    per transaction of the session (pages that show both the day totals and platform figures)."""
    held = session.info.get(_STAMP)
    if held is None:
        _listen(session)
        held = session.info[_STAMP] = _read_stamp(session)
    return held


def _read_stamp(session: Session) -> tuple:
    last = select(History.id, History.at).order_by(History.id.desc()).limit(1).subquery()
    row = session.execute(select(
        select(last.c.id).scalar_subquery(), select(last.c.at).scalar_subquery(),
        select(func.max(FinancingRequest.id)).scalar_subquery(),
        select(func.max(Lead.id)).scalar_subquery(),
        select(func.max(Lead.updated_at)).scalar_subquery(),
        select(func.max(Offer.id)).scalar_subquery(),
    )).one()
    banks = session.execute(select(Bank.id, Bank.name, Bank.active, Bank.seq).order_by(Bank.id)).all()
    townships = session.execute(select(Township.id, Township.name).order_by(Township.id)).all()
    return tuple(row), tuple(banks), tuple(townships)


_HELD, _STAMP = "dashboard.day_totals", "dashboard.stamp"


def _forget(session: Session, *_args) -> None:
    session.info.pop(_HELD, None)
    session.info.pop(_STAMP, None)


def _listen(session: Session) -> None:
    if not event.contains(session, "after_flush", _forget):
        event.listen(session, "after_flush", _forget)
        event.listen(session, "after_transaction_end", _forget)


def day_totals(session: Session) -> DayTotals:
    """The per-day totals, recounted only when the stamp moved (per database, shared by the threads and, on
    PostgreSQL, by the processes through `shared_cache`). Read once per transaction of the session: the figures
    of one page come from one stamp."""
    held = session.info.get(_HELD)
    if held is not None:
        return held
    _listen(session)
    moment = stamp(session)
    _, banks, townships = moment
    # "/2": the layout stored in the table; a new layout takes a new key
    totals = shared_cache.cached(session, "dashboard.day_totals/2", moment, lambda: _count_days(session),
                                 lambda raw: _totals(raw, banks, townships), copy=False)
    session.info[_HELD] = totals
    return totals


def _series(rows: list, days: list[str]) -> dict:
    """{key: Series} from [[key, day numbers, columns], ...] (a list key becomes a tuple)."""
    return {tuple(key) if isinstance(key, list) else key: Series([days[i] for i in numbers], values)
            for key, numbers, values in rows}


def _columns(by_day: dict[str, list], number: dict[str, int]) -> list:
    """[day numbers in day order, one list per count]: compact to store, quick to read back."""
    days = sorted(by_day)
    width = len(by_day[days[0]])
    return [[number[day] for day in days], [[by_day[day][i] for day in days] for i in range(width)]]


def _totals(raw: dict, banks: tuple, townships: tuple) -> DayTotals:
    """The totals from what `_count_days` counted (as stored: JSON)."""
    ordered = sorted(banks, key=lambda b: (not b[2], b[3]))
    days = raw["days"]
    return DayTotals(_series(raw["requests"], days), _series(raw["offers"], days), _series(raw["paid"], days),
                     _series(raw["leads"], days),
                     {(month, township): n for month, township, n in raw["filed_by_month"]},
                     {(month, township): [n, amount] for month, township, n, amount in raw["paid_by_month"]},
                     [(b[0], b[1], b[2]) for b in ordered], list(townships))


def _count_days(session: Session) -> dict:
    """Every per-day count, JSON-ready: {"days": [ISO day, ...], "requests": [[key, day numbers, [[n, ...],
    [元, ...]]], ...], "offers": ..., ...}."""
    run = session.connection().execute  # plain rows: no ORM result processing for ~100,000 of them
    claimed = func.max(case((Lead.claimed_at.is_not(None), 1), else_=0))
    paid = func.max(case((Lead.state == "disbursed", 1), else_=0))
    offered = func.max(case((Offer.id.is_not(None), 1), else_=0))
    per_request = (select(Lead.request_id.label("request_id"), claimed.label("claimed"), offered.label("offered"),
                          paid.label("paid"))
                   .select_from(Lead).outerjoin(Offer, Offer.lead_id == Lead.id).group_by(Lead.request_id)
                   .subquery())
    filed = _local_day(session, FinancingRequest.created_at)
    flags = [func.coalesce(per_request.c[name], 0) for name in ("claimed", "offered", "paid")]
    requests: dict[tuple, dict[str, list]] = defaultdict(dict)
    filed_by_month: dict[tuple, int] = defaultdict(int)
    for day, township, state, c, o, p, n, amount in run(
            select(filed, Firm.township_id, FinancingRequest.state, *flags, func.count(),
                   func.coalesce(func.sum(FinancingRequest.amount), 0))
            .select_from(FinancingRequest).join(Firm, Firm.id == FinancingRequest.firm_id)
            .outerjoin(per_request, per_request.c.request_id == FinancingRequest.id)
            .group_by(filed, Firm.township_id, FinancingRequest.state, *flags)):
        requests[(township, state, bool(c), bool(o), bool(p))][str(day)] = [int(n), int(amount)]
        if state != "draft":
            filed_by_month[(str(day)[:7], township)] += int(n)

    offer_day = _local_day(session, Offer.created_at)
    offers: dict[tuple, dict[str, list]] = defaultdict(dict)
    for day, township, amount in run(
            select(offer_day, Firm.township_id, func.coalesce(func.sum(Offer.amount), 0))
            .select_from(Offer).join(Lead, Lead.id == Offer.lead_id)
            .join(FinancingRequest, FinancingRequest.id == Lead.request_id)
            .join(Firm, Firm.id == FinancingRequest.firm_id)
            .group_by(offer_day, Firm.township_id)):
        offers[township][str(day)] = [int(amount)]

    paid_day = _local_day(session, Lead.disbursed_at, is_date=True)
    paid_rows: dict[tuple, dict[str, list]] = defaultdict(dict)
    paid_by_month: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for day, township, n, amount in run(
            select(paid_day, Firm.township_id, func.count(), func.coalesce(func.sum(Lead.disbursed_amount), 0))
            .select_from(Lead).join(FinancingRequest, FinancingRequest.id == Lead.request_id)
            .join(Firm, Firm.id == FinancingRequest.firm_id)
            .where(Lead.state == "disbursed")
            .group_by(paid_day, Firm.township_id)):
        day = str(day) if day is not None else ""  # no date: counted in all time only, as a range test would
        paid_rows[township][day] = [int(n), int(amount)]
        if day:
            acc = paid_by_month[(day[:7], township)]
            acc[0] += int(n)
            acc[1] += int(amount)

    routed = _local_day(session, Lead.created_at)
    is_claimed = Lead.claimed_at.is_not(None)
    leads: dict[tuple, dict[str, list]] = defaultdict(dict)
    for row in run(
            select(routed, Lead.bank_id, func.count(Lead.id),
                   func.sum(case((is_claimed, 1), else_=0)),
                   func.sum(case((Lead.state == "expired", 1), else_=0)),
                   func.sum(case((Lead.state == "declined", 1), else_=0)),
                   func.count(Offer.id),
                   func.sum(case((Lead.state == "disbursed", 1), else_=0)),
                   func.coalesce(func.sum(case((Lead.state == "disbursed", Lead.disbursed_amount), else_=0)), 0),
                   func.sum(case((is_claimed, _days(session, Lead.claimed_at, Lead.created_at)))),
                   func.sum(case((is_claimed, 1), else_=0)))
            .select_from(Lead).outerjoin(Offer, Offer.lead_id == Lead.id)
            .group_by(routed, Lead.bank_id)):
        leads[row[1]][str(row[0])] = [int(v or 0) for v in row[2:9]] + [float(row[9] or 0), int(row[10] or 0)]

    groups = (requests, offers, paid_rows, leads)
    days = sorted({day for group in groups for by_day in group.values() for day in by_day})
    number = {day: i for i, day in enumerate(days)}
    return {"days": days,
            "requests": [[list(key), *_columns(by_day, number)] for key, by_day in requests.items()],
            "offers": [[key, *_columns(by_day, number)] for key, by_day in offers.items()],
            "paid": [[key, *_columns(by_day, number)] for key, by_day in paid_rows.items()],
            "leads": [[key, *_columns(by_day, number)] for key, by_day in leads.items()],
            "filed_by_month": [[month, township, n] for (month, township), n in filed_by_month.items()],
            "paid_by_month": [[month, township, n, amount] for (month, township), (n, amount) in paid_by_month.items()]}


def _bounds(window: Window) -> tuple[str | None, str | None]:
    return (window.start.isoformat() if window.start else None, window.end.isoformat() if window.end else None)


def _requests(session: Session, township_id: int | None, window: Window) -> list[tuple[tuple, list[int]]]:
    """(township, state, claimed, offered, disbursed) and [requests, 元] filed in the window."""
    start, end = _bounds(window)
    return [(key, series.between(start, end)) for key, series in day_totals(session).requests.items()
            if township_id is None or key[0] == township_id]


# Figures ----------------------------------------------------------------------------------------------------------

def requests_by_state(session: Session, township_id: int | None = None, window: Window = ALL_TIME) -> dict[str, int]:
    out: dict[str, int] = {}
    for (_, state, *_), (n, _) in _requests(session, township_id, window):
        if n:
            out[state] = out.get(state, 0) + n
    return out


def amounts(session: Session, township_id: int | None = None, window: Window = ALL_TIME) -> dict[str, int]:
    """Total 元 requested (submitted requests filed in the period), approved (offers made in it) and disbursed
    (disbursement dates in it)."""
    start, end = _bounds(window)
    totals = day_totals(session)
    requested = sum(amount for (_, state, *_), (_, amount) in _requests(session, township_id, window)
                    if state != "draft")
    approved = sum(series.between(start, end)[0] for township, series in totals.offers.items()
                   if township_id is None or township == township_id)
    disbursed = sum(series.between(start, end)[1] for township, series in totals.paid.items()
                    if township_id is None or township == township_id)
    return {"requested": int(requested), "approved": int(approved), "disbursed": int(disbursed)}


def funnel(session: Session, township_id: int | None = None, window: Window = ALL_TIME) -> list[dict]:
    """Of the requests filed in the period: how many were submitted, claimed by a bank, given an offer, disbursed."""
    values = [0, 0, 0, 0]
    for (_, state, claimed, offered, paid), (n, _) in _requests(session, township_id, window):
        if state != "draft":
            values[0] += n
            values[1] += n if claimed else 0
            values[2] += n if offered else 0
            values[3] += n if paid else 0
    return [{"key": key, "label": label, "value": v} for (key, label), v in zip(FUNNEL_STEPS, values)]


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
    """Per month: requests filed, disbursements (count and 元)."""
    if not months:
        return []
    totals = day_totals(session)
    keys = {periods.month_key(m) for m in months}
    filed: dict[str, int] = defaultdict(int)
    for (month, township), n in totals.filed_by_month.items():
        if month in keys and (township_id is None or township == township_id):
            filed[month] += n
    paid: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (month, township), (n, amount) in totals.paid_by_month.items():
        if month in keys and (township_id is None or township == township_id):
            paid[month][0] += n
            paid[month][1] += amount
    out = []
    for m in months:
        key = periods.month_key(m)
        n, amount = paid.get(key, (0, 0))
        out.append({"month": key, "requests": filed.get(key, 0), "disbursed": n, "disbursed_amount": amount})
    return out


def by_bank(session: Session, window: Window = ALL_TIME) -> list[dict]:
    """Per bank, of the leads routed in the period: received, claimed, expired, declined, approved (gave an offer,
    as on the bulletins, even if later released), disbursed (count and 元), and the mean calendar days from
    routing to claim. Inactive banks are listed after the active ones, marked."""
    start, end = _bounds(window)
    totals = day_totals(session)
    keys = ("received", "claimed", "expired", "declined", "approved", "disbursed", "disbursed_amount")
    out = []
    for bank_id, name, active in totals.banks:
        series = totals.leads.get(bank_id)
        acc = series.between(start, end) if series else [0] * 7 + [0.0, 0]
        item = {"bank_id": bank_id, "bank": name, "active": active, **dict(zip(keys, acc[:7]))}
        item["claim_days"] = round(acc[7] / acc[8], 1) if acc[8] else None
        out.append(item)
    return out


def by_township(session: Session, window: Window = ALL_TIME) -> list[dict]:
    """Per township: requests filed in the period, of which funded, amount requested; and 元 disbursed in it."""
    start, end = _bounds(window)
    totals = day_totals(session)
    filed: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (township, state, *_), (n, amount) in _requests(session, None, window):
        if state != "draft":
            acc = filed[township]
            acc[0] += n
            acc[1] += n if state == "funded" else 0
            acc[2] += amount
    out = []
    for tid, name in totals.townships:
        n, funded, requested = filed.get(tid, (0, 0, 0))
        series = totals.paid.get(tid)
        out.append({"township_id": tid, "township": name, "requests": n, "funded": funded, "requested": requested,
                    "disbursed": series.between(start, end)[1] if series else 0})
    return out

"""Platform figures per bank, computed from the leads themselves: received, claimed in time, overdue, declined
by reason, approved, disbursed, white-list firms served, first loans, working days to claim and to decision, and
the firms' satisfaction. A lead belongs to the period in which it was routed (its created_at, Beijing time).
The same classification serves the figures and the drill-down lists, so a figure and its rows always agree:
`LeadFacts.metrics` states it per lead (drill-down lists), `_classes` states it again as SQL so that the figures are
counted by the database in one GROUP BY per family (counts, decline reasons, working days) instead of one Python
object per lead; tests check that both give the same figures."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Date, and_, case, cast, false, func, literal_column, or_, select
from sqlalchemy.orm import Session

from ...models import Bank, FinancingRequest, Firm, Lead, Offer, WhiteListBatch, WhiteListEntry, WorkdayOverride, utcnow
from ...models.first_loans import FirstLoanCase
from ...models.ratings import Rating
from ...models.requests import DECLINE_REASONS
from ...text import N_
from ..core import shared_cache
from ..requests import dashboard, routing
from ..whitelists.lists import current_batches
from .figures import average, in_time_rate, workdays_to  # the one definition of each figure
from .periods import Period, add_months, calendar, local_date, month_key, utc_start

METRICS = {
    "received": N_("推送线索"),
    "claimed": N_("已认领"),
    "in_time": N_("按时认领"),
    "overdue": N_("超时认领或未认领"),
    "declined": N_("拒绝"),
    "approved": N_("获批（给出授信方案）"),
    "disbursed": N_("放款"),
    "whitelist": N_("白名单企业获批"),
    "first_loan": N_("首贷放款"),
    "rated": N_("企业已评价"),
}
COUNTED = ("received", "claimed", "in_time", "overdue", "declined", "approved", "disbursed", "first_loan", "rated")


@dataclass(slots=True)
class LeadFacts:
    id: int
    bank_id: int
    firm_id: int
    state: str
    created_on: date
    deadline: date | None
    claimed_on: date | None
    decided_on: date | None
    decline_code: str | None
    disbursed_amount: int
    has_offer: bool
    first_loan: bool = False
    whitelist: bool = False
    rating: int | None = None

    def metrics(self, today: date) -> set[str]:
        """Which figures this lead counts in, as of `today`."""
        out = {"received"}
        if self.claimed_on is not None:
            out.add("claimed")
            out.add("in_time" if self.deadline is None or self.claimed_on <= self.deadline else "overdue")
        elif self.state == "expired" or (self.state == "routed" and self.deadline is not None
                                         and self.deadline < today):
            out.add("overdue")
        if self.state == "declined":
            out.add("declined")
        if self.has_offer:
            out.add("approved")
            if self.whitelist:
                out.add("whitelist")
        if self.state == "disbursed":
            out.add("disbursed")
            if self.first_loan:
                out.add("first_loan")
        if self.rating is not None:
            out.add("rated")
        return out


def _first_loan_leads(session: Session, where: list) -> set[int]:
    """Leads recorded as a firm's first loan by the first-loan cultivation work, where it exists."""
    try:
        from ...models.first_loans import FirstLoanCase
    except ImportError:
        return set()
    return set(session.scalars(select(FirstLoanCase.lead_id).join(Lead, Lead.id == FirstLoanCase.lead_id)
                               .where(*where)))


def _ratings(session: Session, where: list) -> dict[int, int]:
    """The firm's 1–5 score of the bank on each lead, where the ratings work exists."""
    try:
        from ...models.ratings import Rating
        score = next(getattr(Rating, name) for name in ("bank_score", "score", "stars") if hasattr(Rating, name))
    except (ImportError, StopIteration):
        return {}
    return dict(session.execute(select(Rating.lead_id, score).join(Lead, Lead.id == Rating.lead_id)
                                .where(*where)).all())


def load_facts(session: Session, start: date, end: date, bank_id: int | None = None) -> list[LeadFacts]:
    """Facts of every lead routed in [start, end) (Beijing dates), optionally of one bank."""
    where = [Lead.created_at >= utc_start(start), Lead.created_at < utc_start(end)]
    if bank_id is not None:
        where.append(Lead.bank_id == bank_id)
    query = (select(Lead.id, Lead.bank_id, FinancingRequest.firm_id, Lead.state, Lead.created_at, Lead.claim_deadline,
                    Lead.claimed_at, Lead.decided_at, Lead.decline_code, Lead.disbursed_amount, Offer.id,
                    Firm.has_bank_loan)
             .join(FinancingRequest, FinancingRequest.id == Lead.request_id)
             .join(Firm, Firm.id == FinancingRequest.firm_id)
             .outerjoin(Offer, Offer.lead_id == Lead.id).where(*where).order_by(Lead.id))
    facts, firm_had_loan = [], {}
    for (lead_id, bank, firm_id, state, created, deadline, claimed, decided, code, amount, offer_id,
         had_loan) in session.execute(query):
        facts.append(LeadFacts(lead_id, bank, firm_id, state, local_date(created), deadline,
                               local_date(claimed) if claimed else None, local_date(decided) if decided else None,
                               code, int(amount or 0), offer_id is not None))
        firm_had_loan[lead_id] = bool(had_loan)
    first, ratings = _first_loan_leads(session, where), _ratings(session, where)
    kinds = routing.firm_whitelist_kinds(session, sorted({f.firm_id for f in facts})) if facts else {}
    for f in facts:
        f.first_loan = f.id in first or not firm_had_loan[f.id]
        f.whitelist = bool(kinds.get(f.firm_id))
        f.rating = ratings.get(f.id)
    return facts


class _Memo:
    """Working days between two dates, remembered: a year's leads share a few thousand (routed, claimed) pairs."""

    def __init__(self, cal):
        self.cal, self.seen = cal, {}

    def workdays_between(self, start: date, end: date) -> int:
        key = (start, end)
        if key not in self.seen:
            self.seen[key] = self.cal.workdays_between(start, end)
        return self.seen[key]


def summarise(facts: list[LeadFacts], today: date, cal) -> dict:
    """The figures of a group of leads (JSON-ready: ints, and text for decimals)."""
    counts = dict.fromkeys(COUNTED, 0)
    by_reason: dict[str, int] = defaultdict(int)
    disbursed_amount = claim_days = claim_n = decision_days = decision_n = rating_sum = 0
    whitelist_firms: set[int] = set()
    for f in facts:
        metrics = f.metrics(today)
        for m in metrics & set(COUNTED):
            counts[m] += 1
        if "declined" in metrics:
            by_reason[f.decline_code or "other"] += 1
        if "disbursed" in metrics:
            disbursed_amount += f.disbursed_amount
        if "whitelist" in metrics:
            whitelist_firms.add(f.firm_id)
        if f.claimed_on is not None:
            claim_days += workdays_to(cal, f.created_on, f.claimed_on)
            claim_n += 1
        if f.decided_on is not None:
            decision_days += workdays_to(cal, f.created_on, f.decided_on)
            decision_n += 1
        if f.rating is not None:
            rating_sum += f.rating
    return {
        **counts,
        "in_time_pct": in_time_rate(counts["in_time"], counts["overdue"]),
        "declined_by_reason": {code: by_reason[code] for code in DECLINE_REASONS if by_reason.get(code)},
        "disbursed_amount": disbursed_amount,
        "whitelist_firms": len(whitelist_firms),
        "avg_claim_workdays": average(claim_days, claim_n),
        "avg_decision_workdays": average(decision_days, decision_n),
        "satisfaction": average(rating_sum, counts["rated"], "0.01"),
    }


def _local_day(session: Session, column):
    """The Beijing date of a naive-UTC timestamp column, in SQL (a date on PostgreSQL, ISO text on SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(column + literal_column("interval '8 hours'"), Date)
    return func.date(column, "+8 hours")


def _day(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _classes(session: Session, today: date) -> dict:
    """`LeadFacts.metrics` as SQL conditions over Lead joined to its request, firm, offer and rating."""
    claimed_day = _local_day(session, Lead.claimed_at)
    claimed = Lead.claimed_at.is_not(None)
    batch_ids = [b.id for b in current_batches(session).values()]
    on_list = (select(WhiteListEntry.id).where(WhiteListEntry.firm_id == FinancingRequest.firm_id,
                                                WhiteListEntry.batch_id.in_(batch_ids)).exists()
               if batch_ids else false())
    first = or_(Firm.has_bank_loan.is_(None), Firm.has_bank_loan == false(),
                Lead.id.in_(select(FirstLoanCase.lead_id).where(FirstLoanCase.lead_id.is_not(None))))
    return {
        "claimed": claimed,
        "in_time": and_(claimed, or_(Lead.claim_deadline.is_(None), claimed_day <= Lead.claim_deadline)),
        "overdue": or_(and_(claimed, Lead.claim_deadline.is_not(None), claimed_day > Lead.claim_deadline),
                       and_(Lead.claimed_at.is_(None), or_(Lead.state == "expired", and_(
                           Lead.state == "routed", Lead.claim_deadline.is_not(None), Lead.claim_deadline < today)))),
        "declined": Lead.state == "declined",
        "approved": Offer.id.is_not(None),
        "disbursed": Lead.state == "disbursed",
        "first_loan": and_(Lead.state == "disbursed", first),
        "rated": Rating.id.is_not(None),
        "whitelist": and_(Offer.id.is_not(None), on_list),
    }


def _joined(query, where: list):
    return (query.select_from(Lead).join(FinancingRequest, FinancingRequest.id == Lead.request_id)
            .join(Firm, Firm.id == FinancingRequest.firm_id).outerjoin(Offer, Offer.lead_id == Lead.id)
            .outerjoin(Rating, Rating.lead_id == Lead.id).where(*where))


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _figures_sql(session: Session, start: date, end: date, today: date, cal) -> dict:
    """`figures` counted by the database: one GROUP BY per family, whatever the number of leads."""
    where = [Lead.created_at >= utc_start(start), Lead.created_at < utc_start(end)]
    c = _classes(session, today)
    columns = [func.count().label("received")] + [_count(c[m]).label(m) for m in COUNTED if m != "received"]
    columns += [func.coalesce(func.sum(case((c["disbursed"], func.coalesce(Lead.disbursed_amount, 0)), else_=0)),
                              0).label("disbursed_amount"),
                func.coalesce(func.sum(Rating.bank_score), 0).label("rating_sum"),
                func.count(func.distinct(case((c["whitelist"], FinancingRequest.firm_id)))).label("whitelist_firms")]
    per_bank = {row.bank_id: row._asdict() for row in session.execute(
        _joined(select(Lead.bank_id, *columns), where).group_by(Lead.bank_id))}
    active = _active_banks(session)
    total_wl = session.scalar(_joined(select(columns[-1]), [*where, Lead.bank_id.in_(active)])) or 0
    reasons: dict[int, dict[str, int]] = defaultdict(dict)
    for bank_id, code, n in session.execute(select(Lead.bank_id, Lead.decline_code, func.count())
                                            .where(*where, Lead.state == "declined")
                                            .group_by(Lead.bank_id, Lead.decline_code)):
        code = code or "other"
        reasons[bank_id][code] = reasons[bank_id].get(code, 0) + n
    days = _workday_sums(session, where, cal)
    bank_ids = list(session.scalars(select(Bank.id).order_by(Bank.seq)))
    empty = dict.fromkeys(["received", *COUNTED, "disbursed_amount", "rating_sum", "whitelist_firms"], 0)
    total = dict(empty, whitelist_firms=total_wl)
    total_reasons: dict[str, int] = defaultdict(int)
    total_days = [0, 0, 0]
    banks = {}
    for b in bank_ids:
        row = per_bank.get(b, empty)
        banks[b] = _summary(row, reasons.get(b, {}), days.get(b, (0, 0, 0)))
    for b, row in per_bank.items():
        if b not in active:  # a bank taken off the platform is listed apart, not counted in the district's total
            continue
        for key in empty:
            if key != "whitelist_firms":
                total[key] += int(row[key])
        for code, n in reasons.get(b, {}).items():
            total_reasons[code] += n
        total_days = [x + y for x, y in zip(total_days, days.get(b, (0, 0, 0)))]
    total = _summary(total, total_reasons, tuple(total_days))
    total["inactive_banks"] = _inactive(session, {b: int(row["received"]) for b, row in per_bank.items()}, active)
    return {"banks": banks, "total": total}


def stamp(session: Session, today: date) -> tuple:
    """Everything the platform figures are counted from, in a few small reads (ids and indexed times): the
    dashboard's stamp (latest history row — every change of a request, lead, offer or firm writes one — highest
    ids, latest lead change, banks), the latest firm change (first loans), the ratings (never changed once
    given), the first-loan cases, the white lists' batches, the calendar's overrides, and `today` (a routed lead
    turns overdue with the date)."""
    extra = session.execute(select(
        select(func.max(Firm.updated_at)).scalar_subquery(),
        select(func.max(Rating.id)).scalar_subquery(),
        select(func.max(FirstLoanCase.updated_at)).scalar_subquery(),
        select(func.count()).select_from(FirstLoanCase).scalar_subquery(),
        select(func.max(WhiteListEntry.id)).scalar_subquery(),
        select(func.count()).select_from(WorkdayOverride).scalar_subquery(),
        select(func.max(WorkdayOverride.updated_at)).scalar_subquery(),
    )).one()
    batches = session.execute(select(WhiteListBatch.id, WhiteListBatch.kind, WhiteListBatch.state)
                              .order_by(WhiteListBatch.id)).all()
    return today, dashboard.stamp(session), tuple(extra), tuple(batches)


def _bank_keys(data: dict) -> dict:
    """Figures as stored (JSON: bank ids as text) with the bank ids as ints again."""
    data["banks"] = {int(b): figures for b, figures in data["banks"].items()}
    return data


def _active_banks(session: Session) -> set[int]:
    return set(session.scalars(select(Bank.id).where(Bank.active.is_(True))))


def _inactive(session: Session, received: dict[int, int], active: set[int]) -> list[dict]:
    """Inactive banks with leads in the period: named next to the total they are not part of."""
    ids = [b for b, n in received.items() if n and b not in active]
    names = dict(session.execute(select(Bank.id, Bank.name).where(Bank.id.in_(ids))).all()) if ids else {}
    return [{"bank_id": b, "name": names.get(b, ""), "received": received[b]} for b in sorted(ids)]


def _summary(row: dict, reasons: dict[str, int], days: tuple[int, int, int]) -> dict:
    counts = {m: int(row[m]) for m in COUNTED}
    return {
        **counts,
        "in_time_pct": in_time_rate(counts["in_time"], counts["overdue"]),
        "declined_by_reason": {code: reasons[code] for code in DECLINE_REASONS if reasons.get(code)},
        "disbursed_amount": int(row["disbursed_amount"]),
        "whitelist_firms": int(row["whitelist_firms"]),
        "avg_claim_workdays": average(days[0], counts["claimed"]),
        "avg_decision_workdays": average(days[1], days[2]),
        "satisfaction": average(int(row["rating_sum"]), counts["rated"], "0.01"),
    }


def _workday_sums(session: Session, where: list, cal) -> dict[int, tuple[int, int, int]]:
    """Per bank: working days from routing to claim, and to decision, summed over its leads, and the number of
    decided leads. Working days between
    two dates are W(end) - W(start) for a running count W, so the sums need only how many leads started and ended
    on each day (leads that end on or before the day they started count 0 days, as in `workdays_between`)."""
    created_day = _local_day(session, Lead.created_at)
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    weighted: list[tuple[int, int, date, int]] = []  # (bank, figure, day, +n ends / -n starts)
    for figure, column in enumerate((Lead.claimed_at, Lead.decided_at)):
        end_day = _local_day(session, column)
        later = and_(column.is_not(None), end_day > created_day)
        for bank_id, day, n in session.execute(select(Lead.bank_id, created_day, func.count()).where(*where, later)
                                               .group_by(Lead.bank_id, created_day)):
            weighted.append((bank_id, figure, _day(day), -n))
        for bank_id, day, n in session.execute(select(Lead.bank_id, end_day, func.count()).where(*where, later)
                                               .group_by(Lead.bank_id, end_day)):
            weighted.append((bank_id, figure, _day(day), n))
        if figure == 1:
            for bank_id, n in session.execute(select(Lead.bank_id, func.count()).where(
                    *where, column.is_not(None)).group_by(Lead.bank_id)):
                out[bank_id][2] = n
    if weighted:
        first = min(day for _, _, day, _ in weighted)
        running, current, count = {first: 0}, first, 0
        for bank_id, figure, day, n in sorted(weighted, key=lambda w: w[2]):
            while current < day:
                count += cal.workdays_between(current, current + timedelta(days=1))
                current += timedelta(days=1)
                running[current] = count
            out[bank_id][figure] += n * running[day]
    return {b: (v[0], v[1], v[2]) for b, v in out.items()}


def figures(session: Session, period: Period, today: date | None = None,
            facts: list[LeadFacts] | None = None) -> dict:
    """{"banks": {bank_id: figures}, "total": figures} for leads routed in the period; counted by the database,
    or from `facts` when the caller has them loaded already."""
    today = today or local_date(utcnow())
    if facts is None:
        return shared_cache.cached(
            session, f"platform_figures:{period.start}:{period.end}", stamp(session, today),
            lambda: _figures_sql(session, period.start, period.end, today, _Memo(calendar(session))), _bank_keys)
    cal = _Memo(calendar(session))
    grouped: dict[int, list[LeadFacts]] = defaultdict(list)
    for f in facts:
        grouped[f.bank_id].append(f)
    bank_ids = list(session.scalars(select(Bank.id).order_by(Bank.seq)))
    active = _active_banks(session)
    total = summarise([f for f in facts if f.bank_id in active], today, cal)
    total["inactive_banks"] = _inactive(session, {b: len(rows) for b, rows in grouped.items()}, active)
    return {"banks": {b: summarise(grouped.get(b, []), today, cal) for b in bank_ids}, "total": total}


def drill(session: Session, start: date, end: date, metric: str, bank_id: int | None = None,
          reason: str | None = None, today: date | None = None) -> list[int]:
    """Ids of the leads behind a figure (same rules as `figures`). The white-list figure counts firms, so it
    lists each firm's first approved lead only: the number of rows is the figure."""
    today = today or local_date(utcnow())
    out, firms = [], set()
    for f in load_facts(session, start, end, bank_id):
        if metric in f.metrics(today) and (not reason or f.decline_code == reason):
            if metric == "whitelist":
                if f.firm_id in firms:
                    continue
                firms.add(f.firm_id)
            out.append(f.id)
    return out


def compliance_series(session: Session, last_month: date, months: int = 12, today: date | None = None,
                      facts: list[LeadFacts] | None = None) -> list[dict]:
    """Claim-time compliance per month for the `months` months ending with `last_month` (district-wide);
    `facts`, if given, are those months' leads already loaded."""
    today = today or local_date(utcnow())
    first = add_months(last_month, -(months - 1))
    grouped: dict[date, list[LeadFacts]] = defaultdict(list)
    if facts is None:
        return shared_cache.cached(session, f"compliance:{first}:{months}", stamp(session, today),
                                   lambda: _compliance_sql(session, first, months, today))
    for f in facts:
        grouped[date(f.created_on.year, f.created_on.month, 1)].append(f)
    out = []
    for i in range(months):
        m = add_months(first, i)
        in_time = overdue = 0
        for f in grouped.get(m, []):
            metrics = f.metrics(today)
            in_time += "in_time" in metrics
            overdue += "overdue" in metrics
        out.append({"month": month_key(m), "received": len(grouped.get(m, [])), "in_time": in_time,
                    "overdue": overdue, "pct": in_time_rate(in_time, overdue)})
    return out


def _compliance_sql(session: Session, first: date, months: int, today: date) -> list[dict]:
    """`compliance_series` counted by the database: one GROUP BY over the routing day."""
    c = _classes(session, today)
    day = _local_day(session, Lead.created_at)
    where = [Lead.created_at >= utc_start(first), Lead.created_at < utc_start(add_months(first, months))]
    per_month: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for d, received, in_time, overdue in session.execute(
            select(day, func.count(), _count(c["in_time"]), _count(c["overdue"])).select_from(Lead)
            .where(*where).group_by(day)):
        d = _day(d)
        totals = per_month[date(d.year, d.month, 1)]
        totals[0], totals[1], totals[2] = totals[0] + received, totals[1] + int(in_time), totals[2] + int(overdue)
    out = []
    for i in range(months):
        m = add_months(first, i)
        received, in_time, overdue = per_month.get(m, (0, 0, 0))
        out.append({"month": month_key(m), "received": received, "in_time": in_time, "overdue": overdue,
                    "pct": in_time_rate(in_time, overdue)})
    return out


def funnel(total: dict) -> list[dict]:
    """The request funnel from a figures dict: routed -> claimed -> approved -> disbursed."""
    steps = [("received", N_("推送线索")), ("claimed", N_("已认领")), ("approved", N_("获批")), ("disbursed", N_("放款"))]
    return [{"key": k, "label": label, "value": total[k]} for k, label in steps]


def leads_by_ids(session: Session, ids: list[int]) -> list[Lead]:
    """The leads of a page of a drill-down, in the order of `ids`."""
    if not ids:
        return []
    rows = {lead.id: lead for lead in session.scalars(select(Lead).where(Lead.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


def frozen_rows(session: Session, start: date, end: date, today: date) -> list[list]:
    """The leads behind every platform figure of [start, end) as classified on `today`, compact enough to freeze
    into a published bulletin: [lead id, bank id, firm id, "metric,metric…", decline code] in lead order."""
    return [[f.id, f.bank_id, f.firm_id, ",".join(sorted(f.metrics(today))), f.decline_code]
            for f in load_facts(session, start, end)]


def drill_frozen(rows: list[list], metric: str, bank_id: int | None = None, reason: str | None = None) -> list[int]:
    """`drill` over rows frozen by `frozen_rows`: the ids a published figure was counted from, by the same rule
    (the white-list figure lists each firm's first approved lead)."""
    out, firms = [], set()
    for lead_id, bank, firm_id, metrics, code in rows:
        if (bank_id is not None and bank != bank_id) or metric not in metrics.split(","):
            continue
        if reason and code != reason:
            continue
        if metric == "whitelist":
            if firm_id in firms:
                continue
            firms.add(firm_id)
        out.append(lead_id)
    return out


def claim_workdays_by_bank(session: Session, start: date | None = None, end: date | None = None) -> dict[int, str]:
    """Per bank: the bulletins' 认领（工作日） figure (`figures.workdays_to`, averaged by `figures.average`) over the
    leads routed in [start, end) (Beijing dates; unbounded when None), for pages that list it beside other figures
    (the district dashboard); counted once while the platform figures' stamp holds."""
    return shared_cache.cached(session, f"claim_workdays:{start}:{end}", stamp(session, local_date(utcnow())),
                               lambda: _claim_workdays(session, start, end),
                               lambda data: {int(bank_id): value for bank_id, value in data.items()})


def _claim_workdays(session: Session, start: date | None, end: date | None) -> dict[int, str]:
    where = [Lead.claimed_at.is_not(None)]
    if start is not None:
        where.append(Lead.created_at >= utc_start(start))
    if end is not None:
        where.append(Lead.created_at < utc_start(end))
    days = _workday_sums(session, where, _Memo(calendar(session)))
    claimed = session.execute(select(Lead.bank_id, func.count()).where(*where).group_by(Lead.bank_id)).all()
    return {bank_id: average(days.get(bank_id, (0, 0, 0))[0], n) for bank_id, n in claimed}

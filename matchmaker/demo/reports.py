"""Demo data for the bank tracking: every bank's monthly figures from December 2020 (the baseline) to last month,
plausible against the appendix targets, with a few corrections, late and missing reports; the listing reserve
pool; and some issued bulletins (one corrected after it was issued, so "what changed since" has something)."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.banks import bulletins, monthly_reports, periods, report_deadlines, targets
from ..domain.banks.periods import add_months, local_date
from ..models import Bank, BankTarget, MonthlyReport, User, utcnow
from ..models.base import clock_at
from . import listing

BASELINE = date(2020, 12, 1)
WAN = 10**4
YI = 10**8


def _wan(yi: float) -> int:
    """亿元 (float, demo only) -> 元 rounded to the 万元."""
    return int(round(yi * 10**4)) * WAN


def _path(points: dict[date, float], month: date) -> float:
    """Linear interpolation between December anchor points."""
    years = sorted(points)
    before = max((d for d in years if d <= month), default=years[0])
    after = min((d for d in years if d >= month), default=years[-1])
    if before == after:
        return points[before]
    span = (after.year - before.year) * 12 + after.month - before.month
    done = (month.year - before.year) * 12 + month.month - before.month
    return points[before] + (points[after] - points[before]) * done / span


def _bank_series(bank: Bank, tmap, months: list[date], rng: random.Random) -> list[dict[str, int]]:
    last_year = months[-1].year
    ind_points, ldr_points = {}, {}
    t21, _ = targets.target_for(tmap, bank.id, 2021)
    ind_points[BASELINE] = float(t21.industrial_loans_yi) * rng.uniform(0.72, 0.86)
    ldr_points[BASELINE] = float(t21.ldr_pct) * rng.uniform(0.88, 0.98)
    skill = rng.uniform(0.93, 1.07)  # some banks beat their targets, some fall behind
    for year in range(2021, last_year + 1):
        t, _ = targets.target_for(tmap, bank.id, year)
        growth = 1.0
        if t is None:  # no target set for the year: grow on from the appendix's last
            t, growth = targets.target_for(tmap, bank.id, 2023)[0], 1.06 ** (year - 2023)
        ind_points[date(year, 12, 1)] = float(t.industrial_loans_yi) * growth * skill * rng.uniform(0.97, 1.03)
        ldr_points[date(year, 12, 1)] = float(t.ldr_pct) * (0.5 + skill / 2) * rng.uniform(0.98, 1.02)
    tiny = float(t21.industrial_loans_yi) < 0.1
    share = rng.uniform(0.18, 0.42)
    base_loans = rng.uniform(6, 25)
    shares = {k: rng.uniform(lo, hi) for k, (lo, hi) in {
        "ip_pledge_loans": (0.002, 0.01), "green_loans": (0.01, 0.04), "kechuang_loans": (0.005, 0.02),
        "zhengyinbao_loans": (0.002, 0.01), "supply_chain_bills": (0.001, 0.01)}.items()}
    out, previous_ind = [], None
    for i, month in enumerate(months):
        ind = _path(ind_points, month) * rng.uniform(0.992, 1.008)
        loans = base_loans * (1 + 0.004 * i) if tiny else ind / share
        ldr = _path(ldr_points, month) * rng.uniform(0.99, 1.01)
        values = {"industrial_loans": _wan(ind), "loans": _wan(loans), "deposits": _wan(loans * 100 / ldr)}
        growth = max(0.0, ind - previous_ind) if previous_ind is not None else 0.0
        values["new_industrial_loans"] = _wan(growth + ind * rng.uniform(0.01, 0.03))
        count = rng.choice([0, 0, 1, 1, 2, 3, 4, 6])
        values["first_loan_count"] = count
        values["first_loan_amount"] = _wan(count * rng.uniform(0.003, 0.03))
        for name, fraction in shares.items():
            values[name] = _wan(loans * fraction * (1 + 0.01 * i))
        out.append(values)
        previous_ind = ind
    return out


def _submitted_at(due: date, rng: random.Random, late: bool = False) -> datetime:
    """A naive-UTC time during office hours (Beijing) a few days before the deadline, or after it when late."""
    day = due + timedelta(days=rng.randint(2, 9)) if late else due - timedelta(days=rng.randint(0, 4))
    return periods.utc_start(day) + timedelta(hours=rng.randint(9, 17), minutes=rng.randint(0, 59))


def build_reports(session: Session, rng: random.Random, today: date) -> list[date]:
    """Monthly reports of every bank from the baseline to last month; returns the months."""
    last = add_months(date(today.year, today.month, 1), -1)
    months = []
    m = BASELINE
    while m <= last:
        months.append(m)
        m = add_months(m, 1)
    tmap = targets.targets_map(session)
    admins = {u.bank_id: u.id for u in session.scalars(select(User).where(User.role == "bank_admin").order_by(User.id))}
    banks = list(session.scalars(select(Bank).order_by(Bank.seq)))
    missing_last = {b.id for b in rng.sample(banks, 3)}
    due = {m: report_deadlines.deadline(session, m) for m in months}
    for bank in banks:
        for month, values in zip(months, _bank_series(bank, tmap, months, rng)):
            if month == last and bank.id in missing_last:
                continue
            at = _submitted_at(due[month], rng, late=rng.random() < 0.05)
            session.add(MonthlyReport(bank_id=bank.id, month=month, version=1, source="demo",
                                      submitted_by_id=admins.get(bank.id), submitted_at=at, **values))
            if rng.random() < 0.03:
                fixed = dict(values, industrial_loans=int(values["industrial_loans"] * 1.01) // WAN * WAN)
                fixed["loans"] = max(fixed["loans"], fixed["industrial_loans"])
                session.add(MonthlyReport(bank_id=bank.id, month=month, version=2, source="demo",
                                          note="更正：工业贷款余额统计口径调整", submitted_by_id=admins.get(bank.id),
                                          submitted_at=at + timedelta(days=rng.randint(1, 6)), **fixed))
    session.flush()
    return months


def _correct(session: Session, bank_id: int, month: date, at: datetime, factor: Decimal, note: str) -> None:
    current = monthly_reports.latest_one(session, bank_id, month)
    values = monthly_reports.values_of(current)
    values["industrial_loans"] = int(Decimal(values["industrial_loans"]) * factor) // WAN * WAN
    values["loans"] = max(values["loans"], values["industrial_loans"])
    session.add(MonthlyReport(bank_id=bank_id, month=month, version=current.version + 1, source="demo", note=note,
                              submitted_by_id=current.submitted_by_id, submitted_at=at, **values))
    session.flush()


def set_later_targets(session: Session, district: User, today: date) -> None:
    """The district's targets for the years after the appendix (2024 on): 8 % a year over 2023's, LDR unchanged,
    entered through the same page rule as a real district would."""
    last = {t.bank_id: t for t in session.scalars(select(BankTarget).where(BankTarget.year == 2023))}
    for year in range(2024, today.year + 1):
        growth = Decimal("1.08") ** (year - 2023)
        with clock_at(periods.utc_start(date(year, 1, 12)) + timedelta(hours=10)):
            targets.set_targets(session, district, year, {
                bank_id: ((t.industrial_loans_yi * growth).quantize(Decimal("0.01")), t.ldr_pct)
                for bank_id, t in last.items()})


def build_data(session: Session, rng: random.Random) -> None:
    """Targets after the appendix, every bank's monthly reports and the listing pool: before any request is
    routed, so routing's target gap reads them."""
    today = local_date(utcnow())
    district = session.scalar(select(User).where(User.role == "district").order_by(User.id))
    if district is not None:
        set_later_targets(session, district, today)
    build_reports(session, rng, today)
    listing.build_demo(session, rng)


def build_demo(session: Session, rng: random.Random) -> None:
    """Bulletins issued from everyone's data (the platform's too), a correction after one, report reminders."""
    today = local_date(utcnow())
    district = session.scalar(select(User).where(User.role == "district").order_by(User.id))
    if district is None:
        return
    last = add_months(date(today.year, today.month, 1), -1)
    issued = [("monthly", "2022-03", date(2022, 4, 15)), ("quarterly", "2022Q1", date(2022, 4, 22)),
              ("annual", "2022", date(2023, 1, 31))]
    latest_month = periods.parse("monthly", periods.month_key(add_months(last, -1)))
    issued.append(("monthly", latest_month.key, report_deadlines.deadline(session, add_months(last, -1))
                   + timedelta(days=3)))
    for kind, key, on in issued:
        period = periods.parse(kind, key)
        with clock_at(datetime.combine(on, time(2, 0))):
            bulletins.issue(session, district, period, today=on)
    # A correction after the March 2022 bulletin was issued: the bulletin stays, the page shows what changed.
    bank = session.scalar(select(Bank).where(Bank.seq == 3))
    _correct(session, bank.id, date(2022, 3, 1), datetime(2022, 5, 9, 2, 30), Decimal("1.035"),
             "更正：补报一笔技改项目贷款，工业贷款余额调增")
    report_deadlines.remind(session, last, f"/reports/submit?month={periods.month_key(last)}", today=today)

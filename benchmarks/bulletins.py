"""Benchmark: the bank-tracking figures at a year's scale on a temp SQLite database — 22 banks × 72 months of
reports and 60,000 leads routed over 2025 (with offers, declines, disbursements). Times the monthly bulletin,
the quarterly evaluation, the annual assessment (with its .xlsx) and a drill-down; the baseline computes the
year's platform figures bank by bank (one query per bank) against the one pass the pages use. Prints one JSON
line."""
from __future__ import annotations

import argparse
import json
import random
import time
from datetime import date, datetime, timedelta

from _common import seeded_database
from sqlalchemy import insert, select

from matchmaker.domain.banks import bulletin_xlsx, bulletins, periods, platform_figures
from matchmaker.domain.banks.periods import add_months, calendar
from matchmaker.models import Bank, FinancingRequest, Firm, Lead, MonthlyReport, Offer

TODAY = date(2026, 2, 1)


def build(session, rng: random.Random, leads: int, firms: int) -> None:
    banks = list(session.scalars(select(Bank.id).order_by(Bank.seq)))
    reports, month = [], date(2020, 1, 1)
    while month < date(2026, 1, 1):
        for i, bank in enumerate(banks):
            ind = 200_000_000 + i * 30_000_000 + (month.year - 2020) * 20_000_000
            reports.append({"bank_id": bank, "month": month, "version": 1, "deposits": ind * 5, "loans": ind * 4,
                            "industrial_loans": ind, "new_industrial_loans": 1_000_000, "first_loan_count": i % 4,
                            "first_loan_amount": 500_000, "ip_pledge_loans": 1_000_000, "green_loans": 2_000_000,
                            "kechuang_loans": 1_000_000, "zhengyinbao_loans": 500_000, "supply_chain_bills": 300_000,
                            "source": "demo", "note": "", "jump_confirmed": False,
                            "submitted_at": datetime.combine(add_months(month, 1), datetime.min.time())})
        month = add_months(month, 1)
    session.execute(insert(MonthlyReport), reports)
    session.execute(insert(Firm), [{"name": f"枣庄基准{i}号有限公司", "name_pinyin": "", "name_initials": "",
                                    "has_bank_loan": i % 5 != 0} for i in range(firms)])
    firm_ids = list(session.scalars(select(Firm.id)))
    start = datetime(2025, 1, 1, 1, 0)
    requests = [{"firm_id": rng.choice(firm_ids), "amount": 1_000_000, "term_months": 12, "purpose": "流动资金",
                 "collateral": "none", "products_of_interest": [], "linked_project": "", "state": "routed",
                 "created_at": start} for _ in range(leads)]
    session.execute(insert(FinancingRequest), requests)
    request_ids = list(session.scalars(select(FinancingRequest.id).order_by(FinancingRequest.id)))
    rows = []
    for rid in request_ids:
        created = start + timedelta(minutes=rng.randint(0, 364 * 24 * 60))
        state = rng.choice(["routed", "claimed", "in_review", "approved", "disbursed", "declined", "expired"])
        claimed = None if state in ("routed", "expired") else created + timedelta(hours=rng.randint(1, 90))
        decided = (claimed + timedelta(days=rng.randint(1, 12))
                   if state in ("approved", "disbursed", "declined") else None)
        rows.append({"request_id": rid, "bank_id": rng.choice(banks), "state": state, "rank": 1, "score": 0,
                     "score_parts": {}, "created_at": created, "claim_deadline": (created + timedelta(days=3)).date(),
                     "claimed_at": claimed, "decided_at": decided,
                     "decline_code": "collateral" if state == "declined" else None,
                     "disbursed_amount": 800_000 if state == "disbursed" else None})
    session.execute(insert(Lead), rows)
    offers = [{"lead_id": lid, "amount": 1_000_000, "rate_pct": 3.85, "term_months": 12, "state": "accepted"}
              for lid, state in session.execute(select(Lead.id, Lead.state)) if state in ("approved", "disbursed")]
    session.execute(insert(Offer), offers)
    session.commit()


def timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return result, round(time.perf_counter() - t0, 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=60_000)
    parser.add_argument("--firms", type=int, default=5_000)
    args = parser.parse_args()
    _engine, factory = seeded_database()
    with factory() as session:
        _, build_s = timed(lambda: build(session, random.Random(7), args.leads, args.firms))
    year = periods.parse("annual", "2025")
    with factory() as session:
        monthly, monthly_s = timed(lambda: bulletins.monthly(session, periods.parse("monthly", "2025-06"), TODAY))
        quarter = periods.parse("quarterly", "2025Q2")
        quarterly, quarterly_s = timed(lambda: bulletins.quarterly(session, quarter, TODAY))
        annual, annual_s = timed(lambda: bulletins.annual(session, year, TODAY))
        xlsx, xlsx_s = timed(lambda: bulletin_xlsx.workbook(annual, "未发布（实时数据）"))
        bank_id = annual["banks"][0]["bank_id"]
        ids, drill_s = timed(lambda: platform_figures.drill(session, year.start, year.end, "overdue", bank_id,
                                                            today=TODAY))
        bank_ids = list(session.scalars(select(Bank.id)))

        def per_bank():
            cal = calendar(session)
            return {b: platform_figures.summarise(platform_figures.load_facts(session, year.start, year.end, b),
                                                  TODAY, cal) for b in bank_ids}

        # best of two runs each, alternating, so neither side gets the warmer cache
        runs = [(timed(per_bank), timed(lambda: platform_figures.figures(session, year, TODAY))) for _ in range(2)]
        (baseline, _), (one_pass, _) = runs[0]
        baseline_s = min(r[0][1] for r in runs)
        one_pass_s = min(r[1][1] for r in runs)
    assert baseline == one_pass["banks"]
    print(json.dumps({
        "benchmark": "bulletins", "banks": len(annual["banks"]), "reports": 22 * 72, "leads": args.leads,
        "build_s": build_s, "monthly_bulletin_s": monthly_s, "month_leads": monthly["platform_total"]["received"],
        "quarterly_evaluation_s": quarterly_s, "annual_assessment_s": annual_s,
        "year_leads": annual["platform_total"]["received"], "annual_xlsx_s": xlsx_s, "annual_xlsx_bytes": len(xlsx),
        "drill_down_s": drill_s, "drill_down_rows": len(ids), "year_platform_figures_one_pass_s": one_pass_s,
        "baseline_per_bank_loads_s": baseline_s, "target_annual_assessment_s": 5,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()

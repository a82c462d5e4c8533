"""Benchmark: `matchmaker sweep` over 100,000 overdue leads on a temporary SQLite database.

The data (bulk inserts; the request mix of `matchmaker demo`, the demo catalogue's product rules): 5,000 firms;
60,000 unclaimed leads past their claim deadline, on requests routed to the banks routing itself chose (to expire and
re-route to the next-best banks, or to become unmatched and be referred when no eligible bank is left); 40,000
claimed leads past the contact and/or decision deadline (50,000 escalations); 20,000 leads not overdue. The sweep
runs at a fixed time with the real calendar (the 2025 Dragon Boat Festival lies inside the clocks); a second sweep
at the same time must change 0 rows. Prints one JSON line with the wall time of each step and the CPU seconds of the
sweep (on a busy machine the wall time only grows).
Run: python benchmarks/sweep.py [--unclaimed 60000 --claimed 40000 --fresh 20000]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import seeded_database  # noqa: E402
from sqlalchemy import func, insert, select, update  # noqa: E402

from matchmaker.demo import products
from matchmaker.domain.requests import routing, sweep
from matchmaker.domain.requests.eligibility import FirmFacts, RequestFacts
from matchmaker.models import Bank, FinancingRequest, Firm, Lead, ProductKind, Township  # noqa: E402
from matchmaker.models.firms import INDUSTRIES  # noqa: E402

CST = timedelta(hours=8)
NOW = datetime(2025, 6, 16, 9, 0) - CST  # Monday 09:00 in Beijing
CLAIM_DEADLINE_PAST = date(2025, 6, 10)
CLAIM_DEADLINE_FUTURE = date(2025, 6, 18)
CLAIMED_RECENTLY = datetime(2025, 6, 5, 10, 0) - CST  # contact due 06-10: overdue; decision due 06-19: not yet
CLAIMED_LONG_AGO = datetime(2025, 5, 20, 10, 0) - CST  # decision due 06-04 (Dragon Boat 05-31..06-02): overdue
AMOUNTS_WAN = [20, 50, 80, 100, 150, 200, 300, 500, 800, 1000, 2000, 3000]  # the request mix of `matchmaker demo`


def build(session, rng: random.Random, n_firms: int, unclaimed: int, claimed: int, fresh: int) -> int:
    """Bulk-insert the scenario; returns the number of overdue leads (unclaimed + claimed)."""
    townships = list(session.scalars(select(Township.id)))
    kinds = list(session.scalars(select(ProductKind.code)))
    banks = list(session.scalars(select(Bank.id)))
    session.execute(update(Bank).values(capacity=1_000_000))  # no capacity limit: re-routing does real work
    session.execute(insert(Firm), [
        {"uscc": None, "name": f"超期测试企业{i}", "name_pinyin": "", "name_initials": "",
         "township_id": rng.choice(townships), "industry": rng.choice(list(INDUSTRIES)), "size": "small",
         "founded_year": rng.randint(1995, 2024), "has_bank_loan": rng.random() < 0.7,
         "tax_credit_grade": rng.choice(["A", "A", "B", "M", None])} for i in range(n_firms)])
    products.build_demo(session, rng)
    firms = {f.id: FirmFacts.from_firm(f) for f in session.scalars(select(Firm))}
    firm_ids = sorted(firms)
    ctx = routing.load_context(session, NOW.date())

    def request() -> dict:
        return {"firm_id": rng.choice(firm_ids), "amount": rng.choice(AMOUNTS_WAN) * 10000,
                "term_months": rng.choice([3, 6, 12, 12, 24, 36]), "purpose": "基准测试",
                "collateral": rng.choice(["none", "property", "equipment", "guarantee", "receivables", "patent"]),
                "products_of_interest": rng.sample(kinds, rng.randint(0, 2)), "state": "routed"}

    requests, planned = [], []  # planned: per request, the leads to give it (bank, product, state, ...)
    while sum(len(p) for p in planned) < unclaimed:
        # the leads routing itself would have made (its best 3 banks), left unclaimed past the deadline
        req = request()
        facts = RequestFacts(req["amount"], req["term_months"], req["collateral"],
                             frozenset(req["products_of_interest"]))
        matches = routing.rank(ctx, firms[req["firm_id"]], facts)[: unclaimed - sum(len(p) for p in planned)]
        if matches:
            requests.append(req)
            planned.append([(m.bank_id, m.product_id, "routed", CLAIM_DEADLINE_PAST, None) for m in matches])
    for i in range(claimed):
        state, claimed_at = [("claimed", CLAIMED_RECENTLY), ("claimed", CLAIMED_LONG_AGO),
                             ("contacted", CLAIMED_LONG_AGO), ("in_review", CLAIMED_LONG_AGO)][i % 4]
        requests.append(request())
        planned.append([(rng.choice(banks), None, state, CLAIM_DEADLINE_PAST, claimed_at)])
    for i in range(fresh):
        state, claimed_at = ("routed", None) if i % 2 else ("claimed", datetime(2025, 6, 13, 10, 0) - CST)
        requests.append(request())
        planned.append([(rng.choice(banks), None, state, CLAIM_DEADLINE_FUTURE, claimed_at)])
    session.execute(insert(FinancingRequest), requests)
    request_ids = list(session.scalars(select(FinancingRequest.id).order_by(FinancingRequest.id)))
    rows = [_lead(rid, bank_id, rank, state, deadline, claimed_at, product_id)
            for rid, leads in zip(request_ids, planned)
            for rank, (bank_id, product_id, state, deadline, claimed_at) in enumerate(leads, start=1)]
    for start in range(0, len(rows), 20_000):
        session.execute(insert(Lead), rows[start:start + 20_000])
    session.commit()
    return unclaimed + claimed


def _lead(request_id, bank_id, rank, state, deadline, claimed_at, product_id=None) -> dict:
    return {"request_id": request_id, "bank_id": bank_id, "product_id": product_id, "state": state, "rank": rank,
            "score": 0, "score_parts": {}, "claim_deadline": deadline, "claimed_at": claimed_at,
            "created_at": datetime(2025, 6, 5, 2, 0)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=5_000)
    parser.add_argument("--unclaimed", type=int, default=60_000, help="overdue unclaimed leads")
    parser.add_argument("--claimed", type=int, default=40_000)
    parser.add_argument("--fresh", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(11)
    _engine, factory = seeded_database()
    with factory() as session:
        t0 = time.perf_counter()
        overdue = build(session, rng, args.firms, args.unclaimed, args.claimed, args.fresh)
        build_s = time.perf_counter() - t0
        total_leads = session.scalar(select(func.count()).select_from(Lead))
    with factory() as session:
        t0, c0 = time.perf_counter(), time.process_time()
        first = sweep.sweep(session, NOW)
        first_s, first_cpu = time.perf_counter() - t0, time.process_time() - c0
    with factory() as session:
        t0 = time.perf_counter()
        second = sweep.sweep(session, NOW)
        second_s = time.perf_counter() - t0
    print(json.dumps({
        "benchmark": "sweep", "overdue_leads": overdue, "leads_in_db": total_leads, "build_s": round(build_s, 1),
        "sweep_s": round(first_s, 2), "sweep_cpu_s": round(first_cpu, 2), "expired": first.expired,
        "rerouted_requests": first.rerouted_requests,
        "new_leads": first.new_leads, "unmatched": first.unmatched, "escalated": first.escalated,
        "step_s": first.seconds,
        "rows_changed": first.changed, "overdue_leads_per_s": round(overdue / first_s),
        "second_sweep_s": round(second_s, 2), "second_sweep_rows_changed": second.changed,
        "target_sweep_s": 10, "target_second_sweep_rows_changed": 0,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()

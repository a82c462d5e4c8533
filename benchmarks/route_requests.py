"""Benchmark: route 10,000 financing requests against the 22 seed banks and their ~60 products, in process.

Prints one JSON line: requests/s ranked with the in-memory RoutingContext against the competent naive loop (the
products loaded once, `is_eligible` for every request × product pair, the best eligible product per bank kept) —
the headline ratio; and the real submit path: `file_request(submit=True)` with routing, leads, history and notices
written and committed, the routing context warm (requests/s and ms per request). The old baseline (one query per
request × product) stays in the output only as extra keys.
Run: python benchmarks/route_requests.py [--requests 10000] [--url DATABASE_URL for the submit path at scale]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import seeded_database  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from matchmaker.demo import products
from matchmaker.domain.requests import routing
from matchmaker.domain.requests.eligibility import FirmFacts, ProductRules, RequestFacts, is_eligible
from matchmaker.models import FinancingRequest, Firm, Product, ProductKind, Township  # noqa: E402


def build(session, n_requests: int, n_firms: int, rng: random.Random) -> list[int]:
    townships = [t.id for t in session.scalars(select(Township))]
    kinds = [k.code for k in session.scalars(select(ProductKind))]
    session.execute(insert(Firm), [
        {"uscc": None, "name": f"基准测试企业{i}", "name_pinyin": "", "name_initials": "",
         "township_id": rng.choice(townships), "industry": rng.choice(["chemicals", "textiles", "machinery", "food"]),
         "size": "small", "founded_year": rng.randint(1995, 2024), "has_bank_loan": rng.random() < 0.7,
         "tax_credit_grade": rng.choice(["A", "B", "M", None])} for i in range(n_firms)])
    products.build_demo(session, rng)  # rules beyond amount/term/collateral, and firms' existing bank debt
    firm_ids = list(session.scalars(select(Firm.id)))
    session.execute(insert(FinancingRequest), [
        {"firm_id": rng.choice(firm_ids), "amount": rng.choice([20, 50, 100, 300, 500, 1000, 3000]) * 10000,
         "term_months": rng.choice([3, 6, 12, 24, 36]), "purpose": "基准测试",
         "collateral": rng.choice(["none", "property", "equipment", "guarantee", "receivables", "patent"]),
         "products_of_interest": rng.sample(kinds, rng.randint(0, 2)), "state": "submitted"}
        for _ in range(n_requests)])
    session.commit()
    return list(session.scalars(select(FinancingRequest.id)))


def facts(session, request_ids):
    reqs = session.scalars(select(FinancingRequest).where(FinancingRequest.id.in_(request_ids))).all()
    return [(FirmFacts.from_firm(r.firm), RequestFacts.from_request(r)) for r in reqs]


def naive(session, pairs, product_ids) -> int:
    """One query per request × product, then the same rule check; returns how many pairs were eligible."""
    eligible = 0
    for firm, req in pairs:
        for pid in product_ids:
            product = session.execute(select(Product).where(Product.id == pid)).scalar_one()
            if product.active and is_eligible(ProductRules.from_product(product), firm, req):
                eligible += 1
        session.expunge_all()
    return eligible


def competent_naive(products_rules, pairs, today) -> int:
    """Products loaded once; every pair checked with the app's rule evaluator; the first eligible product per
    bank kept (no scoring). Returns how many requests had at least one eligible bank."""
    matched = 0
    for firm, req in pairs:
        banks = {}
        for rules in products_rules:
            if rules.bank_id not in banks and is_eligible(rules, firm, req, today):
                banks[rules.bank_id] = rules.id
        matched += bool(banks)
    return matched


def submit_path(factory, n: int, rng: random.Random) -> dict:
    """File and submit `n` requests as a township official would, one transaction each: ms per request."""
    from matchmaker.domain.requests import financing
    from matchmaker.models import User

    with factory() as session:
        official = session.scalar(select(User).where(User.role == "township").order_by(User.id))
        if official is None:  # the small benchmark database has no accounts yet
            from matchmaker.domain.accounts.users import create_user

            official = create_user(session, "bench-township", "bench-password", "township",
                                   township_id=session.scalar(select(Firm.township_id).limit(1)))
            session.commit()
        firm_ids = list(session.scalars(select(Firm.id).where(Firm.township_id == official.township_id).limit(500)))
        kinds = [k.code for k in session.scalars(select(ProductKind))]
        times, cpu = [], 0.0
        for i in range(n + 1):
            firm = session.get(Firm, rng.choice(firm_ids))
            t0, c0 = time.perf_counter(), time.process_time()
            financing.file_request(session, official, firm, amount_yuan=rng.choice([50, 100, 300, 500]) * 10000,
                                   term_months=12, purpose="基准测试：补充流动资金", collateral="property",
                                   products_of_interest=rng.sample(kinds, 1), submit=True)
            session.commit()
            if i:  # the first one warms the routing context
                times.append((time.perf_counter() - t0) * 1000)
                cpu += time.process_time() - c0
    times.sort()
    return {"submitted": n, "cpu_ms_mean": round(1000 * cpu / n, 1), "ms_p50": round(times[len(times) // 2], 1),
            "ms_p95": round(times[int(len(times) * 0.95) - 1], 1),
            "requests_per_s": round(1000 * n / sum(times), 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--firms", type=int, default=2_000)
    parser.add_argument("--naive-sample", type=int, default=150)
    parser.add_argument("--competent-sample", type=int, default=2_000)
    parser.add_argument("--submit-sample", type=int, default=200)
    parser.add_argument("--url", help="also time the submit path on this (large) database")
    args = parser.parse_args()
    rng = random.Random(7)
    _engine, factory = seeded_database()
    with factory() as session:
        ids = build(session, args.requests, args.firms, rng)
        pairs = facts(session, ids)
        product_ids = list(session.scalars(select(Product.id)))

        t0 = time.perf_counter()
        ctx = routing.load_context(session)
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        routed = sum(1 for firm, req in pairs if routing.rank(ctx, firm, req))
        rank_s = time.perf_counter() - t0

        sample = pairs[: args.competent_sample]
        t0 = time.perf_counter()
        competent_naive(ctx.products, sample, ctx.today)
        competent_rate = len(sample) / (time.perf_counter() - t0)

        old_sample = pairs[: args.naive_sample]
        t0 = time.perf_counter()
        naive(session, old_sample, product_ids)
        old_rate = len(old_sample) / (time.perf_counter() - t0)
    submit = submit_path(factory, args.submit_sample, rng)
    at_scale = None
    if args.url:
        from matchmaker.db import make_engine, make_session_factory
        from matchmaker.models import FinancingRequest as FR

        scale_factory = make_session_factory(make_engine(args.url))
        with scale_factory() as session:
            existing = session.scalar(select(func.count()).select_from(FR))
        at_scale = {"database_requests": existing, **submit_path(scale_factory, args.submit_sample, rng)}

    rate = len(pairs) / rank_s
    print(json.dumps({
        "benchmark": "route_requests", "requests": len(pairs), "products": len(product_ids), "banks": len(ctx.banks),
        "routed_with_a_match": routed, "context_load_s": round(load_s, 3), "rank_s": round(rank_s, 3),
        "requests_per_s": round(rate),
        "baseline": "competent naive loop: products loaded once, is_eligible per request x product",
        "baseline_requests_per_s": round(competent_rate),
        "baseline_pairs_per_s": round(competent_rate * len(product_ids)),
        "speedup_vs_baseline": round(rate / competent_rate, 2),
        "submit_path_small_db": submit, "submit_path_at_scale": at_scale, "submit_goal_ms": 50,
        "old_baseline_one_query_per_pair_requests_per_s": round(old_rate, 1),
        "old_speedup_vs_one_query_per_pair": round(rate / old_rate, 1),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()

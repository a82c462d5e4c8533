"""Benchmark: route 10,000 financing requests against the 22 seed banks and their ~60 products, in process.

Prints one JSON line: requests/s ranked with the in-memory RoutingContext (the product rules evaluated by the
same evaluator as the app), the naive baseline that issues one query per request × product (timed on a
sample and scaled), and, for information, requests/s when the leads and history rows are also written.
Run: python benchmarks/route_requests.py [--requests 10000]
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
from sqlalchemy import insert, select  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--firms", type=int, default=2_000)
    parser.add_argument("--naive-sample", type=int, default=150)
    parser.add_argument("--persist-sample", type=int, default=1_000)
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

        sample = pairs[: args.naive_sample]
        t0 = time.perf_counter()
        naive(session, sample, product_ids)
        naive_rate = len(sample) / (time.perf_counter() - t0)

        persist_ids = ids[: args.persist_sample]
        reqs = session.scalars(select(FinancingRequest).where(FinancingRequest.id.in_(persist_ids))).all()
        t0 = time.perf_counter()
        for r in reqs:
            routing.route_request(session, r, ctx=ctx)
        session.commit()
        persist_rate = len(reqs) / (time.perf_counter() - t0)

    rate = len(pairs) / rank_s
    print(json.dumps({
        "benchmark": "route_requests", "requests": len(pairs), "products": len(product_ids), "banks": len(ctx.banks),
        "routed_with_a_match": routed, "context_load_s": round(load_s, 3), "rank_s": round(rank_s, 3),
        "requests_per_s": round(rate), "baseline": "naive: one query per request x product",
        "baseline_requests_per_s": round(naive_rate, 1), "speedup_vs_baseline": round(rate / naive_rate, 1),
        "target_requests_per_s": 5000, "target_speedup": 10,
        "route_and_persist_requests_per_s": round(persist_rate),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()

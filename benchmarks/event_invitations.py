"""Benchmark: build an event's invitation list from filters over 50,000 firms, and the district's conversion
figures over 10,000 event intentions, on a temp SQLite database.

The invitation filters (township, industries, first loan, open or unmatched request, not invited in the last N
months) run as one query with EXISTS clauses; the baseline is the naive way, one query per firm for its
requests and its past invitations (timed on a sample and scaled). Prints one JSON line.
Run: python benchmarks/event_invitations.py [--firms 50000]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import seeded_database  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from matchmaker.domain.events import invitations as inv
from matchmaker.domain.events import organising as events
from matchmaker.domain.events import report as event_report
from matchmaker.models import (  # noqa: E402
    EventIntention,
    EventInvitation,
    FinancingRequest,
    Firm,
    Lead,
    MatchmakingEvent,
    Product,
    Township,
    User,
    utcnow,
)
from matchmaker.models.events import LEADING_INDUSTRIES  # noqa: E402
from matchmaker.models.firms import INDUSTRIES  # noqa: E402

REQUEST_STATES = ["draft", "submitted", "routed", "offered", "accepted", "funded", "unmatched", "withdrawn"]
LEAD_STATES = ["claimed", "contacted", "in_review", "approved", "disbursed", "declined", "released"]


def build(session, n_firms: int, n_invitations: int, n_intentions: int, rng: random.Random):
    townships = [t.id for t in session.scalars(select(Township))]
    industries = list(INDUSTRIES)
    session.execute(insert(Firm), [
        {"uscc": None, "name": f"基准企业{i}", "name_pinyin": "", "name_initials": f"jzqy{i}",
         "township_id": rng.choice(townships), "industry": rng.choice(industries), "size": "small",
         "has_bank_loan": rng.random() < 0.7} for i in range(n_firms)])
    firm_ids = list(session.scalars(select(Firm.id)))
    session.execute(insert(FinancingRequest), [
        {"firm_id": rng.choice(firm_ids), "amount": 1_000_000, "term_months": 12, "purpose": "基准",
         "collateral": "none", "products_of_interest": [], "state": rng.choice(REQUEST_STATES)}
        for _ in range(n_firms * 3 // 5)])
    district = User(username="bench-district", password_hash="x", role="district")
    session.add(district)
    session.flush()
    now = datetime.now()
    session.execute(insert(MatchmakingEvent), [
        {"title": f"往期活动{i}", "kind": "township", "township_id": rng.choice(townships), "starts_at":
         now - timedelta(days=rng.randint(1, 540)), "venue": "会议室", "capacity": 500, "description": "",
         "cancelled": False, "organiser_id": district.id} for i in range(120)])
    event_ids = list(session.scalars(select(MatchmakingEvent.id)))
    pairs = {(rng.choice(event_ids), rng.choice(firm_ids)) for _ in range(n_invitations)}
    session.execute(insert(EventInvitation), [
        {"event_id": e, "firm_id": f, "state": "accepted", "source": "filter",
         "invited_at": utcnow() - timedelta(days=rng.randint(1, 540)), "checked_in_at": utcnow()} for e, f in pairs])
    _intentions(session, rng, list(pairs)[:n_intentions])
    target = MatchmakingEvent(title="目标活动", kind="industry", industry="new_materials", township_id=None,
                              starts_at=now + timedelta(days=7), venue="会议室", capacity=300, organiser_id=district.id)
    session.add(target)
    session.commit()
    return district, target


def _intentions(session, rng: random.Random, pairs) -> None:
    """Intentions with a request, a lead in a random state and their amounts (bulk, no history)."""
    products = session.execute(select(Product.id, Product.bank_id)).all()
    first_request = (session.scalar(select(FinancingRequest.id).order_by(FinancingRequest.id.desc())) or 0) + 1
    first_lead = (session.scalar(select(Lead.id).order_by(Lead.id.desc())) or 0) + 1
    reqs, leads, rows = [], [], []
    for i, (event_id, firm_id) in enumerate(pairs):
        product_id, bank_id = rng.choice(products)
        state = rng.choice(LEAD_STATES)
        amount = rng.choice([100, 300, 500, 1000]) * 10000
        reqs.append({"id": first_request + i, "firm_id": firm_id, "amount": amount, "term_months": 12,
                     "purpose": "活动意向", "collateral": "none", "products_of_interest": [], "state": "routed"})
        leads.append({"id": first_lead + i, "request_id": first_request + i, "bank_id": bank_id,
                      "product_id": product_id, "state": state, "rank": 1, "score_parts": {},
                      "disbursed_amount": amount if state == "disbursed" else None})
        rows.append({"event_id": event_id, "firm_id": firm_id, "bank_id": bank_id, "product_id": product_id,
                     "amount": amount, "request_id": first_request + i, "lead_id": first_lead + i, "kind": "contact"})
    session.execute(insert(FinancingRequest), reqs)
    session.execute(insert(Lead), leads)
    session.execute(insert(EventIntention), rows)


FILTERS = dict(industries=list(LEADING_INDUSTRIES), first_loan=True, requests="open_or_unmatched",
               not_invited_months=6)


def naive(session, firm_ids: list[int], event_id: int) -> int:
    """The same filters, one firm at a time: its row, its requests, its past invitations."""
    since = datetime.combine(inv.months_before(events.local_today(), 6), datetime.min.time())
    states = inv.OPEN_REQUEST_STATES + inv.UNMATCHED_REQUEST_STATES
    kept = 0
    for fid in firm_ids:
        firm = session.get(Firm, fid)
        if firm.industry not in LEADING_INDUSTRIES or firm.has_bank_loan:
            continue
        req_states = session.scalars(select(FinancingRequest.state).where(FinancingRequest.firm_id == fid)).all()
        if not any(s in states for s in req_states):
            continue
        invited = session.scalars(select(EventInvitation.invited_at).where(
            EventInvitation.firm_id == fid, EventInvitation.event_id != event_id)).all()
        if any(at >= since for at in invited):
            continue
        kept += 1
    session.expunge_all()
    return kept


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=50_000)
    parser.add_argument("--invitations", type=int, default=40_000)
    parser.add_argument("--intentions", type=int, default=10_000)
    parser.add_argument("--naive-sample", type=int, default=2_000)
    args = parser.parse_args()
    rng = random.Random(11)
    _engine, factory = seeded_database()
    with factory() as session:
        district, target = build(session, args.firms, args.invitations, args.intentions, rng)
        t0 = time.perf_counter()
        chosen = inv.candidate_ids(session, district, target, inv.InviteFilters(**FILTERS))  # what the page runs
        filtered_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        everyone = inv.candidate_ids(session, district, target, inv.InviteFilters())
        unfiltered_s = time.perf_counter() - t0
        firm_ids = list(session.scalars(select(Firm.id).order_by(Firm.id)))
        sample = firm_ids[: args.naive_sample]
        t0 = time.perf_counter()
        naive(session, sample, target.id)
        naive_s = (time.perf_counter() - t0) * len(firm_ids) / len(sample)
        t0 = time.perf_counter()
        rows = {d: event_report.conversion(session, d) for d in ("township", "industry", "bank")}
        conversion_s = time.perf_counter() - t0
        busiest = session.scalar(select(EventIntention.event_id).group_by(EventIntention.event_id)
                                 .order_by(EventIntention.id.desc()).limit(1))
        t0 = time.perf_counter()
        report = event_report.event_report(session, session.get(MatchmakingEvent, busiest))
        report_s = time.perf_counter() - t0
    print(json.dumps({
        "benchmark": "event_invitations", "firms": len(firm_ids), "past_invitations": args.invitations,
        "invited_by_filters": len(chosen), "all_firms_listed": len(everyone),
        "filters_s": round(filtered_s, 3), "no_filters_s": round(unfiltered_s, 3),
        "baseline": "naive: per firm, one query each for the firm, its requests and its past invitations (scaled)",
        "baseline_s": round(naive_s, 2), "speedup_vs_baseline": round(naive_s / filtered_s, 1),
        "intentions": args.intentions, "conversion_3_dimensions_s": round(conversion_s, 3),
        "conversion_rows": {d: len(r) for d, r in rows.items()},
        "event_report_intentions": report.totals.count, "event_report_s": round(report_s, 3),
        "target_filters_s": 2.0
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""The fast paths give the same answers as the slow ones: platform figures counted by the database equal the
per-lead classification, and a filed request's warm routing context equals a fresh one — also right after a
product, a weight or a claim changes."""
from __future__ import annotations

from datetime import date

from sqlalchemy import event, select

from matchmaker.demo import core as demo
from matchmaker.domain.banks import platform_figures as pf
from matchmaker.domain.banks.periods import Period, add_months
from matchmaker.domain.requests import routing
from matchmaker.models import Firm, Product, User


def _build(db):
    demo.build(db, firms=25, requests=45, seed=5)
    db.commit()


def test_figures_and_compliance_from_sql_equal_the_per_lead_classification(db):
    _build(db)
    today = pf.local_date(pf.utcnow())
    month = date(today.year, today.month, 1)
    for start, end in [(date(2000, 1, 1), date(2100, 1, 1)), (add_months(month, -1), add_months(month, 1))]:
        facts = pf.load_facts(db, start, end)
        assert facts
        period = Period("annual", "x", start, end)
        assert pf.figures(db, period, today) == pf.figures(db, period, today, facts)
    year = pf.load_facts(db, add_months(month, -11), add_months(month, 1))
    assert pf.compliance_series(db, month, 12, today) == pf.compliance_series(db, month, 12, today, year)
    total = pf.figures(db, Period("annual", "x", date(2000, 1, 1), date(2100, 1, 1)), today)["total"]
    assert total["received"] == len(pf.load_facts(db, date(2000, 1, 1), date(2100, 1, 1))) > 0


def _same(warm: routing.RoutingContext, fresh: routing.RoutingContext) -> None:
    assert [p.id for p in warm.products] == [p.id for p in fresh.products]
    assert warm.banks == fresh.banks
    assert (warm.weights, warm.fanout, warm.kind_names) == (fresh.weights, fresh.fanout, fresh.kind_names)
    assert warm.recent_declines == fresh.recent_declines


def test_warm_routing_context_equals_a_fresh_one_and_follows_changes(db, app):
    _build(db)
    firm_id = db.scalar(select(Firm.id).order_by(Firm.id))
    _same(routing.warm_context(db, firm_id), routing.load_context(db, firm_ids=[firm_id]))

    engine = app.extensions["db_engine"]
    statements = []
    listener = lambda *a, **k: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        routing.warm_context(db, firm_id)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) <= 9  # the stamp's reads, open leads, the firm's declines: no reload

    product = db.scalar(select(Product).where(Product.active.is_(True)).order_by(Product.id))
    product.active = False
    db.commit()
    warm = routing.warm_context(db, firm_id)
    assert product.id not in [p.id for p in warm.products]
    _same(warm, routing.load_context(db, firm_ids=[firm_id]))

    district = db.scalar(select(User).where(User.role == "district"))
    routing.save_weights(db, district, {**routing.current_weights(db), "nearby": 42})
    db.commit()
    assert routing.warm_context(db, firm_id).weights["nearby"] == 42


def test_scale_builder_writes_a_consistent_story_in_bulk(db):
    from sqlalchemy import func

    from matchmaker.demo import scale
    from matchmaker.models import FinancingRequest, History, Lead, Notification, Offer, utcnow

    phases = []

    class Seen(scale.Progress):
        def phase(self, label, total):
            phases.append([label, total, 0])

        def advance(self, n=1):
            phases[-1][2] += n

    seen = Seen()
    result = scale.build(db, firms=300, requests=700, seed=3, progress=seen, base=(12, 15))
    scale.analyse(db, seen)  # commits, then the statistics: a phase of its own
    assert phases[-1][0] == "统计信息" and phases[-1][1] > 20
    assert db.scalar(select(func.count()).select_from(Firm)) == 300
    assert db.scalar(select(func.count()).select_from(FinancingRequest)) == 700
    assert 700 < result["counts"]["lead"] < db.scalar(select(func.count()).select_from(Lead))
    # every phase counted to its end
    assert all(done == total for label, total, done in phases), phases
    now = utcnow()
    assert db.scalar(select(func.max(Lead.claimed_at))) <= now
    assert db.scalar(select(func.max(History.at))) <= now
    # every request has its history, offers belong to approved or later leads, funded requests have a disbursed lead
    assert db.scalar(select(func.count()).select_from(FinancingRequest).where(
        ~FinancingRequest.id.in_(select(History.request_id)))) == 0
    assert set(db.scalars(select(Lead.state).join(Offer, Offer.lead_id == Lead.id))) <= {
        "approved", "disbursed", "released"}
    funded = db.scalars(select(FinancingRequest.id).where(FinancingRequest.state == "funded")).all()
    assert funded and db.scalar(select(func.count(func.distinct(Lead.request_id))).where(
        Lead.request_id.in_(funded), Lead.state == "disbursed")) == len(funded)
    assert db.scalar(select(func.count()).select_from(Notification)) > 700
    # the bulk's history carries the same hash chain the app writes: it verifies, row by row
    from matchmaker.domain.core import audit_chain

    assert audit_chain.verify(db, store=False).ok
    # the bulk is usable by the app's own rules: a new request routes with the warm context
    firm_id = db.scalar(select(Firm.id).order_by(Firm.id.desc()))
    assert routing.warm_context(db, firm_id).products


def test_bulk_history_hash_equals_the_chain_rule():
    from datetime import datetime
    from decimal import Decimal

    from matchmaker.demo.scale import HISTORY_COLUMNS, history_hash
    from matchmaker.domain.core.audit_chain import row_hash

    rows = [(5, "lead", 7, 3, None, "system", datetime(2023, 1, 2, 3, 4, 5, 6), None, "routed", '推送至"某"\\银行\n'),
            (6, "request", 1, 1, 9, "township", datetime(2023, 1, 2), "draft", "submitted", ""),
            (7, "lead", 2, 1, True, "x", datetime(2024, 5, 6, 7), "a", Decimal("1.50"), "\t")]
    for seq, row in enumerate(rows, start=1):
        content = dict(zip(["id", *HISTORY_COLUMNS], row), chain_seq=seq, prev_hash="ab" * 32, chain_txn=None)
        assert history_hash(seq, "ab" * 32, row) == row_hash("history", seq, "ab" * 32, content)


def test_export_from_plain_columns_equals_the_per_entry_rows(db):
    from matchmaker.domain.whitelists import lists as whitelists
    from matchmaker.models.whitelists import WHITELIST_KINDS

    _build(db)
    seen = 0
    for role in ("district", "township"):
        actor = db.scalar(select(User).where(User.role == role).order_by(User.id))
        for kind in WHITELIST_KINDS:
            query = whitelists.visible_entries(actor, kind, whitelists.ListFilters(), db).order_by("row_no")
            by_entry = list(whitelists.export_rows(kind, db.scalars(query)))
            plain = list(whitelists.export_plain_rows(kind, db.execute(whitelists.export_select(query))))
            assert plain == by_entry
            seen += len(plain)
    assert seen > 0


def test_rank_equals_the_pair_by_pair_ranking(db):
    import dataclasses
    import random

    from matchmaker.domain.requests.eligibility import FirmFacts, RequestFacts

    _build(db)
    ctx = routing.load_context(db)
    assert ctx.products
    rng = random.Random(11)
    kinds = sorted({p.kind_code for p in ctx.products})
    lists = ["above_scale", "high_tech", "specialized", "key_project"]
    townships = sorted({b.township_id for b in ctx.banks.values() if b.township_id is not None}) + [None]
    compared = matched = 0
    for i in range(600):
        firm = FirmFacts(i % 40 + 1, rng.choice(townships), rng.random() < 0.6, rng.choice(["chemicals", "machinery",
                         "textiles", "food", "agriculture"]), rng.choice([None, 2000, 2015, 2023, 2026]),
                         rng.choice([None, "A", "B", "M", "C"]), frozenset(rng.sample(lists, rng.randint(0, 2))),
                         rng.choice([None, 0, 3_000_000, 50_000_000]))
        req = RequestFacts(rng.choice([5, 20, 50, 100, 300, 1000, 3000, 8000]) * 10000,
                           rng.choice([1, 3, 6, 12, 24, 36, 60]),
                           rng.choice(["none", "property", "equipment", "guarantee", "receivables", "patent"]),
                           frozenset(rng.sample(kinds, rng.randint(0, 2))))
        exclude = set(rng.sample(sorted(ctx.banks), 2)) if i % 5 == 0 else None
        limit = rng.choice([None, 1, 5, 30])
        fast, slow = routing.rank(ctx, firm, req, exclude, limit), routing.rank_pairwise(ctx, firm, req, exclude, limit)
        assert [(m.bank_id, m.product_id, m.score, m.parts) for m in fast] == \
            [(m.bank_id, m.product_id, m.score, m.parts) for m in slow]
        compared += 1
        matched += bool(fast)
        if i % 50 == 0:  # a lead routed: the bank's open leads move, and so do its workload and the order
            bank = ctx.banks[rng.choice(sorted(ctx.banks))]
            bank.open_leads = bank.capacity if i % 100 == 0 else bank.open_leads + 1
        if i == 300:
            ctx.weights = dict(ctx.weights, nearby=0.0, whitelist=35.0)
            ctx.banks = {k: dataclasses.replace(v) for k, v in ctx.banks.items()}
    assert compared == 600 and matched > 100


def test_dashboard_day_totals_follow_a_change(db):
    from matchmaker.domain.core import shared_cache
    from matchmaker.domain.requests import dashboard
    from matchmaker.models import Lead, utcnow

    def figures():
        window = dashboard.window_from("annual", str(pf.local_date(utcnow()).year))
        return (dashboard.by_bank(db), dashboard.funnel(db), dashboard.by_township(db, window),
                dashboard.amounts(db, window=window), dashboard.requests_by_state(db))

    _build(db)
    before = figures()
    db.commit()
    lead = db.scalar(select(Lead).where(Lead.state == "routed", Lead.claimed_at.is_(None)).order_by(Lead.id))
    lead.state, lead.claimed_at = "claimed", utcnow()
    db.commit()
    after = figures()  # the stamp moved: counted again
    shared_cache.forget()  # PostgreSQL: read back from figure_cache, as another worker would; SQLite: recounted
    assert after == figures() and after != before
    assert sum(b["claimed"] for b in after[0]) == sum(b["claimed"] for b in before[0]) + 1

"""Routing v1: hard rules first, then a score with named parts; the best banks get a lead each."""
from decimal import Decimal

from sqlalchemy import select

from matchmaker.domain.requests import financing, routing
from matchmaker.domain.requests.eligibility import FirmFacts, ProductRules, RequestFacts, evaluate, is_eligible
from matchmaker.models import Bank, History, Lead, Product

from . import factories

WEIGHTS = {"product_fit": 30, "whitelist": 20, "target_gap": 15, "speed": 15, "workload": 10, "nearby": 10}


def product(pid, bank_id, kind="kechuang", lo=10_0000, hi=1000_0000, tlo=1, thi=36, collateral=("property",),
            first_loan_only=False):
    return ProductRules(pid, bank_id, kind, f"p{pid}", lo, hi, tlo, thi, frozenset(collateral), first_loan_only,
                        frozenset())


def ctx_with(products, banks=None):
    banks = banks or {p.bank_id: routing.BankFacts(p.bank_id, f"b{p.bank_id}", None, 100) for p in products}
    return routing.RoutingContext(products=products, banks=banks, weights=WEIGHTS, fanout=3)


FIRM = FirmFacts(1, 5, True, "chemicals", 2010, "A")
REQ = RequestFacts(amount=100_0000, term_months=12, collateral="property", interests=frozenset())


def test_hard_rules_exclude_amount_term_collateral_and_first_loan():
    products = [
        product(1, 1, lo=200_0000),                   # amount below minimum
        product(2, 2, thi=6),                         # term too long
        product(3, 3, collateral=("patent",)),        # collateral not accepted
        product(4, 4, first_loan_only=True),          # firm already borrowed
        product(5, 5),                                # fits
    ]
    matches = routing.rank(ctx_with(products), FIRM, REQ)
    assert [m.product_id for m in matches] == [5]
    failed = {r.rule for p in products[:4] for r in evaluate(p, FIRM, REQ) if not r.passed}
    assert failed == {"amount", "term", "collateral", "first_loan"}


def test_credit_product_accepts_any_collateral_offered():
    assert is_eligible(product(1, 1, collateral=("none",)), FIRM, REQ)


def test_score_parts_are_named_and_sum_to_the_score():
    ctx = ctx_with([product(1, 1)])
    ctx.banks[1].township_id = 5
    (match,) = routing.rank(ctx, FIRM, REQ)
    assert set(match.parts) == set(WEIGHTS)
    assert match.parts["nearby"]["value"] == 1.0 and "同在" in match.parts["nearby"]["reason"]
    assert abs(sum(p["points"] for p in match.parts.values()) - match.score) < 0.05


def test_interest_in_a_kind_ranks_that_bank_first():
    products = [product(1, 1, kind="kechuang"), product(2, 2, kind="zhengyinbao")]
    req = RequestFacts(100_0000, 12, "property", frozenset({"zhengyinbao"}))
    matches = routing.rank(ctx_with(products), FIRM, req)
    assert [m.bank_id for m in matches] == [2, 1]


def test_fanout_limits_banks_and_one_product_per_bank():
    products = [product(i, bank_id=(i % 5) + 1) for i in range(1, 16)]
    matches = routing.rank(ctx_with(products), FIRM, REQ)
    assert len(matches) == 3
    assert len({m.bank_id for m in matches}) == 3


def test_bank_at_capacity_or_recently_declined_is_skipped():
    products = [product(1, 1), product(2, 2), product(3, 3)]
    ctx = ctx_with(products)
    ctx.banks[1].open_leads = 100  # at capacity
    ctx.recent_declines = {FIRM.id: {2}}
    assert [m.bank_id for m in routing.rank(ctx, FIRM, REQ)] == [3]


def test_route_request_creates_leads_with_score_parts_and_history(db, users):
    firm = factories.FirmFactory(township_id=users["township"].township_id)
    req = financing.file_request(db, users["district"], firm, amount_yuan=300_0000, term_months=12,
                                 purpose="购买原材料", collateral="property")
    db.commit()
    assert req.state == "routed"
    leads = db.scalars(select(Lead).where(Lead.request_id == req.id).order_by(Lead.rank)).all()
    assert 1 <= len(leads) <= 3
    assert [lead.rank for lead in leads] == list(range(1, len(leads) + 1))
    assert all(lead.score_parts and lead.claim_deadline for lead in leads)
    assert leads[0].score >= leads[-1].score
    for lead in leads:
        p = db.get(Product, lead.product_id)
        assert p.bank_id == lead.bank_id and p.min_amount <= 300_0000 <= p.max_amount


def test_request_nobody_can_serve_is_unmatched(db, users):
    for b in db.scalars(select(Bank)):
        b.active = False
    db.flush()
    firm = factories.FirmFactory()
    req = financing.file_request(db, users["district"], firm, amount_yuan=Decimal(100_0000), term_months=12,
                                 purpose="x", collateral="none")
    assert req.leads == []
    path = [h.to_state for h in db.scalars(select(History).where(History.request_id == req.id).order_by(History.id))]
    assert path[:4] == ["draft", "submitted", "unmatched", *path[3:4]] and "routed" not in path

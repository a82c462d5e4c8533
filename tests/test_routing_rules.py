"""Product rules as data: the one evaluator (rule by rule, with reasons), is_eligible agreeing with it, and
routing never proposing a product whose rules fail."""
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from matchmaker.domain.requests import routing
from matchmaker.domain.requests.eligibility import FirmFacts, ProductRules, RequestFacts, evaluate, is_eligible
from matchmaker.models.firms import INDUSTRIES
from matchmaker.models.products import COLLATERAL_KINDS

TODAY = date(2026, 6, 1)
WEIGHTS = {"product_fit": 30, "whitelist": 20, "target_gap": 15, "speed": 15, "workload": 10, "nearby": 10}
WHITELISTS = ["key_project", "doubling_firm", "tech_upgrade", "above_scale", "high_tech", "rural_revitalisation"]


def rules(**kw) -> ProductRules:
    base = dict(id=1, bank_id=1, kind_code="kechuang", name="科创贷", min_amount=10_0000, max_amount=1000_0000,
                min_term=1, max_term=36, collateral=frozenset({"none"}), first_loan_only=False,
                preferred_whitelists=frozenset())
    base.update(kw)
    return ProductRules(**base)


FIRM = FirmFacts(7, 3, True, "chemicals", 2018, "B", frozenset({"above_scale"}), 300_0000)
REQ = RequestFacts(100_0000, 12, "property", frozenset())


def failed(p, firm=FIRM, req=REQ):
    return {r.rule: r.reason for r in evaluate(p, firm, req, TODAY) if not r.passed}


def test_every_rule_fails_alone_with_a_reason_naming_the_firms_value():
    cases = {
        "firm_age": (rules(min_firm_age=10), "2018"),
        "whitelist": (rules(required_whitelists=frozenset({"high_tech", "doubling_firm"})), "未列入"),
        "high_tech": (rules(high_tech_only=True), "不在"),
        "industry": (rules(industries=frozenset({"textiles"})), "化工"),
        "township": (rules(townships=frozenset({1, 2}), township_names="光明路街道、文化路街道"), "不在其中"),
        "tax_grade": (rules(min_tax_grade="A"), "B 级"),
        "debt": (rules(max_existing_debt=200_0000), "300万元"),
        "first_loan": (rules(first_loan_only=True), "曾获得"),
        "amount": (rules(max_amount=50_0000), "100万元"),
        "term": (rules(max_term=6), "12 个月"),
        "collateral": (rules(collateral=frozenset({"patent"})), "房产土地抵押"),
    }
    for rule, (product, firm_value) in cases.items():
        fails = failed(product)
        assert set(fails) == {rule}, rule
        assert firm_value in fails[rule], (rule, fails[rule])
        assert not is_eligible(product, FIRM, REQ, TODAY)


def test_rules_that_pass_say_so_and_unknown_firm_facts_fail_with_what_to_fill_in():
    product = rules(min_firm_age=5, required_whitelists=frozenset({"above_scale"}), industries=frozenset({"chemicals"}),
                    townships=frozenset({3}), min_tax_grade="M", max_existing_debt=500_0000)
    assert failed(product) == {} and is_eligible(product, FIRM, REQ, TODAY)
    assert {r.rule for r in evaluate(product, FIRM, REQ, TODAY)} == {
        "amount", "term", "collateral", "firm_age", "whitelist", "industry", "township", "tax_grade", "debt"}
    blank = FirmFacts(8, None, True, "other", None, None)
    fails = failed(product, blank)
    assert "未填写成立年份" in fails["firm_age"]
    assert "未填写纳税信用等级" in fails["tax_grade"]
    assert "未填写现有银行贷款余额" in fails["debt"]


def test_first_loan_firm_owes_nothing_and_grades_order_a_b_m_c_d():
    never_borrowed = FirmFacts(9, 3, False, "chemicals", 2020, "M")
    assert is_eligible(rules(max_existing_debt=0), never_borrowed, REQ, TODAY)
    assert is_eligible(rules(min_tax_grade="M"), never_borrowed, REQ, TODAY)
    assert is_eligible(rules(min_tax_grade="C"), never_borrowed, REQ, TODAY)
    assert not is_eligible(rules(min_tax_grade="B"), never_borrowed, REQ, TODAY)


def test_high_tech_only_means_the_high_tech_white_list():
    tech = FirmFacts(10, 3, True, "it", 2015, "A", frozenset({"high_tech"}), 0)
    assert is_eligible(rules(high_tech_only=True), tech, REQ, TODAY)
    assert not is_eligible(rules(high_tech_only=True), FIRM, REQ, TODAY)


def test_firm_age_counts_years_since_founding_at_the_given_date():
    product = rules(min_firm_age=3)
    young = FirmFacts(11, 3, True, "it", 2023, "A", frozenset(), 0)
    assert not is_eligible(product, young, REQ, date(2025, 12, 31))
    assert is_eligible(product, young, REQ, date(2026, 1, 1))


def test_from_product_reads_the_rules_json_and_ignores_junk():
    from matchmaker.models import Product

    p = Product(id=5, bank_id=2, kind_code="kechuang", name="x", min_amount=0, max_amount=100, min_term_months=1,
                max_term_months=12, collateral=["none"], first_loan_only=False,
                rules={"townships": [1, "2", "x"], "min_tax_grade": "Z", "min_firm_age_years": "3",
                       "max_existing_debt": "oops", "industries": "chemicals", "high_tech_only": 1})
    r = ProductRules.from_product(p, {1: "甲", 2: "乙"})
    assert r.townships == {1, 2} and r.township_names == "甲、乙"
    assert r.min_tax_grade is None and r.min_firm_age == 3 and r.max_existing_debt is None
    assert r.industries == frozenset() and r.high_tech_only is True


# Property tests ---------------------------------------------------------------------------------------------------

codes = st.frozensets(st.sampled_from(WHITELISTS), max_size=3)
product_rules = st.builds(
    ProductRules,
    id=st.integers(1, 60), bank_id=st.integers(1, 8), kind_code=st.sampled_from(["kechuang", "first_loan", "green"]),
    name=st.just("p"), min_amount=st.integers(0, 500) .map(lambda w: w * 10000),
    max_amount=st.integers(1, 3000).map(lambda w: w * 10000), min_term=st.integers(1, 24),
    max_term=st.integers(1, 60), collateral=st.frozensets(st.sampled_from(list(COLLATERAL_KINDS)), min_size=1),
    first_loan_only=st.booleans(), preferred_whitelists=codes, required_whitelists=codes,
    industries=st.frozensets(st.sampled_from(list(INDUSTRIES)), max_size=3),
    townships=st.frozensets(st.integers(1, 11), max_size=4), min_firm_age=st.integers(0, 12),
    high_tech_only=st.booleans(), min_tax_grade=st.sampled_from([None, "A", "B", "M", "C", "D"]),
    max_existing_debt=st.one_of(st.none(), st.integers(0, 2000).map(lambda w: w * 10000)),
)
firms = st.builds(
    FirmFacts, id=st.integers(1, 50), township_id=st.one_of(st.none(), st.integers(1, 11)),
    has_bank_loan=st.booleans(), industry=st.sampled_from(list(INDUSTRIES)),
    founded_year=st.one_of(st.none(), st.integers(1990, 2026)),
    tax_credit_grade=st.sampled_from([None, "A", "B", "M", "C", "D"]), whitelist_kinds=codes,
    existing_debt=st.one_of(st.none(), st.integers(0, 3000).map(lambda w: w * 10000)),
)
requests = st.builds(RequestFacts, amount=st.integers(1, 3000).map(lambda w: w * 10000), term_months=st.integers(1, 60),
                     collateral=st.sampled_from(list(COLLATERAL_KINDS)),
                     interests=st.frozensets(st.sampled_from(["kechuang", "first_loan", "green"]), max_size=2))


@settings(max_examples=400, deadline=None)
@given(product_rules, firms, requests, st.dates(date(2020, 1, 1), date(2030, 12, 31)))
def test_is_eligible_gives_the_same_verdict_as_all_rules_of_evaluate(p, firm, req, today):
    assert is_eligible(p, firm, req, today) == all(r.passed for r in evaluate(p, firm, req, today))


@settings(max_examples=200, deadline=None)
@given(st.lists(product_rules, min_size=1, max_size=25, unique_by=lambda p: p.id), firms, requests,
       st.integers(1, 5), st.sets(st.integers(1, 8), max_size=3))
def test_routing_never_proposes_a_product_whose_rules_fail(products, firm, req, fanout, excluded):
    banks = {i: routing.BankFacts(i, f"b{i}", (i % 11) + 1, capacity=50) for i in range(1, 9)}
    ctx = routing.RoutingContext(products=products, banks=banks, weights=WEIGHTS, fanout=fanout, today=TODAY)
    matches = routing.rank(ctx, firm, req, exclude_banks=excluded)
    by_id = {p.id: p for p in products}
    assert len(matches) <= fanout and len({m.bank_id for m in matches}) == len(matches)
    for m in matches:
        assert m.bank_id not in excluded
        assert all(r.passed for r in evaluate(by_id[m.product_id], firm, req, TODAY))
    eligible_banks = {p.bank_id for p in products if is_eligible(p, firm, req, TODAY)} - excluded
    assert len(matches) == min(fanout, len(eligible_banks))  # nothing eligible is left out for no reason

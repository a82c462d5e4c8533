"""Product rules on pages: a bank admin edits their bank's products (validation next to the fields), the district
sees all; the firm's eligibility check while filling in a request (JSON and no-JS); the district's score
weights; and routing applying the stored rules."""
from sqlalchemy import func, select

from matchmaker.domain.core import settings
from matchmaker.domain.requests import financing, routing
from matchmaker.domain.requests.eligibility import FirmFacts, ProductRules, RequestFacts, evaluate
from matchmaker.models import FinancingRequest, Lead, Product

from . import factories

NEW_PRODUCT = {
    "name": "科创贷·测试版", "kind_code": "kechuang", "min_amount_wan": "50", "max_amount_wan": "800",
    "min_term_months": "6", "max_term_months": "24", "collateral": ["none", "patent"], "min_firm_age_years": "3",
    "min_tax_grade": "B", "max_debt_wan": "500", "industries": ["chemicals", "new_materials"],
    "required_whitelists": ["high_tech"], "preferred_whitelists": ["doubling_firm"], "rate_note": "LPR+0.2%",
    "active": "y",
}


def test_bank_admin_creates_a_product_with_rules_and_sees_only_their_bank(as_role, db, bank, other_bank):
    client = as_role("bank_admin")
    listing = client.get("/bank/products").get_data(as_text=True)
    own = db.scalars(select(Product).where(Product.bank_id == bank.id)).all()
    others = db.scalars(select(Product).where(Product.bank_id == other_bank.id)).all()
    assert own and others
    assert all(p.name in listing for p in own) and not any(p.name in listing for p in others)

    response = client.post("/products/new", data=NEW_PRODUCT)
    assert response.status_code == 302
    product = db.scalar(select(Product).where(Product.name == "科创贷·测试版"))
    assert product.bank_id == bank.id
    assert (product.min_amount, product.max_amount, product.min_term_months, product.max_term_months) == (
        50_0000, 800_0000, 6, 24)
    assert product.collateral == ["none", "patent"]
    assert product.rules == {"min_firm_age_years": 3, "min_tax_grade": "B", "max_existing_debt": 500_0000,
                             "industries": ["chemicals", "new_materials"], "required_whitelists": ["high_tech"],
                             "preferred_whitelists": ["doubling_firm"]}
    listing = client.get("/bank/products").get_data(as_text=True)
    assert "成立满3年" in listing and "纳税信用B级及以上" in listing and "现有贷款≤500万元" in listing


def test_invalid_product_is_shown_again_with_errors_next_to_fields_and_values_kept(as_role, db):
    client = as_role("bank_admin")
    bad = {**NEW_PRODUCT, "name": "额度填反的产品", "min_amount_wan": "900", "max_amount_wan": "800"}
    response = client.post("/products/new", data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "最低额度不能高于最高额度" in page and 'value="额度填反的产品"' in page and 'value="900"' in page
    assert db.scalar(select(func.count()).select_from(Product).where(Product.name == "额度填反的产品")) == 0

    response = client.post("/products/new", data={**NEW_PRODUCT, "collateral": [], "min_term_months": "30"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "最短期限不能长于最长期限" in page

    response = client.post("/products/new", data={**NEW_PRODUCT, "collateral": []})
    assert response.status_code == 422 and "请至少选择一种接受的担保方式" in response.get_data(as_text=True)
    response = client.post("/products/new", data={**NEW_PRODUCT, "min_firm_age_years": "-1"})
    assert response.status_code == 422 and "成立年限应在0–100年之间" in response.get_data(as_text=True)


def test_edit_prefills_and_saves_and_other_banks_products_are_forbidden(as_role, db, bank, other_bank):
    client = as_role("bank_admin")
    mine = db.scalar(select(Product).where(Product.bank_id == bank.id).order_by(Product.id))
    theirs = db.scalar(select(Product).where(Product.bank_id == other_bank.id).order_by(Product.id))
    form = client.get(f"/products/{mine.id}/edit").get_data(as_text=True)
    assert f'value="{mine.name}"' in form
    response = client.post(f"/products/{mine.id}/edit", data={**NEW_PRODUCT, "name": mine.name,
                                                              "kind_code": mine.kind_code, "high_tech_only": "y"})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Product, mine.id).rules["high_tech_only"] is True
    assert client.get(f"/products/{theirs.id}/edit").status_code == 403
    assert client.post(f"/products/{theirs.id}/edit", data=NEW_PRODUCT).status_code == 403
    assert client.get("/products/999999/edit").status_code == 404
    for role in ("bank_manager", "enterprise", "township"):
        assert as_role(role).get("/products/new").status_code == 403, role


def test_district_sees_every_banks_products_and_must_pick_a_bank(as_role, db, other_bank):
    client = as_role("district")
    page = client.get("/district/products?bank=%d" % other_bank.id).get_data(as_text=True)
    names = db.scalars(select(Product.name).where(Product.bank_id == other_bank.id)).all()
    assert all(n in page for n in names)
    total = db.scalar(select(func.count()).select_from(Product))
    assert f"共 {total} 条" in client.get("/district/products").get_data(as_text=True)
    response = client.post("/products/new", data=NEW_PRODUCT)
    assert response.status_code == 422 and "请选择银行" in response.get_data(as_text=True)
    assert client.post("/products/new", data={**NEW_PRODUCT, "bank_id": other_bank.id}).status_code == 302
    assert db.scalar(select(Product.bank_id).where(Product.name == NEW_PRODUCT["name"])) == other_bank.id


def _only_rule_for_everything(db, rules: dict):
    for p in db.scalars(select(Product)):
        p.rules = dict(rules)
    db.commit()


def test_check_endpoint_lists_products_with_the_same_verdicts_as_the_evaluator(as_role, db, users, firm):
    firm.tax_credit_grade = "B"
    db.commit()
    picky = db.scalar(select(Product).where(Product.min_amount <= 300_0000, Product.max_amount >= 300_0000,
                                            Product.min_term_months <= 12, Product.max_term_months >= 12)
                      .order_by(Product.id))
    picky.rules = {"min_tax_grade": "A"}
    db.commit()
    response = as_role("enterprise").get("/products/check?amount_wan=300&term_months=12&collateral=property")
    body = response.get_json()
    assert response.status_code == 200 and body["ok"] is True
    facts = FirmFacts.from_firm(firm)
    req = RequestFacts(300_0000, 12, "property", frozenset())
    by_id = {p["product_id"]: p for p in body["products"]}
    for product in db.scalars(select(Product).where(Product.active.is_(True))):
        expected = all(r.passed for r in evaluate(ProductRules.from_product(product), facts, req))
        assert by_id[product.id]["eligible"] is expected, product.name
    tax = [r for r in by_id[picky.id]["rules"] if r["rule"] == "tax_grade"][0]
    assert tax["passed"] is False and "A 级" in tax["reason"] and "B 级" in tax["reason"]
    assert body["eligible_count"] == sum(p["eligible"] for p in body["products"]) > 0
    assert f"可申请 {body['eligible_count']} 个产品" in body["html"]

    missing = as_role("enterprise").get("/products/check?amount_wan=&term_months=12").get_json()
    assert missing["ok"] is False and "金额" in missing["message"] and missing["products"] == []
    client = as_role("enterprise")
    for amount, term in (("Infinity", "12"), ("NaN", "12"), ("1e999", "12"), ("-5", "12"), ("100", "x"), ("100", "0")):
        odd = client.get(f"/products/check?amount_wan={amount}&term_months={term}")
        assert odd.status_code == 200 and odd.get_json()["ok"] is False, (amount, term)


def test_check_for_another_townships_firm_is_forbidden(as_role, users, db):
    other_firm = db.get(type(users["other_enterprise"].firm), users["other_enterprise"].firm_id)
    response = as_role("township").get(f"/products/check?firm_id={other_firm.id}&amount_wan=100&term_months=12")
    assert response.status_code == 403
    ok = as_role("district").get(f"/products/check?firm_id={other_firm.id}&amount_wan=100&term_months=12")
    assert ok.get_json()["firm"] == other_firm.name
    assert as_role("bank_manager").get("/products/check?amount_wan=1&term_months=1").status_code == 403


def test_no_js_check_button_rerenders_the_form_with_verdicts_and_files_nothing(as_role, db, users):
    before = db.scalar(select(func.count()).select_from(FinancingRequest))
    _only_rule_for_everything(db, {"industries": ["textiles"]})  # the test firm is in chemicals
    response = as_role("enterprise").post("/requests/new", data={
        "amount_wan": "300", "term_months": "12", "purpose": "", "collateral": "property", "check": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "暂无符合条件的产品" in page and "限以下行业：高端纺织服装；企业行业：化工" in page
    assert 'value="300"' in page
    assert db.scalar(select(func.count()).select_from(FinancingRequest)) == before


def test_routing_uses_the_stored_rules(db, users, firm, bank):
    firm.tax_credit_grade = "B"
    _only_rule_for_everything(db, {"min_tax_grade": "A"})
    for p in db.scalars(select(Product).where(Product.bank_id == bank.id)):
        p.rules = {"min_tax_grade": "B"}
    db.commit()
    req = financing.file_request(db, users["enterprise"], firm, amount_yuan=300_0000, term_months=12,
                                 purpose="购买原材料", collateral="property")
    db.commit()
    leads = db.scalars(select(Lead).where(Lead.request_id == req.id)).all()
    assert req.state == "routed" and {lead.bank_id for lead in leads} == {bank.id}


def test_district_sets_the_weights_with_validation_and_routing_uses_them(as_role, db, users):
    client = as_role("district")
    page = client.get("/district/weights/").get_data(as_text=True)
    assert "产品匹配" in page and "就近服务" in page
    good = {"product_fit": "50", "whitelist": "0", "target_gap": "10", "speed": "10", "workload": "20",
            "nearby": "10.5"}
    bad = client.post("/district/weights/", data={**good, "speed": "150"})
    assert bad.status_code == 422 and "权重应在0–100之间" in bad.get_data(as_text=True)
    assert 'value="50"' in bad.get_data(as_text=True)
    product = client.post("/district/weights/", data={k: "0" for k in good})
    assert product.status_code == 422 and "权重不能全部为0" in product.get_data(as_text=True)
    assert client.post("/district/weights/", data=good).status_code == 302
    db.expire_all()
    assert settings.get(db, "routing_weights") == {"product_fit": 50, "whitelist": 0, "target_gap": 10, "speed": 10,
                                                   "workload": 20, "nearby": 10.5}
    assert routing.load_context(db).weights["nearby"] == 10.5
    firm = factories.FirmFactory(township_id=users["township"].township_id)
    req = financing.file_request(db, users["district"], firm, amount_yuan=300_0000, term_months=12,
                                 purpose="x", collateral="property")
    db.commit()
    lead = req.leads[0]
    assert lead.score_parts["product_fit"]["weight"] == 50 and lead.score_parts["whitelist"]["points"] == 0
    assert as_role("bank_admin").get("/district/weights/").status_code == 403


def test_firm_declares_its_bank_debt_in_the_profile_and_the_debt_rule_reads_it(as_role, db, users, firm):
    for p in db.scalars(select(Product)):
        p.rules = {"max_existing_debt": 500_0000}
    db.commit()
    client = as_role("enterprise")
    check = client.get("/products/check?amount_wan=300&term_months=12&collateral=property").get_json()
    debt = [r for p in check["products"] for r in p["rules"] if r["rule"] == "debt"]
    assert debt and all("未填写现有银行贷款余额" in r["reason"] and not r["passed"] for r in debt)
    profile = {"name": firm.name, "township_id": firm.township_id, "industry": firm.industry, "size": firm.size,
               "founded_year": "2015", "has_bank_loan": "y", "tax_credit_grade": "A", "contact_person": "张经理",
               "contact_phone": "13800000000", "existing_debt_wan": "800"}
    assert client.post("/enterprise/profile", data=profile).status_code == 302
    db.expire_all()
    assert db.get(type(firm), firm.id).existing_bank_debt == 800_0000
    assert 'value="800' in client.get("/enterprise/profile").get_data(as_text=True)
    check = client.get("/products/check?amount_wan=300&term_months=12&collateral=property").get_json()
    reasons = {r["reason"] for p in check["products"] for r in p["rules"] if r["rule"] == "debt"}
    assert reasons == {"现有银行贷款余额不超过 500万元；企业现有 800万元"} and check["eligible_count"] == 0
    bad = client.post("/enterprise/profile", data={**profile, "existing_debt_wan": "-1"})
    assert bad.status_code == 200 and "现有银行贷款余额不能小于 0" in bad.get_data(as_text=True)
    for value in ("1e309", "abc"):  # not a number: said so, and the stored 800万元 stays
        bad = client.post("/enterprise/profile", data={**profile, "existing_debt_wan": value})
        html = bad.get_data(as_text=True)
        assert bad.status_code == 200 and f"现有银行贷款余额“{value}”不是有效的数字" in html and "已保存" not in html
        db.expire_all()
        assert db.get(type(firm), firm.id).existing_bank_debt == 800_0000


def test_not_a_number_in_any_money_or_weight_field_is_an_error_not_a_crash(as_role, db, users, firm, bank):
    admin, district, enterprise = as_role("bank_admin"), as_role("district"), as_role("enterprise")
    for value in ("NaN", "sNaN", "Infinity", "-Infinity"):
        r = admin.post("/products/new", data={**NEW_PRODUCT, "max_amount_wan": value, "max_debt_wan": value})
        assert r.status_code == 422 and "不是有效的数字" in r.get_data(as_text=True), value
        r = district.post("/district/weights/", data={"product_fit": value, "whitelist": "1", "target_gap": "1",
                                                      "speed": "1", "workload": "1", "nearby": "1"})
        assert r.status_code == 422, value
        r = enterprise.post("/requests/new", data={"amount_wan": value, "term_months": "12", "purpose": "x",
                                                   "collateral": "none", "check": "1"})
        assert r.status_code == 200 and "填写申请金额和期限后" in r.get_data(as_text=True), value
        r = enterprise.post("/requests/new", data={"amount_wan": value, "term_months": "12", "purpose": "x",
                                                   "collateral": "none"})
        assert r.status_code < 500 and db.scalar(select(func.count()).select_from(FinancingRequest)) == 0, value
    _, lead = factories.routed_request(db, firm, bank, state="in_review")
    lead.manager_id = users["bank_manager"].id
    db.commit()
    r = as_role("bank_manager").post(f"/bank/leads/{lead.id}/approve",
                                     data={"amount_wan": "sNaN", "rate_pct": "NaN", "term_months": "12"})
    assert r.status_code == 422
    db.expire_all()
    assert db.get(Lead, lead.id).state == "in_review"

"""The firm portrait: what it gathers and how it scores; consent and who may look (a matrix over roles, by HTTP);
the log of bank views the firm sees; the district's weights; the computed next step after a decline, applied and
re-routed."""
import pytest
from sqlalchemy import func, select

from matchmaker.domain.core.errors import DomainError, Forbidden
from matchmaker.domain.portrait import access, next_step, portrait, score
from matchmaker.domain.requests import financing, leads, routing
from matchmaker.domain.requests.eligibility import FirmFacts, ProductRules, RequestFacts, is_eligible
from matchmaker.domain.whitelists import batches
from matchmaker.domain.whitelists.checking import check_file
from matchmaker.models import FinancingRequest, PortraitConsent, PortraitView, Product

from . import factories
from .wl_files import xlsx

THRESHOLDS = batches.Thresholds(92, 75)


def _import(db, kind, label, rows):
    checked = check_file(db, xlsx(rows), f"{kind}{label}.xlsx", kind)
    resolved, _ = batches.preview(db, checked, label, THRESHOLDS)
    batches.commit_rows(db, None, kind, label, f"{kind}{label}.xlsx", resolved)
    db.commit()


def test_portrait_marks_verified_and_self_declared_and_scores_in_named_parts(db, firm):
    firm.tax_credit_grade = "B"
    declared = portrait.build(db, firm)
    tax = next(p for p in declared.parts if p["key"] == "tax_grade")
    assert declared.grade.status == "自报" and tax["value"] == 0.4 and "自报" in tax["reason"]
    _import(db, "tax_credit", "2023", [["企业名称", "统一社会信用代码", "纳税信用等级"], [firm.name, firm.uscc, "B"]])
    _import(db, "tax_credit", "2024", [["企业名称", "统一社会信用代码", "纳税信用等级"], [firm.name, firm.uscc, "A"]])
    _import(db, "gazelle", "2024", [["企业名称", "统一社会信用代码"], [firm.name, firm.uscc]])
    p = portrait.build(db, firm)
    assert [(g.year, g.label, g.status) for g in p.grades] == [("2024", "A", "核验"), ("2023", "B", "核验"),
                                                                ("", "B", "自报")]
    assert p.grade.label == "A" and p.grade.verified  # the imported grade wins
    assert [(c.label, c.year, c.status, c.source) for c in p.credentials] == [("瞪羚企业", "2024", "核验", "gazelle2024.xlsx")]
    parts = {part["key"]: part for part in p.parts}
    assert set(parts) == set(score.PARTS) and all(part["reason"] for part in p.parts)
    assert parts["tax_grade"]["value"] == 1.0 and parts["qualifications"]["value"] == 1.0
    assert p.score == pytest.approx(sum(part["points"] for part in p.parts), abs=0.2)
    assert p.score > declared.score
    assert 0 <= p.score <= 100


def test_portrait_gathers_requests_outcomes_and_ratings(db, users, firm, bank):
    req, lead = factories.routed_request(db, firm, bank)
    leads.claim(db, users["bank_manager"], lead.id)
    leads.decline(db, users["bank_manager"], lead.id, "collateral", "")
    db.commit()
    p = portrait.build(db, firm)
    assert [r.id for r in p.requests] == [req.id] and p.counts["declined"] == 1
    track = next(part for part in p.parts if part["key"] == "track_record")
    assert "被拒 1 笔" in track["reason"] and track["value"] == 0.2


def test_district_sets_the_weights_and_the_score_follows(db, users, firm):
    before = portrait.build(db, firm).score
    with pytest.raises(Forbidden):
        score.save_weights(db, users["township"], {k: 10 for k in score.PARTS})
    with pytest.raises(DomainError) as bad:
        score.save_weights(db, users["district"], {**{k: 10 for k in score.PARTS}, "maturity": 101})
    assert bad.value.field == "maturity"
    score.save_weights(db, users["district"], {"tax_grade": 0, "qualifications": 0, "track_record": 0,
                                               "maturity": 100, "engagement": 0})
    db.commit()
    after = portrait.build(db, firm)
    assert after.score == 100.0 and after.score != before  # founded 2015: more than 10 years


def test_weights_page(as_role, db):
    client = as_role("district")
    assert client.get("/portrait/weights").status_code == 200
    data = {k: "20" for k in score.PARTS}
    assert client.post("/portrait/weights", data=data).status_code == 302
    assert score.current_weights(db) == {k: 20.0 for k in score.PARTS}
    assert client.post("/portrait/weights", data={**data, "engagement": "-1"}).status_code == 422
    assert as_role("township").get("/portrait/weights").status_code == 403


@pytest.fixture
def two_requests(db, users, firm, bank):
    """Request A: routed to the bank, unclaimed, with consent. Request B: claimed by the bank, no consent yet."""
    req_a, lead_a = factories.routed_request(db, firm, bank)
    access.grant(db, users["enterprise"], req_a)
    req_b, lead_b = factories.routed_request(db, firm, bank)
    leads.claim(db, users["bank_manager"], lead_b.id)
    db.commit()
    return req_a, req_b, lead_b


def _status(as_role, role, firm_id):
    return as_role(role).get(f"/portrait/firms/{firm_id}").status_code


def test_who_may_see_the_portrait_matrix(db, as_role, users, firm, two_requests):
    req_a, req_b, lead_b = two_requests
    expected = {"enterprise": 200, "other_enterprise": 403, "township": 200, "other_township": 403, "district": 200,
                "bank_manager": 403, "bank_admin": 403, "other_bank_manager": 403}
    # bank holds an unclaimed lead with consent (A) and a claimed lead without consent (B): neither is enough
    assert {role: _status(as_role, role, firm.id) for role in expected} == expected
    access.grant(db, users["enterprise"], req_b)
    db.commit()
    expected.update(bank_manager=200, bank_admin=200)  # the bank holds a claimed lead with consent
    assert {role: _status(as_role, role, firm.id) for role in expected} == expected
    views = db.scalars(select(PortraitView).order_by(PortraitView.id)).all()
    assert [(v.bank_id, v.role, v.request_id) for v in views] == [
        (lead_b.bank_id, "bank_manager", req_b.id), (lead_b.bank_id, "bank_admin", req_b.id)]  # only bank views
    leads.decline(db, users["bank_manager"], lead_b.id, "documents", "")
    db.commit()
    assert _status(as_role, "bank_manager", firm.id) == 403  # a declined lead is no longer held
    assert _status(as_role, "bank_manager", 10**6) == 404


def test_the_firm_sees_who_looked(db, as_role, users, firm, bank, two_requests):
    req_a, req_b, lead_b = two_requests
    page = as_role("enterprise").get(f"/portrait/firms/{firm.id}").get_data(as_text=True)
    assert "还没有银行查看过" in page
    access.grant(db, users["enterprise"], req_b)
    db.commit()
    bank_page = as_role("bank_manager").get(f"/portrait/firms/{firm.id}").get_data(as_text=True)
    assert "谁看过我的画像" not in bank_page and firm.name in bank_page
    seen = access.views_of(db, firm.id)
    assert [(v["bank"], v["role"]) for v in seen] == [(bank.name, "客户经理")]
    page = as_role("enterprise").get(f"/portrait/firms/{firm.id}").get_data(as_text=True)
    assert "谁看过我的画像" in page and bank.name in page and "客户经理" in page
    assert "manager1" not in page  # the role is shown, not the person


def test_consent_is_given_once_by_the_firm_side_only(db, users, firm, bank):
    req, _ = factories.routed_request(db, firm, bank)
    for role in ("bank_manager", "district", "other_enterprise", "other_township"):
        with pytest.raises(Forbidden):
            access.grant(db, users[role], req)
    first = access.grant(db, users["enterprise"], req)
    again = access.grant(db, users["township"], req)
    assert first.id == again.id and first.text == access.CONSENT_TEXT and first.granted_at is not None
    assert db.scalar(select(func.count()).select_from(PortraitConsent)) == 1


def test_filing_a_request_with_the_consent_box_records_consent(db, as_role, firm):
    client = as_role("enterprise")
    page = client.get("/requests/new").get_data(as_text=True)
    assert "授权查询企业画像" in page and access.CONSENT_TEXT in page
    data = {"amount_wan": "100", "term_months": "12", "purpose": "购买原材料", "collateral": "property",
            "portrait_consent": "y"}
    assert client.post("/requests/new", data=data).status_code == 302
    req = db.scalar(select(FinancingRequest).where(FinancingRequest.firm_id == firm.id))
    assert access.consent_for(db, req.id) is not None
    del data["portrait_consent"]
    client.post("/requests/new", data=data)
    newest = db.scalar(select(FinancingRequest).where(FinancingRequest.firm_id == firm.id)
                       .order_by(FinancingRequest.id.desc()))
    assert newest.id != req.id and access.consent_for(db, newest.id) is None


def _file(db, users, firm, **values):
    base = {"amount_yuan": 20_000_000, "term_months": 12, "purpose": "扩大生产线", "collateral": "none"}
    base.update(values)
    return financing.file_request(db, users["enterprise"], firm, submit=False, **base)


def test_fixable_decline_suggests_one_change_that_really_makes_the_firm_eligible(db, users, firm, bank):
    req = _file(db, users, firm)
    product = db.scalar(select(Product).where(Product.bank_id == bank.id))
    lead = factories.routed_request(db, firm, bank)[1]
    lead.request = req
    req.state = "routed"
    db.flush()
    leads.claim(db, users["bank_manager"], lead.id)
    leads.decline(db, users["bank_manager"], lead.id, "collateral", "")
    db.commit()
    step = next_step.next_step(db, lead)
    assert step.fixable and step.changes, "a 2000万 credit request should miss some product by one change"
    assert all(c.bank_id != bank.id for c in step.changes + [])  # other banks only
    assert all(check.eligible and check.product.bank_id != bank.id for check in step.eligible)
    for change in step.changes:
        amount = change.values.get("amount", req.amount)
        fixed = _file(db, users, firm, amount_yuan=amount, term_months=change.values.get("term_months", 12),
                      collateral=change.values.get("collateral", "none"))
        facts = FirmFacts.from_firm(firm, routing.firm_whitelist_kinds(db, [firm.id]).get(firm.id, frozenset()))
        rules = ProductRules.from_product(db.get(Product, change.product_id))
        assert is_eligible(rules, facts, RequestFacts.from_request(fixed)), change.text
        assert not is_eligible(rules, facts, RequestFacts.from_request(req))  # it was the change that did it
        ctx = routing.load_context(db, firm_ids=[firm.id])
        matched = {m.bank_id for m in routing.rank(ctx, facts, RequestFacts.from_request(fixed), limit=100)}
        assert change.bank_id in matched  # routing, re-run on the changed request, reaches the suggested bank
    assert product is not None
    page_text = " ".join(c.text for c in step.changes)
    assert "金额降至" in page_text or "提供" in page_text


def test_unfixable_decline_suggests_the_referral(db, users, firm, bank, as_role):
    req, lead = factories.routed_request(db, firm, bank)
    req.renewal = True
    leads.claim(db, users["bank_manager"], lead.id)
    leads.decline(db, users["bank_manager"], lead.id, "credit_policy", "")
    db.commit()
    step = next_step.next_step(db, lead)
    assert not step.fixable and [label for label, _ in step.referrals] == [
        "区政府性融资担保公司", "应急转贷资金", "镇街金融辅导队"]
    for role in ("enterprise", "township", "district"):
        page = as_role(role).get(f"/portrait/leads/{lead.id}/next")
        assert page.status_code == 200 and "应急转贷资金" in page.get_data(as_text=True)
    for role in ("township", "enterprise"):  # the same suggestions on the portrait of the firm
        page = as_role(role).get(f"/portrait/firms/{firm.id}").get_data(as_text=True)
        assert "被拒后的下一步" in page and "应急转贷资金" in page
    for role in ("other_enterprise", "other_township"):
        assert as_role(role).get(f"/portrait/leads/{lead.id}/next").status_code == 403
    assert as_role("bank_manager").get(f"/portrait/leads/{lead.id}/next").status_code == 403

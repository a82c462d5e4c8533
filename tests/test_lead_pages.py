"""Lead pages people can read: requests and leads numbered apart (R-…, L-…), the open tab without a claim deadline,
intention leads marked as such instead of a score of 0, "方案已被接受" once the firm accepts, and an offer above
the requested amount only after the bank confirms it."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from matchmaker.domain.requests import financing, leads
from matchmaker.models import Offer

from . import factories


def _in_review(db, users, firm, bank, amount=1_000_000):
    req, lead = factories.routed_request(db, firm, bank)
    req.amount = amount
    manager = users["bank_manager"]
    leads.claim(db, manager, lead.id)
    leads.record_contact(db, manager, lead.id)
    leads.start_review(db, manager, lead.id)
    db.commit()
    return req, lead


def test_requests_and_leads_are_numbered_apart(as_role, db, users, firm, bank):
    req, lead = _in_review(db, users, firm, bank)
    page = as_role("bank_manager").get(f"/bank/leads/{lead.id}").get_data(as_text=True)
    assert f"线索 L-{lead.id}" in page and f"融资需求 R-{req.id}" in page
    assert f"R-{req.id}" in as_role("enterprise").get("/requests/").get_data(as_text=True)


def test_offer_above_the_request_needs_confirmation(as_role, db, users, firm, bank):
    req, lead = _in_review(db, users, firm, bank, amount=1_000_000)  # 100 万元
    client = as_role("bank_manager")
    data = {"amount_wan": "1000", "rate_pct": "3.8", "term_months": "12"}  # 1000 万元: a typo for 100?
    first = client.post(f"/bank/leads/{lead.id}/approve", data=data)
    body = first.get_data(as_text=True)
    assert first.status_code == 422 and "高于企业申请金额（100 万元）" in body and 'name="confirm_over"' in body
    assert db.scalar(select(Offer).where(Offer.lead_id == lead.id)) is None
    confirmed = client.post(f"/bank/leads/{lead.id}/approve", data={**data, "confirm_over": "y"})
    assert confirmed.status_code == 302
    assert db.scalar(select(Offer.amount).where(Offer.lead_id == lead.id)) == 10_000_000


def test_accepted_offer_shows_on_the_lead_and_the_open_tab_has_no_claim_deadline(as_role, db, users, firm, bank):
    req, lead = _in_review(db, users, firm, bank)
    offer = leads.approve(db, users["bank_manager"], lead.id, amount_yuan=1_000_000, rate_pct=Decimal("3.8"),
                          term_months=12)
    financing.accept_offer(db, users["enterprise"], offer.id)
    db.commit()
    client = as_role("bank_manager")
    assert "方案已被接受" in client.get(f"/bank/leads/{lead.id}").get_data(as_text=True)
    open_tab = client.get("/bank/?tab=open&mine=0").get_data(as_text=True)
    assert "方案已被接受" in open_tab and "认领期限" not in open_tab
    factories.routed_request(db, firm, bank)
    db.commit()
    assert "认领期限" in client.get("/bank/?tab=new").get_data(as_text=True)


def test_intention_leads_say_so_instead_of_a_zero_score(as_role, db, users, firm, bank):
    req, lead = factories.routed_request(db, firm, bank)
    lead.state, lead.manager_id, lead.score = "claimed", users["bank_manager"].id, Decimal("0")
    lead.score_parts = {"event": {"value": 1.0, "weight": 0, "points": 0, "reason": "银企对接会现场意向"}}
    db.commit()
    client = as_role("bank_manager")
    row = client.get("/bank/?tab=open&mine=0").get_data(as_text=True).split(f"L-{lead.id}")[1].split("</tr>")[0]
    assert "活动意向" in row and "0.000" not in row
    assert "来源：" in client.get(f"/bank/leads/{lead.id}").get_data(as_text=True)


def test_the_over_request_rule_is_the_domains_on_every_path(app, db, users, firm, bank):
    """Not only the page: leads.approve itself refuses an offer above the request unless confirmed, so the API
    asks for confirm_over too."""
    import pytest

    from matchmaker.domain.core.errors import DomainError

    from .api_support import Api, SpecChecker, make_token

    req, lead = _in_review(db, users, firm, bank, amount=1_000_000)
    with pytest.raises(DomainError) as exc:
        leads.approve(db, users["bank_manager"], lead.id, amount_yuan=1_000_001, rate_pct=Decimal("3.8"), term_months=12)
    assert exc.value.field == "amount_wan" and "100 万元" in exc.value.message
    db.rollback()
    api = Api(app, make_token(db, users["bank_admin"], name="信贷系统"), SpecChecker(app.test_client()))
    body = {"amount_yuan": 3_000_000, "rate_pct": "3.85", "term_months": 12}
    refused = api.post(f"/api/v1/leads/{lead.id}/approve", json=body)
    assert refused.status_code == 422 and "高于企业申请金额" in refused.get_data(as_text=True)
    assert db.scalar(select(Offer).where(Offer.lead_id == lead.id)) is None
    done = api.post(f"/api/v1/leads/{lead.id}/approve", json={**body, "confirm_over": True})
    assert done.status_code == 200 and done.get_json()["offer"]["amount_yuan"] == 3_000_000


def test_the_confirm_box_appears_only_after_the_bank_is_told(as_role, db, users, firm, bank):
    req, lead = _in_review(db, users, firm, bank, amount=1_000_000)
    client = as_role("bank_manager")
    assert 'name="confirm_over"' not in client.get(f"/bank/leads/{lead.id}").get_data(as_text=True)
    # at or below the request: no second step
    ok = client.post(f"/bank/leads/{lead.id}/approve", data={"amount_wan": "100", "rate_pct": "3.8", "term_months": "12"})
    assert ok.status_code == 302 and db.scalar(select(Offer.amount).where(Offer.lead_id == lead.id)) == 1_000_000


def test_the_request_page_numbers_its_leads_and_marks_intentions(as_role, db, users, firm, bank):
    req, lead = factories.routed_request(db, firm, bank)
    lead.score = Decimal("0")
    lead.score_parts = {"event": {"value": 1.0, "weight": 0, "points": 0, "reason": "银企对接会现场意向"}}
    db.commit()
    page = as_role("enterprise").get(f"/requests/{req.id}").get_data(as_text=True)
    card = page.split(f"线索 L-{lead.id}")[1].split("</details>")[0]
    assert "活动意向" in card and "推荐得分" not in card and "0.000" not in card
    lead.score_parts = {"product_fit": {"value": 0.5, "weight": 30, "points": 15, "reason": "产品匹配"}}
    lead.score = Decimal("98.754")
    db.commit()
    page = as_role("enterprise").get(f"/requests/{req.id}").get_data(as_text=True)
    assert "推荐得分 98.75" in page and "98.754" not in page

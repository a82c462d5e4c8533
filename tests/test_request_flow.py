"""The slice end to end through the web: file, route, claim, contact, review, approve, accept, disburse,
confirm — each step visible to the firm and written to the history."""
from sqlalchemy import select

from matchmaker.domain.core.workdays import local_date
from matchmaker.models import FinancingRequest, History, Lead

from .conftest import login


def test_full_lifecycle_through_the_pages(app, as_role, db, users):
    firm_client = as_role("enterprise")
    response = firm_client.post("/requests/new", data={"amount_wan": "300", "term_months": "12",
                                                       "purpose": "购买原材料", "collateral": "property"})
    assert response.status_code == 302
    req = db.scalar(select(FinancingRequest))
    assert req.state == "routed" and req.leads
    lead = req.leads[0]

    # the routed bank's manager works the lead
    from matchmaker.domain.accounts import users as accounts

    accounts.create_user(db, "routedmgr", "test-pass-123", "bank_manager", bank_id=lead.bank_id)
    db.commit()
    bank_client = login(app.test_client(), "routedmgr")
    inbox = bank_client.get("/bank/").get_data(as_text=True)
    assert req.firm.name in inbox
    for action, data in [("claim", {}), ("contact", {"note": "电话联系"}), ("review", {}),
                         ("approve", {"amount_wan": "250.5", "rate_pct": "3.85", "term_months": "12",
                                      "conditions": "提供房产抵押"})]:
        assert bank_client.post(f"/bank/leads/{lead.id}/{action}", data=data).status_code == 302, action

    page = firm_client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "已获授信" in page and "250.5 万元" in page and "提供房产抵押" in page
    offer_id = db.scalar(select(Lead).where(Lead.id == lead.id)).offer.id
    assert firm_client.post(f"/requests/{req.id}/offers/{offer_id}/accept").status_code == 302

    db.expire_all()
    others = [x for x in db.get(FinancingRequest, req.id).leads if x.id != lead.id]
    assert all(x.state == "released" for x in others)

    assert bank_client.post(f"/bank/leads/{lead.id}/disburse",
                            data={"amount_wan": "250.5", "disbursed_on": local_date().isoformat()}).status_code == 302
    assert firm_client.post(f"/requests/{req.id}/confirm").status_code == 302
    db.expire_all()
    req = db.get(FinancingRequest, req.id)
    assert req.state == "funded"
    assert db.get(Lead, lead.id).disbursed_amount == 2_505_000

    rows = db.scalars(select(History).where(History.request_id == req.id).order_by(History.id)).all()
    request_path = [(h.from_state, h.to_state) for h in rows if h.entity == "request"]
    assert request_path == [(None, "draft"), ("draft", "submitted"), ("submitted", "routed"),
                            ("routed", "offered"), ("offered", "accepted"), ("accepted", "funded")]
    lead_path = [h.to_state for h in rows if h.entity == "lead" and h.entity_id == lead.id]
    assert lead_path == ["routed", "claimed", "contacted", "in_review", "approved", "disbursed"]
    claim_row = next(h for h in rows if h.to_state == "claimed")
    assert claim_row.actor.username == "routedmgr" and claim_row.actor_role == "bank_manager"
    history_page = firm_client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "办理记录" in history_page and "电话联系" in history_page


def test_decline_reason_is_shown_to_the_firm(app, as_role, db, firm, bank, users):
    from . import factories

    req, lead = factories.routed_request(db, firm, bank)
    db.commit()
    manager = as_role("bank_manager")
    manager.post(f"/bank/leads/{lead.id}/claim")
    manager.post(f"/bank/leads/{lead.id}/decline", data={"code": "collateral", "note": "抵押物估值不足"})
    db.expire_all()
    assert db.get(Lead, lead.id).state == "declined"
    # its only lead ended without an offer: unmatched, and then referred to the policy's alternatives
    assert db.get(FinancingRequest, req.id).state in ("unmatched", "referred")
    page = as_role("enterprise").get(f"/requests/{req.id}").get_data(as_text=True)
    assert "抵押担保不足" in page and "抵押物估值不足" in page and "政银保贷" in page


def test_township_files_on_behalf_of_its_firm_only(as_role, db, firm, users, other_township):
    from . import factories

    outsider = factories.FirmFactory(township_id=other_township.id)
    db.commit()
    client = as_role("township")
    base = {"amount_wan": "100", "term_months": "12", "purpose": "设备更新", "collateral": "equipment"}
    assert client.post("/requests/new", data={**base, "firm_id": str(firm.id)}).status_code == 302
    response = client.post("/requests/new", data={**base, "firm_id": str(outsider.id)})
    assert response.status_code == 403 or "不是有效的选择" in response.get_data(as_text=True)
    reqs = db.scalars(select(FinancingRequest)).all()
    assert [r.firm_id for r in reqs] == [firm.id]
    first = db.scalar(select(History).where(History.request_id == reqs[0].id).order_by(History.id))
    assert first.actor_role == "township" and "镇街代企业填报" in first.note


def test_draft_then_submit(as_role, db):
    client = as_role("enterprise")
    client.post("/requests/new", data={"amount_wan": "50", "term_months": "6", "purpose": "流动资金",
                                       "collateral": "none", "save_draft": "y"})
    req = db.scalar(select(FinancingRequest))
    assert req.state == "draft" and req.leads == []
    client.post(f"/requests/{req.id}/submit")
    db.expire_all()
    assert db.get(FinancingRequest, req.id).state in ("routed", "unmatched")

"""Offers to outcome, and ratings: the other leads are released when the firm accepts an offer; the bank
records disbursement, the firm confirms, the request is funded; then only the firm that dealt with a bank rates
it, once per lead, and the bank's record (its admin and the district only) shows averages and comments."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from matchmaker.domain.core.errors import Conflict, DomainError, Forbidden
from matchmaker.domain.core.workdays import local_date
from matchmaker.domain.outcomes import ratings
from matchmaker.domain.requests import financing, leads
from matchmaker.models import FinancingRequest, Lead, Rating

from . import factories


def work_to_offer(db, manager, lead_id, amount=1_000_000):
    for step in (leads.claim, leads.record_contact, leads.start_review):
        step(db, manager, lead_id)
    return leads.approve(db, manager, lead_id, amount_yuan=amount, rate_pct=Decimal("3.85"), term_months=12)


@pytest.fixture
def funded(db, users, firm, bank, other_bank):
    """Bank 17 funds the request; bank 2 claimed it too and was released when the firm accepted."""
    req, lead_a = factories.routed_request(db, firm, bank)
    lead_b = factories.add_lead(db, req, other_bank)
    offer = work_to_offer(db, users["bank_manager"], lead_a.id)
    leads.claim(db, users["other_bank_manager"], lead_b.id)
    financing.accept_offer(db, users["enterprise"], offer.id)
    leads.disburse(db, users["bank_manager"], lead_a.id, 1_000_000, local_date())
    financing.confirm_funded(db, users["enterprise"], req.id)
    db.commit()
    return req, lead_a, lead_b


def test_accept_release_disburse_confirm_reaches_funded(db, funded):
    req, lead_a, lead_b = funded
    db.expire_all()
    assert db.get(FinancingRequest, req.id).state == "funded"
    assert db.get(Lead, lead_a.id).state == "disbursed" and db.get(Lead, lead_b.id).state == "released"
    assert db.get(Lead, lead_a.id).offer.state == "accepted"


def test_the_firm_rates_each_bank_it_dealt_with_once(db, users, funded):
    req, lead_a, lead_b = funded
    firm_user = users["enterprise"]
    assert {lead.id for lead in ratings.rateable_leads(db, firm_user, req)} == {lead_a.id, lead_b.id}
    rating = ratings.rate(db, firm_user, lead_a.id, bank_score=5, manager_score="4", comment=" 放款很快 ")
    db.commit()
    assert (rating.bank_id, rating.manager_id, rating.comment, rating.outcome) == (
        lead_a.bank_id, users["bank_manager"].id, "放款很快", "disbursed")
    with pytest.raises(Conflict):
        ratings.rate(db, firm_user, lead_a.id, bank_score=1, manager_score=1)
    assert [lead.id for lead in ratings.rateable_leads(db, firm_user, req)] == [lead_b.id]
    for bad in (0, 6, "x", None):
        with pytest.raises(DomainError):
            ratings.rate(db, firm_user, lead_b.id, bank_score=bad, manager_score=3)
    with pytest.raises(DomainError, match="客户经理"):
        ratings.rate(db, firm_user, lead_b.id, bank_score=3, manager_score=None)


def test_only_the_firm_that_dealt_with_the_bank_may_rate(db, users, funded):
    req, lead_a, _ = funded
    for role in ("other_enterprise", "township", "district", "bank_manager", "bank_admin"):
        with pytest.raises(Forbidden):
            ratings.rate(db, users[role], lead_a.id, bank_score=5, manager_score=5)
    assert db.scalar(select(Rating.id)) is None


def test_no_rating_before_the_outcome_or_for_a_bank_that_never_worked_the_lead(db, users, firm, bank, other_bank):
    req, lead_a = factories.routed_request(db, firm, bank)
    lead_b = factories.add_lead(db, req, other_bank)
    offer = work_to_offer(db, users["bank_manager"], lead_a.id)
    financing.accept_offer(db, users["enterprise"], offer.id)  # lead_b released without ever being claimed
    leads.disburse(db, users["bank_manager"], lead_a.id, 1_000_000, local_date())
    db.commit()
    with pytest.raises(DomainError, match="对接结束"):  # disbursed but the firm has not confirmed yet
        ratings.rate(db, users["enterprise"], lead_a.id, bank_score=5, manager_score=5)
    with pytest.raises(DomainError, match="对接结束"):  # released but never claimed: no dealings
        ratings.rate(db, users["enterprise"], lead_b.id, bank_score=1, manager_score=1)


def test_a_declined_lead_can_be_rated(db, users, firm, bank):
    req, lead = factories.routed_request(db, firm, bank)
    leads.claim(db, users["bank_manager"], lead.id)
    leads.decline(db, users["bank_manager"], lead.id, "collateral")
    rating = ratings.rate(db, users["enterprise"], lead.id, bank_score=2, manager_score=3, comment="")
    assert rating.outcome == "declined"


def test_rating_page_form_and_request_page(as_role, db, users, funded):
    req, lead_a, lead_b = funded
    client = as_role("enterprise")
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert page.count("评价该银行的服务") == 2
    missing = client.post(f"/ratings/leads/{lead_a.id}", data={"comment": "还行"})
    assert missing.status_code == 422
    body = missing.get_data(as_text=True)
    assert "请为银行服务打分" in body and "还行" in body
    ok = client.post(f"/ratings/leads/{lead_a.id}", data={"bank_score": "4", "manager_score": "5", "comment": "专业"})
    assert ok.status_code == 302
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert page.count("评价该银行的服务") == 1 and "★★★★☆" in page and "专业" in page
    twice = client.post(f"/ratings/leads/{lead_a.id}", data={"bank_score": "1", "manager_score": "1"})
    assert twice.status_code == 302
    assert db.scalar(select(Rating.bank_score).where(Rating.lead_id == lead_a.id)) == 4
    assert as_role("other_enterprise").get(f"/ratings/leads/{lead_b.id}").status_code == 403
    assert as_role("other_enterprise").post(f"/ratings/leads/{lead_b.id}", data={"bank_score": "1"}).status_code == 403
    for role in ("township", "bank_manager", "district"):
        assert as_role(role).get(f"/ratings/leads/{lead_b.id}").status_code == 403, role
    assert client.get("/ratings/leads/999999").status_code == 404


def test_bank_record_shows_averages_and_comments_to_its_admin_and_the_district(as_role, db, users, funded, bank,
                                                                              other_bank):
    req, lead_a, lead_b = funded
    ratings.rate(db, users["enterprise"], lead_a.id, bank_score=4, manager_score=5, comment="服务周到")
    ratings.rate(db, users["enterprise"], lead_b.id, bank_score=2, manager_score=2, comment="联系太慢")
    db.commit()
    summary = ratings.bank_summary(db, bank.id)
    assert (summary["count"], summary["avg_bank"], summary["avg_manager"]) == (1, 4.0, 5.0)
    assert summary["distribution"][4] == 1
    admin = as_role("bank_admin")
    assert admin.get("/ratings/").headers["Location"].endswith(f"/ratings/banks/{bank.id}")
    own = admin.get(f"/ratings/banks/{bank.id}").get_data(as_text=True)
    assert "服务周到" in own and "联系太慢" not in own and 'id="avg-bank">4.00<' in own
    assert admin.get(f"/ratings/banks/{other_bank.id}").status_code == 403
    district = as_role("district")
    other = district.get(f"/ratings/banks/{other_bank.id}").get_data(as_text=True)
    assert "联系太慢" in other and 'id="rating-count">1<' in other
    overview = district.get("/ratings/banks?sort=-score").get_data(as_text=True)
    assert overview.index(bank.name) < overview.index(other_bank.name)
    for role in ("bank_manager", "township", "enterprise"):
        assert as_role(role).get(f"/ratings/banks/{bank.id}").status_code == 403, role
        assert as_role(role).get("/ratings/banks").status_code == 403, role
    assert district.get("/ratings/banks/999999").status_code == 404

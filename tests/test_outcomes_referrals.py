"""Referral: an unmatched request (nothing eligible, or every lead ended without an offer) is referred to the
guarantee company and the township's counselling team, and to the bridge fund only when it renews a maturing
loan; township officials (their township) and the district track each referral to its outcome."""
import pytest
from sqlalchemy import select

from matchmaker.domain.core.errors import DomainError, Forbidden
from matchmaker.domain.outcomes import referrals
from matchmaker.domain.requests import financing, leads
from matchmaker.models import Bank, FinancingRequest, History, Referral

from . import factories


def _no_bank_serves(db):
    for b in db.scalars(select(Bank)):
        b.active = False
    db.flush()


@pytest.mark.parametrize("renewal, targets", [
    (False, {"guarantee", "counselling"}),
    (True, {"guarantee", "bridge_fund", "counselling"}),
])
def test_request_with_no_eligible_product_is_referred(db, users, firm, township, renewal, targets):
    _no_bank_serves(db)
    req = financing.file_request(db, users["enterprise"], firm, amount_yuan=1_000_000, term_months=12,
                                 purpose="到期贷款续贷" if renewal else "购买原材料", collateral="none", renewal=renewal)
    db.commit()
    assert req.state == "referred"
    refs = referrals.for_request(db, req.id)
    assert {r.target for r in refs} == targets
    assert all(r.state == "open" and r.township_id == township.id for r in refs)
    path = [(h.entity, h.from_state, h.to_state) for h in
            db.scalars(select(History).where(History.request_id == req.id).order_by(History.id))]
    assert ("request", "submitted", "unmatched") in path and ("request", "unmatched", "referred") in path
    assert sum(1 for e, f, t in path if e == "referral" and f is None and t == "open") == len(targets)
    assert referrals.refer(db, req) == []  # already referred: nothing more


def test_request_whose_leads_all_ended_without_offer_is_referred(db, users, firm, bank, other_bank):
    req, lead_a = factories.routed_request(db, firm, bank)
    lead_b = factories.add_lead(db, req, other_bank)
    leads.claim(db, users["bank_manager"], lead_a.id)
    leads.decline(db, users["bank_manager"], lead_a.id, "credit_policy")
    assert req.state == "routed"  # the other bank still has it
    leads.claim(db, users["other_bank_manager"], lead_b.id)
    leads.decline(db, users["other_bank_manager"], lead_b.id, "over_capacity")
    db.commit()
    assert db.get(FinancingRequest, req.id).state == "referred"
    assert {r.target for r in referrals.for_request(db, req.id)} == {"guarantee", "counselling"}


def test_renewal_flag_comes_from_the_request_form(as_role, db, users):
    _no_bank_serves(db)
    db.commit()
    response = as_role("enterprise").post("/requests/new", data={
        "amount_wan": "500", "term_months": "12", "purpose": "到期贷款续贷", "collateral": "property", "renewal": "y"})
    assert response.status_code == 302
    req = db.scalar(select(FinancingRequest).order_by(FinancingRequest.id.desc()))
    assert req.renewal is True and req.state == "referred"
    assert "bridge_fund" in {r.target for r in referrals.for_request(db, req.id)}
    page = as_role("enterprise").get(f"/requests/{req.id}").get_data(as_text=True)
    assert "转介去向" in page and "应急转贷资金" in page and "到期续贷" in page


@pytest.fixture
def referral(db, users, firm):
    _no_bank_serves(db)
    req = financing.file_request(db, users["enterprise"], firm, amount_yuan=1_000_000, term_months=12,
                                 purpose="购买原材料", collateral="none")
    db.commit()
    return next(r for r in referrals.for_request(db, req.id) if r.target == "guarantee")


def test_township_and_district_track_a_referral_to_its_outcome(db, users, referral):
    township = users["township"]
    referrals.update(db, township, referral.id, "contacted", "已电话联系")
    with pytest.raises(DomainError, match="说明原因"):
        referrals.update(db, township, referral.id, "resolved_not_funded", "")
    with pytest.raises(DomainError):
        referrals.update(db, township, referral.id, "open")
    referrals.update(db, users["district"], referral.id, "resolved_funded", "担保函已出具", 800_000)
    db.commit()
    assert (referral.state, referral.funded_amount, referral.handler_id) == ("resolved_funded", 800_000,
                                                                             users["district"].id)
    assert referral.resolved_at is not None
    with pytest.raises(DomainError):  # resolved is final
        referrals.update(db, township, referral.id, "contacted")
    path = [(h.from_state, h.to_state, h.actor_role) for h in db.scalars(
        select(History).where(History.entity == "referral", History.entity_id == referral.id).order_by(History.id))]
    assert path == [(None, "open", "system"), ("open", "contacted", "township"),
                    ("contacted", "resolved_funded", "district")]


def test_only_the_firms_township_and_the_district_handle_a_referral(db, users, referral):
    for role in ("other_township", "enterprise", "bank_manager", "bank_admin"):
        with pytest.raises(Forbidden):
            referrals.update(db, users[role], referral.id, "contacted")
    visible = {role: db.scalars(referrals.visible_referrals(users[role])).all()
               for role in ("township", "other_township", "district", "enterprise", "other_enterprise", "bank_admin")}
    assert referral in visible["township"] and referral in visible["district"] and referral in visible["enterprise"]
    assert not visible["other_township"] and not visible["other_enterprise"] and not visible["bank_admin"]


def test_referral_pages_per_role(as_role, db, users, referral):
    township = as_role("township")
    listing = township.get("/referrals/").get_data(as_text=True)
    assert referral.request.firm.name in listing and "区政府性融资担保公司" in listing
    assert referral.request.firm.name not in as_role("other_township").get("/referrals/").get_data(as_text=True)
    assert as_role("other_township").get(f"/referrals/{referral.id}").status_code == 403
    for role in ("enterprise", "bank_manager", "bank_admin"):
        assert as_role(role).get("/referrals/").status_code == 403, role
        assert as_role(role).get(f"/referrals/{referral.id}").status_code == 403, role
    assert as_role("district").get(f"/referrals/{referral.id}").status_code == 200
    assert township.get("/referrals/999999").status_code == 404

    bad = township.post(f"/referrals/{referral.id}", data={"state": "resolved_not_funded", "note": ""})
    assert bad.status_code == 422 and "说明原因" in bad.get_data(as_text=True)
    bad = township.post(f"/referrals/{referral.id}", data={"state": "resolved_funded", "amount_wan": "-5"})
    assert bad.status_code == 422
    ok = township.post(f"/referrals/{referral.id}", data={"state": "resolved_funded", "amount_wan": "80",
                                                          "note": "担保后放款"})
    assert ok.status_code == 302
    db.expire_all()
    ref = db.get(Referral, referral.id)
    assert (ref.state, ref.funded_amount) == ("resolved_funded", 800_000)
    done = township.get("/referrals/?state=resolved_funded").get_data(as_text=True)
    assert referral.request.firm.name in done
    assert referral.request.firm.name not in township.get("/referrals/?target=bridge_fund").get_data(as_text=True)
    firm_page = as_role("enterprise").get(f"/requests/{referral.request_id}").get_data(as_text=True)
    assert "已解决·获得融资" in firm_page and "担保后放款" in firm_page


def test_bank_lead_page_does_not_show_referral_history(as_role, db, users, firm, bank):
    req, lead = factories.routed_request(db, firm, bank)
    leads.claim(db, users["bank_manager"], lead.id)
    leads.decline(db, users["bank_manager"], lead.id, "credit_policy")
    db.commit()
    page = as_role("bank_manager").get(f"/bank/leads/{lead.id}").get_data(as_text=True)
    assert "转介#" not in page and "已拒绝" in page

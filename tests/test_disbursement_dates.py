"""A disbursement's date is plausible (not before the approval, not after today, as dates in Beijing) and a
recorded disbursement can be corrected by the lead's manager or the bank's admin, the history keeping the old
and the new values (domain and pages)."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from matchmaker.domain.core.errors import Conflict, DomainError, Forbidden
from matchmaker.domain.core.workdays import local_date
from matchmaker.domain.outcomes import first_loans
from matchmaker.domain.requests import financing, leads
from matchmaker.models import FirstLoanCase, History, Lead, Notification

from . import factories

WAN = 10_000


@pytest.fixture
def accepted(db, users, firm, bank):
    """A lead claimed by manager1, approved for 100万 ten days ago (Beijing), accepted by the firm."""
    req, lead = factories.routed_request(db, firm, bank)
    for step in (leads.claim, leads.record_contact, leads.start_review):
        step(db, users["bank_manager"], lead.id)
    offer = leads.approve(db, users["bank_manager"], lead.id, amount_yuan=100 * WAN, rate_pct=Decimal("4"),
                          term_months=12)
    financing.accept_offer(db, users["enterprise"], offer.id)
    offer.created_at -= timedelta(days=10)
    db.commit()
    return lead


def approved_on(lead):
    return local_date(lead.offer.created_at)


def test_disbursement_before_the_approval_is_refused_with_the_field(db, users, accepted):
    with pytest.raises(DomainError, match="不能早于审批日期") as refused:
        leads.disburse(db, users["bank_manager"], accepted.id, 80 * WAN, approved_on(accepted) - timedelta(days=1))
    assert refused.value.field == "disbursed_on"
    db.rollback()
    leads.disburse(db, users["bank_manager"], accepted.id, 80 * WAN, approved_on(accepted))
    assert accepted.state == "disbursed" and accepted.disbursed_at == approved_on(accepted)


def test_disbursement_in_the_future_is_refused(db, users, accepted):
    with pytest.raises(DomainError, match="不能晚于今天") as refused:
        leads.disburse(db, users["bank_manager"], accepted.id, 80 * WAN, local_date() + timedelta(days=1))
    assert refused.value.field == "disbursed_on"
    db.rollback()
    leads.disburse(db, users["bank_manager"], accepted.id, 80 * WAN, local_date())  # today in Beijing is fine
    assert db.get(Lead, accepted.id).state == "disbursed"


def test_the_approval_date_is_the_beijing_date(db, users, accepted):
    """Approved at 17:00 UTC is the next day in Beijing: the UTC date is too early."""
    offer = accepted.offer
    offer.created_at = offer.created_at.replace(hour=17, minute=0)
    db.commit()
    utc_day = offer.created_at.date()
    assert approved_on(accepted) == utc_day + timedelta(days=1)
    with pytest.raises(DomainError, match="不能早于审批日期"):
        leads.disburse(db, users["bank_manager"], accepted.id, 80 * WAN, utc_day)


def _history(db, lead_id):
    return db.scalars(select(History).where(History.entity == "lead", History.entity_id == lead_id)
                      .order_by(History.id)).all()


def test_correction_keeps_the_old_values_in_the_history(db, users, accepted):
    first_day = approved_on(accepted) + timedelta(days=1)
    leads.disburse(db, users["bank_manager"], accepted.id, 80 * WAN, first_day)
    db.commit()
    before = len(_history(db, accepted.id))
    leads.correct_disbursement(db, users["bank_manager"], accepted.id, 75 * WAN, approved_on(accepted), "录入错误")
    db.commit()
    db.expire_all()
    lead = db.get(Lead, accepted.id)
    assert (lead.state, lead.disbursed_amount, lead.disbursed_at) == ("disbursed", 75 * WAN, approved_on(accepted))
    rows = _history(db, lead.id)
    assert len(rows) == before + 1
    row = rows[-1]
    assert (row.from_state, row.to_state, row.actor_id) == ("disbursed", "disbursed", users["bank_manager"].id)
    assert "80 万元 → 75 万元" in row.note
    assert f"{first_day} → {approved_on(accepted)}" in row.note and "录入错误" in row.note
    assert db.scalar(select(Notification).where(Notification.title.like("%更正了放款登记%"))) is not None


def test_correction_follows_the_same_rules_and_changes_something(db, users, accepted):
    leads.disburse(db, users["bank_manager"], accepted.id, 80 * WAN, local_date())
    db.commit()
    cases = [
        (dict(amount_yuan=80 * WAN, on=approved_on(accepted) - timedelta(days=1), reason="改日期"), "disbursed_on"),
        (dict(amount_yuan=80 * WAN, on=local_date() + timedelta(days=1), reason="改日期"), "disbursed_on"),
        (dict(amount_yuan=101 * WAN, on=local_date(), reason="改金额"), "amount_wan"),
        (dict(amount_yuan=0, on=local_date(), reason="改金额"), "amount_wan"),
        (dict(amount_yuan=70 * WAN, on=local_date(), reason="  "), "reason"),
        (dict(amount_yuan=70 * WAN, on=local_date(), reason="长" * 501), "reason"),
        (dict(amount_yuan=80 * WAN, on=local_date(), reason="没改"), "amount_wan"),
    ]
    for kwargs, field in cases:
        with pytest.raises(DomainError) as refused:
            leads.correct_disbursement(db, users["bank_manager"], accepted.id, **kwargs)
        assert refused.value.field == field, kwargs
        db.rollback()
    db.expire_all()
    assert db.get(Lead, accepted.id).disbursed_amount == 80 * WAN


def test_who_may_correct(db, users, accepted, other_bank):
    leads.disburse(db, users["bank_manager"], accepted.id, 80 * WAN, local_date())
    db.commit()
    with pytest.raises(Forbidden):  # another manager of the same bank
        leads.correct_disbursement(db, users["bank_manager2"], accepted.id, 70 * WAN, local_date(), "更正")
    db.rollback()
    with pytest.raises(Forbidden):  # another bank
        leads.correct_disbursement(db, users["other_bank_manager"], accepted.id, 70 * WAN, local_date(), "更正")
    db.rollback()
    leads.correct_disbursement(db, users["bank_admin"], accepted.id, 70 * WAN, local_date(), "支行复核更正")
    db.commit()
    assert db.get(Lead, accepted.id).disbursed_amount == 70 * WAN


def test_only_a_recorded_disbursement_can_be_corrected(db, users, accepted):
    with pytest.raises(Conflict, match="尚未登记放款"):
        leads.correct_disbursement(db, users["bank_manager"], accepted.id, 70 * WAN, local_date(), "更正")


def test_correcting_a_first_loan_corrects_the_case(db, users, township, bank):
    newcomer = factories.FirmFactory(township_id=township.id, has_bank_loan=False)
    req = factories.RequestFactory(firm=newcomer, state="routed")
    db.flush()
    lead = factories.add_lead(db, req, bank)
    for step in (leads.claim, leads.record_contact, leads.start_review):
        step(db, users["bank_manager"], lead.id)
    offer = leads.approve(db, users["bank_manager"], lead.id, amount_yuan=50 * WAN, rate_pct=Decimal("4"),
                          term_months=12)
    financing.accept_offer(db, users["township"], offer.id)
    leads.disburse(db, users["bank_manager"], lead.id, 50 * WAN, local_date())
    db.commit()
    leads.correct_disbursement(db, users["bank_manager"], lead.id, 40 * WAN, local_date(), "按合同金额更正")
    db.commit()
    case = db.scalar(select(FirstLoanCase).where(FirstLoanCase.firm_id == newcomer.id))
    assert (case.first_loan_amount, case.first_loan_on) == (40 * WAN, local_date())
    assert [(b.id, n, amount) for b, n, amount in first_loans.first_loans_by_bank(db)] == [(bank.id, 1, 40 * WAN)]
    notes = db.scalars(select(History.note).where(History.entity == "first_loan", History.entity_id == case.id)).all()
    assert any("按合同金额更正" in n for n in notes)


def test_pages_refuse_an_early_date_and_correct_a_disbursement(db, users, accepted, as_role):
    client = as_role("bank_manager")
    early = approved_on(accepted) - timedelta(days=3)
    response = client.post(f"/bank/leads/{accepted.id}/disburse",
                           data={"amount_wan": "80", "disbursed_on": early.isoformat()})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "放款日期不能早于审批日期" in page and early.isoformat() in page  # the typed date is kept
    response = client.post(f"/bank/leads/{accepted.id}/disburse",
                           data={"amount_wan": "80", "disbursed_on": local_date().isoformat()})
    assert response.status_code == 302
    page = client.get(f"/bank/leads/{accepted.id}").get_data(as_text=True)
    assert "更正放款登记" in page
    response = client.post(f"/bank/leads/{accepted.id}/disbursement",
                           data={"amount_wan": "60", "disbursed_on": local_date().isoformat(), "reason": ""})
    assert response.status_code == 422 and "请填写更正原因" in response.get_data(as_text=True)
    response = client.post(f"/bank/leads/{accepted.id}/disbursement",
                           data={"amount_wan": "60", "disbursed_on": local_date().isoformat(), "reason": "合同金额"})
    assert response.status_code == 302
    page = client.get(f"/bank/leads/{accepted.id}").get_data(as_text=True)
    assert "已更正放款登记" in page and "更正放款：金额" in page and "→" in page
    db.expire_all()
    assert db.get(Lead, accepted.id).disbursed_amount == 60 * WAN
    # the firm's side cannot reach the correction
    assert as_role("enterprise").post(f"/bank/leads/{accepted.id}/disbursement",
                                      data={"amount_wan": "1", "disbursed_on": local_date().isoformat(),
                                            "reason": "x"}).status_code == 403

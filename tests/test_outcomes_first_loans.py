"""首贷培植: firms without a bank loan get a case; stages identified -> counselled -> applied -> first_loan with an
owner; a disbursement to such a firm is that bank's first loan (counted per bank) and flips has_bank_loan;
the township sees its board, a bank its own cases, the district all."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from matchmaker.domain.core.errors import DomainError, Forbidden
from matchmaker.domain.core.workdays import local_date
from matchmaker.domain.outcomes import first_loans
from matchmaker.domain.requests import financing, leads
from matchmaker.models import FirstLoanCase, History

from . import factories


@pytest.fixture
def newcomer(db, township):
    """A firm of the first township that never had a bank loan."""
    firm = factories.FirmFactory(township_id=township.id, has_bank_loan=False)
    db.flush()
    return firm


def test_identify_opens_one_case_per_firm_without_a_loan(db, users, newcomer, other_township, township):
    elsewhere = factories.FirmFactory(township_id=other_township.id, has_bank_loan=False)
    factories.FirmFactory(township_id=township.id, has_bank_loan=True)
    assert first_loans.identify(db, township.id, users["township"]) == 1
    assert first_loans.identify(db, township.id) == 0  # idempotent
    case = db.scalar(select(FirstLoanCase).where(FirstLoanCase.firm_id == newcomer.id))
    assert (case.stage, case.township_id) == ("identified", township.id)
    assert first_loans.identify(db) == 1 and db.scalar(
        select(FirstLoanCase.id).where(FirstLoanCase.firm_id == elsewhere.id)) is not None


def test_a_first_loan_moves_through_the_stages_and_counts_for_the_bank(db, users, newcomer, bank, other_bank):
    first_loans.identify(db)
    case = db.scalar(select(FirstLoanCase).where(FirstLoanCase.firm_id == newcomer.id))
    first_loans.update_case(db, users["township"], case.id, stage="counselled", owner_id=users["township"].id,
                            bank_id=None, note="已上门辅导")
    req = factories.RequestFactory(firm=newcomer, state="routed")
    db.flush()
    lead = factories.add_lead(db, req, bank)
    other = factories.add_lead(db, req, other_bank)
    first_loans.request_routed(db, req)
    assert case.stage == "applied"
    leads.claim(db, users["bank_manager"], lead.id)
    assert case.bank_id == bank.id  # the claiming bank now cultivates it (and sees the case)
    leads.claim(db, users["other_bank_manager"], other.id)
    assert case.bank_id == bank.id  # the first bank to claim keeps it
    for step in (leads.record_contact, leads.start_review):
        step(db, users["bank_manager"], lead.id)
    offer = leads.approve(db, users["bank_manager"], lead.id, amount_yuan=500_000, rate_pct=Decimal("3.65"),
                          term_months=12)
    financing.accept_offer(db, users["township"], offer.id)  # the township acts for its firm
    leads.disburse(db, users["bank_manager"], lead.id, 400_000, local_date())
    db.commit()
    assert newcomer.has_bank_loan is True
    assert (case.stage, case.bank_id, case.lead_id, case.first_loan_amount) == ("first_loan", bank.id, lead.id,
                                                                               400_000)
    assert [(b.id, n, amount) for b, n, amount in first_loans.first_loans_by_bank(db)] == [(bank.id, 1, 400_000)]
    stages = [h.to_state for h in db.scalars(select(History).where(History.entity == "first_loan",
                                                                    History.entity_id == case.id).order_by(History.id))]
    assert stages[0] == "identified" and stages[-1] == "first_loan" and "counselled" in stages and "applied" in stages
    with pytest.raises(DomainError, match="已获首贷"):
        first_loans.update_case(db, users["township"], case.id, stage="identified", owner_id=None)


def test_a_firm_that_already_borrowed_is_not_a_first_loan(db, users, firm, bank):
    assert firm.has_bank_loan
    req, lead = factories.routed_request(db, firm, bank)
    for step in (leads.claim, leads.record_contact, leads.start_review):
        step(db, users["bank_manager"], lead.id)
    offer = leads.approve(db, users["bank_manager"], lead.id, amount_yuan=100_000, rate_pct=Decimal("4"),
                          term_months=6)
    financing.accept_offer(db, users["enterprise"], offer.id)
    leads.disburse(db, users["bank_manager"], lead.id, 100_000, local_date())
    assert db.scalar(select(FirstLoanCase.id)) is None and first_loans.first_loans_by_bank(db) == []


def test_first_loan_stage_is_only_set_by_a_disbursement_and_owners_are_checked(db, users, newcomer, bank):
    first_loans.identify(db)
    case = db.scalar(select(FirstLoanCase))
    with pytest.raises(DomainError, match="自动记录"):
        first_loans.update_case(db, users["district"], case.id, stage="first_loan", owner_id=None)
    with pytest.raises(DomainError, match="负责人"):  # another township's official cannot own it
        first_loans.update_case(db, users["district"], case.id, stage="counselled", owner_id=users["other_township"].id)
    with pytest.raises(DomainError, match="负责人"):  # a bank manager only once their bank cultivates it
        first_loans.update_case(db, users["district"], case.id, stage="counselled", owner_id=users["bank_manager"].id)
    first_loans.update_case(db, users["district"], case.id, stage="counselled", owner_id=users["bank_manager"].id,
                            bank_id=bank.id)
    assert (case.bank_id, case.owner_id, case.stage) == (bank.id, users["bank_manager"].id, "counselled")


def test_who_sees_which_cases(db, users, newcomer, other_township, bank, other_bank):
    far = factories.FirmFactory(township_id=other_township.id, has_bank_loan=False)
    first_loans.identify(db)
    mine = db.scalar(select(FirstLoanCase).where(FirstLoanCase.firm_id == newcomer.id))
    theirs = db.scalar(select(FirstLoanCase).where(FirstLoanCase.firm_id == far.id))
    mine.bank_id = bank.id
    db.flush()

    def seen(role):
        return set(db.scalars(first_loans.visible_cases(users[role])))

    assert seen("township") == {mine} and seen("other_township") == {theirs}
    assert seen("bank_manager") == {mine} and seen("bank_admin") == {mine} and seen("other_bank_manager") == set()
    assert seen("district") == {mine, theirs} and seen("enterprise") == set()
    with pytest.raises(Forbidden):
        first_loans.get_case_for(db, users["other_bank_manager"], mine.id)
    with pytest.raises(Forbidden):
        first_loans.update_case(db, users["township"], theirs.id, stage="counselled", owner_id=None)


def test_board_and_case_pages_per_role(as_role, db, users, newcomer, other_township, bank):
    far = factories.FirmFactory(township_id=other_township.id, has_bank_loan=False)
    db.commit()
    township = as_role("township")
    assert township.post("/first-loans/identify").status_code == 302
    board = township.get("/first-loans/").get_data(as_text=True)
    assert newcomer.name in board and far.name not in board and 'id="stage-identified">1<' in board
    case = db.scalar(select(FirstLoanCase).where(FirstLoanCase.firm_id == newcomer.id))
    assert db.scalar(select(FirstLoanCase).where(FirstLoanCase.firm_id == far.id)) is None  # own township only

    bad = township.post(f"/first-loans/{case.id}", data={"stage": "first_loan"})
    assert bad.status_code == 422
    ok = township.post(f"/first-loans/{case.id}", data={"stage": "counselled", "bank_id": str(bank.id),
                                                        "owner_id": str(users["bank_manager"].id), "note": "已辅导"})
    assert ok.status_code == 302
    db.expire_all()
    case = db.get(FirstLoanCase, case.id)
    assert (case.stage, case.bank_id, case.owner_id) == ("counselled", bank.id, users["bank_manager"].id)

    manager = as_role("bank_manager")
    assert newcomer.name in manager.get("/first-loans/?mine=1").get_data(as_text=True)
    assert manager.get(f"/first-loans/{case.id}").status_code == 200
    assert manager.post(f"/first-loans/{case.id}", data={"stage": "applied", "owner_id": str(users["bank_manager"].id)}
                        ).status_code == 302
    db.expire_all()
    assert db.get(FirstLoanCase, case.id).stage == "applied" and db.get(FirstLoanCase, case.id).bank_id == bank.id
    assert as_role("other_bank_manager").get(f"/first-loans/{case.id}").status_code == 403
    assert as_role("other_township").get(f"/first-loans/{case.id}").status_code == 403
    assert as_role("other_township").post("/first-loans/identify").status_code == 302
    district = as_role("district")
    assert far.name in district.get("/first-loans/").get_data(as_text=True)
    assert district.get(f"/first-loans/{case.id}").status_code == 200
    for role in ("enterprise",):
        assert as_role(role).get("/first-loans/").status_code == 403
        assert as_role(role).get(f"/first-loans/{case.id}").status_code == 403
    for role in ("bank_manager", "bank_admin", "enterprise"):
        assert as_role(role).post("/first-loans/identify").status_code == 403, role
    assert district.get("/first-loans/999999").status_code == 404

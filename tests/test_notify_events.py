"""Every event notifies exactly its audience: a bank only about its own leads (never another bank's), the firm
side (the firm's users and its township's officials) about claims, decisions and disbursement, the township and
the district about referrals."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from matchmaker.domain.accounts import users as accounts
from matchmaker.domain.core.workdays import local_date
from matchmaker.domain.requests import financing, followups, leads
from matchmaker.models import Bank, FinancingRequest, Lead, Notification, User

from . import factories
from .conftest import PASSWORD


def recipients(db, kind: str, since: int = 0) -> set[str]:
    """Usernames that got a notification of `kind` with id > since."""
    rows = db.execute(select(User.username).join(Notification, Notification.user_id == User.id)
                      .where(Notification.kind == kind, Notification.id > since)).scalars()
    return set(rows)


def last_id(db) -> int:
    return db.scalar(select(func.max(Notification.id))) or 0


FIRM_SIDE = {"firm1", "township1"}  # the firm's user and its township's official (not firm2 / township2)


@pytest.fixture
def third_bank(db):
    bank = db.scalar(select(Bank).where(Bank.seq == 3))
    accounts.create_user(db, "manager3", PASSWORD, "bank_manager", bank_id=bank.id)
    accounts.create_user(db, "bankadmin3", PASSWORD, "bank_admin", bank_id=bank.id)
    db.commit()
    return bank


@pytest.fixture
def three_leads(db, users, firm, bank, other_bank, third_bank):
    """A routed request with one routed lead each at bank (17), other_bank (2) and third_bank (3)."""
    req, lead_a = factories.routed_request(db, firm, bank)
    lead_b = factories.add_lead(db, req, other_bank)
    lead_c = factories.add_lead(db, req, third_bank)
    db.commit()
    return req, lead_a, lead_b, lead_c


def test_new_leads_from_routing_go_to_each_routed_bank_only(db, users, firm):
    req = factories.RequestFactory(firm=firm, amount=3_000_000, term_months=12, collateral="property")
    db.flush()
    for lead_bank in db.scalars(select(Bank)):  # staff at every bank, so "nobody else" means something
        if not db.scalar(select(User.id).where(User.bank_id == lead_bank.id)):
            accounts.create_user(db, f"staff{lead_bank.seq}", PASSWORD, "bank_manager", bank_id=lead_bank.id)
    before = last_id(db)
    routed = financing.submit_request(db, users["enterprise"], req)
    db.commit()
    assert routed, "the seeded catalogue routes a plain 300万 property-backed request"
    routed_banks = {lead.bank_id for lead in routed}
    expected = set(db.scalars(select(User.username).where(User.bank_id.in_(routed_banks))))
    assert recipients(db, "new_lead", before) == expected
    notes = db.scalars(select(Notification).where(Notification.kind == "new_lead", Notification.id > before)).all()
    assert {n.link for n in notes} == {f"/bank/leads/{lead.id}" for lead in routed}
    assert all(firm.name in n.title for n in notes)


def test_claim_decision_offer_and_disbursement_go_to_the_firm_side_only(db, users, three_leads):
    req, lead_a, lead_b, _ = three_leads
    mark = last_id(db)
    leads.claim(db, users["bank_manager"], lead_a.id)
    assert recipients(db, "claim", mark) == FIRM_SIDE

    mark = last_id(db)
    leads.record_contact(db, users["bank_manager"], lead_a.id)
    leads.start_review(db, users["bank_manager"], lead_a.id)
    leads.decline(db, users["bank_manager"], lead_a.id, "documents", "缺少近两年财务报表")
    assert recipients(db, "decision", mark) == FIRM_SIDE
    decision = db.scalar(select(Notification).where(Notification.kind == "decision", Notification.id > mark))
    assert "资料不齐全" in decision.title and "可由企业补正" in decision.body and "缺少近两年财务报表" in decision.body

    mark = last_id(db)
    manager_b = users["other_bank_manager"]
    for step in (leads.claim, leads.record_contact, leads.start_review):
        step(db, manager_b, lead_b.id)
    leads.approve(db, manager_b, lead_b.id, amount_yuan=2_000_000, rate_pct=Decimal("3.85"), term_months=12,
                  confirm_over=True)  # above the 100 万 asked: confirmed
    assert recipients(db, "offer", mark) == FIRM_SIDE
    assert recipients(db, "claim", mark) == FIRM_SIDE

    offer = db.get(Lead, lead_b.id).offer
    financing.accept_offer(db, users["enterprise"], offer.id)
    mark = last_id(db)
    leads.disburse(db, manager_b, lead_b.id, 2_000_000, local_date())
    assert recipients(db, "outcome", mark) == FIRM_SIDE
    db.commit()


def test_accepting_an_offer_tells_the_chosen_bank_and_releases_the_others_to_their_own_banks(db, users, three_leads):
    req, lead_a, lead_b, lead_c = three_leads
    leads.claim(db, users["bank_manager"], lead_a.id)  # bank 17: claimed by manager1 (manager1b is a bystander)
    manager_b = users["other_bank_manager"]
    for step in (leads.claim, leads.record_contact, leads.start_review):
        step(db, manager_b, lead_b.id)
    offer = leads.approve(db, manager_b, lead_b.id, amount_yuan=1_000_000, rate_pct=Decimal("4"), term_months=12)
    mark = last_id(db)
    financing.accept_offer(db, users["enterprise"], offer.id)
    db.commit()
    rows = db.execute(select(User.username, Notification.title, Notification.link)
                      .join(Notification, Notification.user_id == User.id).where(Notification.id > mark)).all()
    by_user = {}
    for username, title, link in rows:
        by_user.setdefault(username, []).append((title, link))
    # the chosen bank's manager hears of the acceptance, about their own lead
    assert [link for _, link in by_user["manager2"]] == [f"/bank/leads/{lead_b.id}"]
    assert "已接受贵行授信方案" in by_user["manager2"][0][0]
    # bank 17's lead was claimed: its manager and admin, not the other manager of the same bank
    assert {u for u in by_user if u in ("manager1", "manager1b", "bankadmin1")} == {"manager1", "bankadmin1"}
    assert by_user["manager1"] == [(by_user["manager1"][0][0], f"/bank/leads/{lead_a.id}")]
    assert "已接受其他银行的方案" in by_user["manager1"][0][0]
    # bank 3's lead was never claimed: all its staff
    assert {u for u in by_user if u.endswith("3")} == {"manager3", "bankadmin3"}
    # and nobody on the firm side or any other bank is told anything
    assert set(by_user) == {"manager2", "manager1", "bankadmin1", "manager3", "bankadmin3"}


def test_a_bank_never_sees_another_banks_notices(db, users, three_leads):
    req, lead_a, lead_b, lead_c = three_leads
    leads.claim(db, users["bank_manager"], lead_a.id)
    leads.claim(db, users["other_bank_manager"], lead_b.id)
    financing.withdraw(db, users["enterprise"], req.id)
    followups.notify_expired(db, [lead_c])
    db.commit()
    bank_users = db.scalars(select(User).where(User.bank_id.is_not(None))).all()
    for user in bank_users:
        for n in db.scalars(select(Notification).where(Notification.user_id == user.id)):
            if n.link.startswith("/bank/leads/"):
                lead = db.get(Lead, int(n.link.rsplit("/", 1)[1]))
                assert lead.bank_id == user.bank_id, (user.username, n.title)


def test_expiry_notice_goes_to_the_expired_banks_staff(db, users, three_leads, third_bank):
    req, lead_a, lead_b, lead_c = three_leads
    mark = last_id(db)
    written = followups.notify_expired(db, [lead_c.id, lead_a])
    db.commit()
    assert written == 5  # bank 3: manager3 + bankadmin3; bank 17: manager1, manager1b, bankadmin1
    assert recipients(db, "expiry", mark) == {"manager3", "bankadmin3", "manager1", "manager1b", "bankadmin1"}
    note = db.scalar(select(Notification).where(Notification.kind == "expiry", Notification.link == f"/bank/leads/{lead_c.id}"))
    assert req.firm.name in note.title and f"R-{req.id}" in note.body
    assert followups.notify_expired(db, []) == 0


def test_funded_confirmation_tells_the_disbursing_bank(db, users, three_leads):
    req, lead_a, lead_b, _ = three_leads
    manager_b = users["other_bank_manager"]
    for step in (leads.claim, leads.record_contact, leads.start_review):
        step(db, manager_b, lead_b.id)
    offer = leads.approve(db, manager_b, lead_b.id, amount_yuan=1_000_000, rate_pct=Decimal("4"), term_months=12)
    financing.accept_offer(db, users["enterprise"], offer.id)
    leads.disburse(db, manager_b, lead_b.id, 1_000_000, local_date())
    mark = last_id(db)
    financing.confirm_funded(db, users["enterprise"], req.id)
    db.commit()
    assert db.get(FinancingRequest, req.id).state == "funded"
    assert recipients(db, "outcome", mark) == {"manager2"}


def test_referral_notices_go_to_the_township_the_district_and_the_firm(db, users, firm, bank):
    req, lead = factories.routed_request(db, firm, bank)
    leads.claim(db, users["bank_manager"], lead.id)
    mark = last_id(db)
    leads.decline(db, users["bank_manager"], lead.id, "credit_policy")
    db.commit()
    assert db.get(FinancingRequest, req.id).state == "referred"
    assert recipients(db, "referral", mark) == {"township1", "district1", "firm1"}

"""Declines from the firm's side: fixable or not, the next step, and resubmission of a fixable decline to the
same bank (a new routed lead with a fresh deadline and the firm's statement), once per decline."""
import pytest
from sqlalchemy import select

from matchmaker.domain.core.errors import DomainError, Forbidden
from matchmaker.domain.requests import declines, leads
from matchmaker.models import FinancingRequest, History, Lead, Notification, User

from . import factories


@pytest.fixture
def declined(db, users, firm, bank):
    """The request's only lead declined for incomplete documents (fixable): the request is referred."""
    req, lead = factories.routed_request(db, firm, bank)
    leads.claim(db, users["bank_manager"], lead.id)
    leads.decline(db, users["bank_manager"], lead.id, "documents", "缺财务报表")
    db.commit()
    return req, lead


def test_fixable_decline_is_resubmitted_to_the_same_bank(db, users, declined, bank):
    req, lead = declined
    assert req.state == "referred"
    assert declines.can_resubmit(users["enterprise"], lead)
    new = declines.resubmit(db, users["enterprise"], lead.id, "已补齐2023–2024年财务报表")
    db.commit()
    assert (new.bank_id, new.product_id, new.state, new.request_id) == (bank.id, lead.product_id, "routed", req.id)
    assert new.claim_deadline is not None and new.rank > lead.rank
    assert db.get(FinancingRequest, req.id).state == "routed"
    note = db.scalar(select(History.note).where(History.entity == "lead", History.entity_id == new.id))
    assert "已补齐2023–2024年财务报表" in note and "资料不齐全" in note
    notified = set(db.scalars(select(User.username).join(Notification, Notification.user_id == User.id)
                              .where(Notification.link == f"/bank/leads/{new.id}")))
    assert notified == {"manager1", "manager1b", "bankadmin1"}
    assert not declines.can_resubmit(users["enterprise"], lead)
    with pytest.raises(DomainError, match="已向该银行重新提交过"):
        declines.resubmit(db, users["enterprise"], lead.id, "再来一次")
    leads.claim(db, users["bank_manager"], new.id)  # the bank can work it again


def test_unfixable_decline_cannot_be_resubmitted(db, users, firm, bank):
    req, lead = factories.routed_request(db, firm, bank)
    leads.claim(db, users["bank_manager"], lead.id)
    leads.decline(db, users["bank_manager"], lead.id, "credit_policy")
    tip = declines.advice(lead)
    assert (tip.label, tip.fixable) == ("不符合授信政策", False) and "其他银行" in tip.next_step
    assert not declines.can_resubmit(users["enterprise"], lead)
    with pytest.raises(DomainError, match="不可由企业补正"):
        declines.resubmit(db, users["enterprise"], lead.id, "x")


def test_who_may_resubmit_and_with_what(db, users, declined):
    req, lead = declined
    for role in ("other_enterprise", "other_township", "district", "bank_manager"):
        with pytest.raises(Forbidden):
            declines.resubmit(db, users[role], lead.id, "补正")
    with pytest.raises(DomainError, match="说明已补正的内容"):
        declines.resubmit(db, users["township"], lead.id, "   ")
    assert declines.resubmit(db, users["township"], lead.id, "镇街协助补齐资料").state == "routed"


def test_no_resubmission_once_the_request_is_closed(db, users, declined):
    req, lead = declined
    req.state = "withdrawn"
    db.flush()
    with pytest.raises(DomainError, match="已办结"):
        declines.resubmit(db, users["enterprise"], lead.id, "补正")


def test_request_page_labels_and_resubmit_form(as_role, db, users, declined):
    req, lead = declined
    client = as_role("enterprise")
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "可由企业补正" in page and "补齐资料后重新提交" in page and "补充后重新提交" in page
    url = f"/requests/{req.id}/leads/{lead.id}/resubmit"
    assert client.get(url).status_code == 200
    empty = client.post(url, data={"statement": ""})
    assert empty.status_code == 422 and "请说明已补正的内容" in empty.get_data(as_text=True)
    assert as_role("other_enterprise").post(url, data={"statement": "x"}).status_code == 403
    for role in ("bank_manager", "district"):
        assert as_role(role).post(url, data={"statement": "x"}).status_code == 403, role
    assert client.post(url, data={"statement": "已补齐资料"}).status_code == 302
    assert db.scalar(select(Lead).where(Lead.request_id == req.id, Lead.id != lead.id)).state == "routed"
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "已补正并重新提交" in page
    assert client.post(url, data={"statement": "again"}).status_code == 302  # refused politely, nothing new
    assert len(db.scalars(select(Lead).where(Lead.request_id == req.id)).all()) == 2
    assert client.get(f"/requests/{req.id}/leads/999999/resubmit").status_code == 404


def test_unfixable_label_on_the_request_page(as_role, db, users, firm, bank):
    req, lead = factories.routed_request(db, firm, bank)
    leads.claim(db, users["bank_manager"], lead.id)
    leads.decline(db, users["bank_manager"], lead.id, "firm_withdrew")
    db.commit()
    page = as_role("township").get(f"/requests/{req.id}").get_data(as_text=True)
    assert "不可补正" in page and "补充后重新提交" not in page

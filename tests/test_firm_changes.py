"""Changes a firm cannot make alone and the history of changes (issue 12, point 4): a township change is a request
the new township (or the district) approves; firm data, product rules, routing weights, users and invitation
removals are written to the history (who, when, old → new), and the firm page shows the firm's history."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from matchmaker.domain.core.changes import record_changes
from matchmaker.domain.core.errors import Conflict
from matchmaker.domain.events import invitations
from matchmaker.domain.firms import township_moves
from matchmaker.models import Firm, History, Product, TownshipMove, User

from . import factories
from .events_support import invite_directly, make_event
from .test_routing_products import NEW_PRODUCT


def profile_data(firm: Firm, **overrides) -> dict:
    data = {"name": firm.name, "township_id": str(firm.township_id), "industry": firm.industry, "size": firm.size,
            "founded_year": str(firm.founded_year), "has_bank_loan": "y", "tax_credit_grade": "A",
            "contact_person": firm.contact_person, "contact_phone": firm.contact_phone}
    data.update(overrides)
    return data


def changes(db, entity: str, entity_id: int) -> dict:
    db.expire_all()
    return {h.field: (h.old_value, h.new_value) for h in db.scalars(select(History).where(
        History.entity == entity, History.entity_id == entity_id, History.to_state == "changed"))}


def test_record_changes_writes_only_the_fields_that_changed(db, users):
    rows = record_changes(db, users["district"], "firm", 1, {"a": 1, "b": "x", "c": None, "d": True},
                          {"a": 1, "b": "y", "c": "", "d": False})
    assert {(r.field, r.old_value, r.new_value) for r in rows} == {("b", "x", "y"), ("c", None, ""), ("d", "是", "否")}
    assert all(r.actor_id == users["district"].id and r.actor_role == "district" for r in rows)
    assert record_changes(db, None, "firm", 1, {"a": [1, 2]}, {"a": [1, 2]}) == []


def test_a_firm_cannot_move_itself_to_another_township(db, users, firm, township, other_township, bank, as_role):
    req, _lead = factories.routed_request(db, firm, bank)
    db.commit()
    client = as_role("enterprise")
    r = client.post("/enterprise/profile", data=profile_data(firm, township_id=str(other_township.id)))
    assert r.status_code == 302
    db.expire_all()
    assert db.get(Firm, firm.id).township_id == township.id  # still in its township
    assert as_role("township").get(f"/requests/{req.id}").status_code == 200
    assert as_role("other_township").get(f"/requests/{req.id}").status_code == 403
    move = db.scalar(select(TownshipMove).where(TownshipMove.firm_id == firm.id))
    assert move.state == "pending" and move.to_township_id == other_township.id
    assert "township" not in changes(db, "firm", firm.id)
    assert firm.name in as_role("other_township").get("/firms/claims").get_data(as_text=True)
    assert firm.name not in as_role("township").get("/firms/claims").get_data(as_text=True)
    # saving the profile again keeps the request (the form shows the township asked for)
    page = client.get("/enterprise/profile").get_data(as_text=True)
    assert "待该镇街审核" in page or "待审核" in page
    # the old township cannot decide it; the new one approves
    assert as_role("township").post(f"/firms/moves/{move.id}/approve").status_code == 403
    assert as_role("other_township").post(f"/firms/moves/{move.id}/approve").status_code == 302
    db.expire_all()
    assert db.get(Firm, firm.id).township_id == other_township.id
    assert changes(db, "firm", firm.id)["township"] == (township.name, other_township.name)
    assert as_role("other_township").get(f"/requests/{req.id}").status_code == 200
    assert as_role("township").get(f"/requests/{req.id}").status_code == 403
    again = as_role("district").post(f"/firms/moves/{move.id}/approve", follow_redirects=True)
    assert "已被处理" in again.get_data(as_text=True)


def test_a_rejected_move_leaves_the_firm_where_it_is(db, users, firm, township, other_township, as_role):
    as_role("enterprise").post("/enterprise/profile", data=profile_data(firm, township_id=str(other_township.id)))
    move = db.scalar(select(TownshipMove).where(TownshipMove.firm_id == firm.id))
    assert as_role("district").post(f"/firms/moves/{move.id}/reject", data={"reason": "企业实际经营地未变"}).status_code == 302
    db.expire_all()
    assert db.get(TownshipMove, move.id).state == "rejected" and db.get(Firm, firm.id).township_id == township.id
    states = [h.to_state for h in db.scalars(select(History).where(History.entity == "township_move",
                                                                     History.entity_id == move.id))]
    assert states == ["pending", "rejected"]


def test_two_reviewers_decide_one_move_once(app, db, users, firm, other_township):
    move = township_moves.request_move(db, users["enterprise"], firm, other_township.id)
    db.commit()
    make_session = app.extensions["db_sessionmaker"]
    barrier = threading.Barrier(2, timeout=60)
    results = []

    def attempt(uid: int):
        with make_session() as session:
            reviewer = session.get(User, uid)
            session.commit()
            barrier.wait()
            try:
                township_moves.approve(session, reviewer, move.id)
                session.commit()
                results.append("won")
            except Conflict:
                session.rollback()
                results.append("lost")

    threads = [threading.Thread(target=attempt, args=(users[r].id,)) for r in ("other_township", "district")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["lost", "won"]
    assert db.scalar(select(func.count()).select_from(History).where(
        History.entity == "township_move", History.to_state == "approved")) == 1
    assert db.scalar(select(func.count()).select_from(History).where(
        History.entity == "firm", History.field == "township")) == 1


def test_profile_changes_are_in_the_history_and_on_the_firm_page(db, users, firm, as_role):
    client = as_role("enterprise")
    old_phone = firm.contact_phone
    assert client.post("/enterprise/profile", data=profile_data(firm, contact_phone="13811112222")).status_code == 302
    found = changes(db, "firm", firm.id)
    assert found == {"contact_phone": (old_phone, "13811112222")}  # nothing else changed, nothing else written
    row = db.scalar(select(History).where(History.entity == "firm", History.field == "contact_phone"))
    assert row.actor_id == users["enterprise"].id and row.at is not None
    for role in ("township", "district"):
        page = as_role(role).get(f"/firms/{firm.id}").get_data(as_text=True)
        assert "13811112222" in page and old_phone in page and "联系电话" in page, role
    for role in ("other_township", "bank_manager", "bank_admin", "other_enterprise"):
        assert as_role(role).get(f"/firms/{firm.id}").status_code == 403, role
    assert as_role("district").get("/firms/not-a-number").status_code == 404


def test_product_rule_changes_are_in_the_history(db, users, as_role):
    client = as_role("bank_admin")
    assert client.post("/products/new", data=NEW_PRODUCT).status_code == 302
    product = db.scalar(select(Product).where(Product.name == NEW_PRODUCT["name"]))
    created = db.scalar(select(History).where(History.entity == "product", History.entity_id == product.id))
    assert created.to_state == "created" and created.actor_id == users["bank_admin"].id
    r = client.post(f"/products/{product.id}/edit", data={**NEW_PRODUCT, "max_amount_wan": "900",
                                                           "min_tax_grade": "A"})
    assert r.status_code == 302
    found = changes(db, "product", product.id)
    assert found["max_amount"] == ("8000000", "9000000")
    assert '"min_tax_grade": "B"' in found["rules"][0] and '"min_tax_grade": "A"' in found["rules"][1]
    assert set(found) == {"max_amount", "rules"}


def test_weight_changes_are_in_the_history(db, users, as_role):
    good = {"product_fit": "50", "whitelist": "0", "target_gap": "10", "speed": "10", "workload": "20",
            "nearby": "10.5"}
    assert as_role("district").post("/district/weights/", data=good).status_code == 302
    found = changes(db, "weights", 0)
    assert found["whitelist"][1] == "0" and found["nearby"][1] == "10.5"
    rows = db.scalars(select(History).where(History.entity == "weights")).all()
    assert rows and all(r.actor_id == users["district"].id for r in rows)


def test_user_creation_is_in_the_history(db, users, as_role):
    r = as_role("district").post("/district/users", data={"role": "township", "username": "township9",
                                                          "password": "test-pass-123", "township_id": "3"})
    assert r.status_code == 302
    user = db.scalar(select(User).where(User.username == "township9"))
    row = db.scalar(select(History).where(History.entity == "user", History.entity_id == user.id))
    assert row.to_state == "created" and row.actor_id == users["district"].id and "镇街" in row.note


def test_invitation_removal_is_in_the_history(db, users, firm, bank):
    event = make_event(db, users["township"], banks=[bank], days_from_today=5)
    inv = invite_directly(db, event, firm)
    db.commit()
    inv_id = inv.id
    invitations.remove_invitation(db, users["township"], inv_id)
    db.commit()
    row = db.scalar(select(History).where(History.entity == "invitation", History.entity_id == inv_id))
    assert row.to_state == "removed" and row.actor_id == users["township"].id and firm.name in row.note

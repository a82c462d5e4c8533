"""The bank's lead lifecycle through /api/v1/ alone, with the domain's rules: 409 on a refused step, 422 naming
the field, a bank token never reads or changes another bank's lead, one winner of a claim race, and a sync
cursor that misses nothing while rows change. Every answer is checked against the OpenAPI document."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from matchmaker.domain.core.workdays import local_date
from matchmaker.domain.requests import financing, leads
from matchmaker.models import ApiToken, History, Lead, Offer, User

from . import factories
from .api_support import Api, SpecChecker, make_token


@pytest.fixture
def checker(app):
    return SpecChecker(app.test_client())


@pytest.fixture
def bank_api(app, db, users, checker):
    return Api(app, make_token(db, users["bank_admin"], name="信贷系统"), checker)


def lead_history(db, lead_id):
    return db.scalars(select(History).where(History.entity == "lead", History.entity_id == lead_id)
                      .order_by(History.id)).all()


def test_a_banks_system_runs_the_whole_lifecycle_through_the_api(app, db, users, firm, bank, bank_api):
    req, lead = factories.routed_request(db, firm, bank)
    firm.contact_person, firm.contact_phone = "王经理", "13800000000"
    db.commit()
    listed = bank_api.get("/api/v1/leads?state=routed").get_json()
    assert [item["id"] for item in listed["items"]] == [lead.id]
    before = listed["items"][0]["firm"]
    assert before["contact_person"] is None and before["contact_phone"] is None  # hidden until the claim

    claimed = bank_api.post(f"/api/v1/leads/{lead.id}/claim").get_json()
    assert claimed["state"] == "claimed"
    assert claimed["firm"]["contact_phone"] == "13800000000"
    assert bank_api.post(f"/api/v1/leads/{lead.id}/contact", json={"note": "电话沟通"}).get_json()["state"] == "contacted"
    assert bank_api.post(f"/api/v1/leads/{lead.id}/review", json={}).get_json()["state"] == "in_review"
    approved = bank_api.post(f"/api/v1/leads/{lead.id}/approve", json={
        "amount_yuan": 3_000_000, "rate_pct": "3.85", "term_months": 12, "conditions": "保证",
        "confirm_over": True}).get_json()
    assert approved["lead"]["state"] == "approved" and approved["offer"]["amount_yuan"] == 3_000_000
    assert approved["offer"]["rate_pct"] == "3.85"

    early = bank_api.post(f"/api/v1/leads/{lead.id}/disburse",
                          json={"amount_yuan": 3_000_000, "disbursed_on": local_date().isoformat()})
    assert early.status_code == 422 and "尚未接受" in early.get_json()["error"]["message"]

    kept_cursor = bank_api.get("/api/v1/leads").get_json()["next_cursor"]
    db.expire_all()
    financing.accept_offer(db, users["enterprise"], approved["offer"]["id"])  # the firm, on its own page
    db.commit()
    synced = bank_api.get(f"/api/v1/leads?cursor={kept_cursor}").get_json()["items"]
    assert [(i["id"], i["offer"]["state"]) for i in synced] == [(lead.id, "accepted")]  # sync carries the change
    done = bank_api.post(f"/api/v1/leads/{lead.id}/disburse",
                         json={"amount_yuan": 2_500_000, "disbursed_on": local_date().isoformat()}).get_json()
    assert done["state"] == "disbursed" and done["disbursed_amount_yuan"] == 2_500_000

    token_user = db.scalar(select(ApiToken)).user_id
    rows = lead_history(db, lead.id)
    assert [r.to_state for r in rows] == ["claimed", "contacted", "in_review", "approved", "disbursed"]
    assert {r.actor_id for r in rows} == {token_user}
    assert "信贷系统" in db.get(User, token_user).display_name

    again = bank_api.post(f"/api/v1/leads/{lead.id}/contact", json={})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "conflict" and "不能变更" in again.get_json()["error"]["message"]
    assert len(lead_history(db, lead.id)) == 5


def test_refusals_name_the_field(db, firm, bank, bank_api):
    _, lead = factories.routed_request(db, firm, bank)
    db.commit()
    url = f"/api/v1/leads/{lead.id}"
    assert bank_api.post(url + "/claim").status_code == 200
    second = bank_api.post(url + "/claim")
    assert second.status_code == 409 and second.get_json()["error"]["message"] == "该线索已被认领或已失效"
    bank_api.post(url + "/contact", json={})
    bank_api.post(url + "/review", json={})
    cases = [
        ("/approve", {"amount_yuan": 100, "rate_pct": "abc", "term_months": 12}, "rate_pct"),  # the domain's check
        ("/approve", {"amount_yuan": 100, "rate_pct": "30", "term_months": 12}, "rate_pct"),
        ("/approve", {"amount_yuan": 0, "rate_pct": "3", "term_months": 12}, "amount_yuan"),  # the schema's
        ("/approve", {"amount_yuan": 100, "rate_pct": "3", "term_months": 12, "extra": 1}, "extra"),
        ("/decline", {"code": "bogus"}, "code"),
        ("/decline", {"code": "other", "note": " "}, "note"),
        ("/decline", {"code": "other", "note": "x" * 501}, "note"),
    ]
    for step, body, field in cases:
        response = bank_api.post(url + step, json=body)
        assert response.status_code == 422, (step, body, response.get_json())
        assert response.get_json()["error"]["field"] == field, (step, body, response.get_json())
    db.expire_all()
    assert db.get(Lead, lead.id).state == "in_review"
    assert bank_api.get("/api/v1/leads/999999").status_code == 404
    bad_cursor = bank_api.get("/api/v1/leads?cursor=garbage")
    assert bad_cursor.status_code == 422 and bad_cursor.get_json()["error"]["field"] == "cursor"
    assert bank_api.get("/api/v1/leads?limit=1000").get_json()["error"]["field"] == "limit"


OPERATIONS = [("get", "", None), ("post", "/claim", None), ("post", "/contact", {}), ("post", "/review", {}),
              ("post", "/approve", {"amount_yuan": 100, "rate_pct": "3", "term_months": 12}),
              ("post", "/decline", {"code": "documents"}),
              ("post", "/disburse", {"amount_yuan": 100, "disbursed_on": "2020-01-02"})]


@pytest.mark.parametrize("state", ["routed", "claimed", "in_review", "approved"])
def test_a_bank_token_never_reads_or_changes_another_banks_lead(app, db, users, firm, bank, other_bank, checker,
                                                                state):
    from matchmaker.domain.accounts import users as accounts

    _, mine = factories.routed_request(db, firm, bank)
    _, theirs = factories.routed_request(db, firm, other_bank, state=state)
    other_admin = accounts.create_user(db, "otheradmin", "test-pass-123", "bank_admin", bank_id=other_bank.id)
    db.commit()
    api = Api(app, make_token(db, users["bank_admin"]), checker)
    listed = api.get("/api/v1/leads").get_json()["items"]
    assert [item["id"] for item in listed] == [mine.id]
    for method, step, body in OPERATIONS:
        response = getattr(api, method)(f"/api/v1/leads/{theirs.id}{step}", **({"json": body} if body else {}))
        assert response.status_code == 403, (step, response.get_json())
        assert "13" not in response.get_data(as_text=True)  # nothing of the firm leaks
    db.expire_all()
    assert db.get(Lead, theirs.id).state == state and lead_history(db, theirs.id) == []
    # and the other way round: their token sees only theirs
    their_api = Api(app, make_token(db, other_admin), checker)
    assert [i["id"] for i in their_api.get("/api/v1/leads").get_json()["items"]] == [theirs.id]
    assert their_api.get(f"/api/v1/leads/{mine.id}").status_code == 403
    # the district's token reads both, and cannot hold a write scope
    district = Api(app, make_token(db, users["district"], ["leads:read"]), checker)
    assert {i["id"] for i in district.get("/api/v1/leads").get_json()["items"]} == {mine.id, theirs.id}
    assert district.post(f"/api/v1/leads/{mine.id}/claim").status_code == 403


def test_claim_race_through_the_api_has_one_winner(app, db, users, firm, bank):
    _, lead = factories.routed_request(db, firm, bank)
    db.commit()
    raws = [make_token(db, users["bank_admin"], name=f"系统{i}") for i in range(10)]
    barrier = threading.Barrier(len(raws), timeout=60)
    results: list[int] = []

    def attempt(raw):
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/leads/{lead.id}/claim", headers={"Authorization": f"Bearer {raw}"})
        results.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(raw,)) for raw in raws]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [200] + [409] * 9
    assert db.scalar(select(func.count()).select_from(History).where(
        History.entity == "lead", History.entity_id == lead.id, History.to_state == "claimed")) == 1


def _sync(api, cursor=None, limit=5):
    """Pages until has_more is false; returns the items seen in order and the cursor to keep."""
    seen = []
    while True:
        query = f"/api/v1/leads?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(query).get_json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return seen, cursor


def test_cursor_paging_misses_nothing_while_leads_change(app, db, users, firm, bank, bank_api):
    ids = []
    for _ in range(12):
        _, lead = factories.routed_request(db, firm, bank)
        ids.append(lead.id)
    db.commit()
    manager = users["bank_manager"]
    page1 = bank_api.get("/api/v1/leads?limit=5").get_json()
    first_ids = [item["id"] for item in page1["items"]]
    assert first_ids == ids[:5] and page1["has_more"]
    # while the client pages: one lead it has seen and one it has not yet reached change
    leads.claim(db, manager, ids[1])
    leads.claim(db, manager, ids[8])
    db.commit()
    rest, cursor = _sync(bank_api, page1["next_cursor"])
    seen = page1["items"] + rest
    versions = [(item["id"], item["updated_at"]) for item in seen]
    assert len(versions) == len(set(versions))  # no version of a lead twice
    assert {item["id"] for item in seen} == set(ids)  # none missed
    counts = {i: [item["id"] for item in seen].count(i) for i in ids}
    assert counts[ids[1]] == 2 and all(counts[i] == 1 for i in ids if i != ids[1])  # only the changed one again
    final = {item["id"]: item["state"] for item in seen}  # the last version of each wins
    assert final[ids[1]] == final[ids[8]] == "claimed" and list(final.values()).count("routed") == 10
    # the kept cursor: nothing new, then exactly what changed since
    assert _sync(bank_api, cursor)[0] == []
    leads.record_contact(db, manager, ids[8])
    db.commit()
    changed, _ = _sync(bank_api, cursor)
    assert [(item["id"], item["state"]) for item in changed] == [(ids[8], "contacted")]


def test_sync_with_a_writer_thread_delivers_every_final_state(app, db, users, firm, bank, bank_api):
    ids = []
    for _ in range(30):
        _, lead = factories.routed_request(db, firm, bank)
        ids.append(lead.id)
    db.commit()
    make_session = app.extensions["db_sessionmaker"]
    manager_id = users["bank_manager"].id
    done = threading.Event()

    def writer():
        with make_session() as session:
            manager = session.get(User, manager_id)
            for lead_id in reversed(ids[::3]):
                leads.claim(session, manager, lead_id)
                session.commit()
        done.set()

    thread = threading.Thread(target=writer)
    seen, cursor = [], None
    thread.start()
    while True:
        part, cursor = _sync(bank_api, cursor, limit=4)
        seen += part
        if done.is_set() and not part:
            break
    thread.join(timeout=60)
    seen += _sync(bank_api, cursor)[0]
    versions = [(item["id"], item["updated_at"]) for item in seen]
    assert len(versions) == len(set(versions))
    last = {item["id"]: item["state"] for item in seen}
    db.expire_all()
    assert last == {lead.id: lead.state for lead in db.scalars(select(Lead).where(Lead.id.in_(ids)))}


def test_updated_since_and_state_filter(db, firm, bank, bank_api):
    _, old = factories.routed_request(db, firm, bank)
    db.commit()
    stamp = bank_api.get("/api/v1/leads").get_json()["items"][0]["updated_at"]
    _, new = factories.routed_request(db, firm, bank, state="claimed")
    db.commit()
    later = bank_api.get(f"/api/v1/leads?updated_since={stamp}").get_json()["items"]
    assert [i["id"] for i in later] == [old.id, new.id]  # since is inclusive
    newer = db.get(Lead, new.id).updated_at.isoformat() + "+00:00"
    assert [i["id"] for i in bank_api.get("/api/v1/leads", query_string={"updated_since": newer})
            .get_json()["items"]] == [new.id]
    assert [i["id"] for i in bank_api.get("/api/v1/leads?state=claimed").get_json()["items"]] == [new.id]
    assert bank_api.get("/api/v1/leads?state=bogus").status_code == 422


def test_idempotency_key_returns_the_first_answer_and_changes_nothing_twice(db, firm, bank, bank_api):
    _, lead = factories.routed_request(db, firm, bank)
    db.commit()
    first = bank_api.post(f"/api/v1/leads/{lead.id}/claim", key="claim-1")
    retry = bank_api.post(f"/api/v1/leads/{lead.id}/claim", key="claim-1")
    assert first.status_code == retry.status_code == 200
    assert retry.get_json() == first.get_json() and retry.headers["Idempotent-Replayed"] == "true"
    assert len(lead_history(db, lead.id)) == 1
    reused = bank_api.post(f"/api/v1/leads/{lead.id}/contact", json={}, key="claim-1")
    assert reused.status_code == 422 and reused.get_json()["error"]["field"] == "Idempotency-Key"
    refused = bank_api.post(f"/api/v1/leads/{lead.id}/approve", key="a-1",
                            json={"amount_yuan": 1, "rate_pct": "3", "term_months": 1})
    assert refused.status_code == 409
    bank_api.post(f"/api/v1/leads/{lead.id}/contact", json={})
    bank_api.post(f"/api/v1/leads/{lead.id}/review", json={})
    replayed = bank_api.post(f"/api/v1/leads/{lead.id}/approve", key="a-1",
                             json={"amount_yuan": 1, "rate_pct": "3", "term_months": 1})
    assert replayed.status_code == 409 and db.scalar(select(func.count()).select_from(Offer)) == 0
    assert bank_api.post(f"/api/v1/leads/{lead.id}/review", json={}, key="x" * 129).status_code == 422


def test_concurrent_retries_with_one_key_change_once(app, db, users, firm, bank):
    _, lead = factories.routed_request(db, firm, bank)
    db.commit()
    raw = make_token(db, users["bank_admin"])
    barrier = threading.Barrier(6, timeout=60)
    answers = []

    def attempt():
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/leads/{lead.id}/claim",
                               headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": "same"})
        answers.append((response.status_code, response.get_json()["id"] if response.status_code == 200 else None))

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(lead_history(db, lead.id)) == 1
    # every caller got the one claim's answer (or, racing the claim itself, the lifecycle's 409)
    assert (200, lead.id) in answers and all(a in ((200, lead.id), (409, None)) for a in answers)


def test_bodies_that_are_not_json_or_hold_control_bytes_are_refused(db, firm, bank, bank_api):
    _, lead = factories.routed_request(db, firm, bank)
    db.commit()
    url = f"/api/v1/leads/{lead.id}"
    assert bank_api.post(url + "/claim").status_code == 200
    client, headers = bank_api.client, {"Authorization": f"Bearer {bank_api.raw}"}
    for data, kind in (("{bad", "application/json"), ("note=x", "application/x-www-form-urlencoded"),
                       ("[1]", "application/json")):
        response = bank_api.checker.check(client.post(url + "/contact", data=data, content_type=kind,
                                                      headers=headers))
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_request"
    empty = bank_api.checker.check(client.post(url + "/approve", headers=headers))
    assert empty.status_code == 422
    nul = bank_api.post(url + "/contact", json={"note": "a\x00b"})
    assert nul.status_code == 422 and nul.get_json()["error"]["field"] == "note"
    assert bank_api.post(url + "/contact").get_json()["state"] == "contacted"  # an empty body: all defaults
    huge = client.get(f"/api/v1/leads/{2**70}", headers=headers)
    assert huge.status_code == 400 and huge.get_json()["error"]["code"] == "bad_request"
    assert client.put("/api/v1/leads", headers=headers).get_json()["error"]["code"] == "not_allowed"
    assert client.get("/api/v1/nope", headers=headers).get_json()["error"]["code"] == "not_found"

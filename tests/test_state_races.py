"""Concurrent state changes of one request or lead, with real threads (SQLite and PostgreSQL): two offers accepted
at once, accept vs withdraw, approve vs decline, a double-clicked accept and a double approve. Each race runs 20
rounds; exactly one side wins, the loser gets a 409 Conflict (never a 500 or a second history row) and the case
ends consistent."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from matchmaker.domain.core.errors import Conflict
from matchmaker.domain.requests import financing, leads
from matchmaker.models import FinancingRequest, History, Lead, Notification, Offer, User

from . import factories
from .conftest import login

ROUNDS = 20
TERMS = {"amount_yuan": 500_000, "rate_pct": Decimal("4.35"), "term_months": 12}


def race(app, *actions) -> list[str]:
    """Run each `action(session)` in its own thread and session, released together; returns "won" or "lost"
    (a Conflict) per action. Any other exception fails the test."""
    make_session = app.extensions["db_sessionmaker"]
    barrier = threading.Barrier(len(actions), timeout=60)
    results: list[str | BaseException | None] = [None] * len(actions)

    def run(i, action):
        with make_session() as session:
            try:
                barrier.wait()
                action(session)
                session.commit()
                results[i] = "won"
            except Conflict:
                session.rollback()
                results[i] = "lost"
            except BaseException as exc:  # noqa: BLE001 - reported below with the round
                session.rollback()
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


def as_user(uid: int, step):
    """An action for `race`: load the user in the thread's session, then `step(session, user)`."""
    return lambda session: step(session, session.get(User, uid))


def history_count(db, entity: str, entity_id: int, *to_states: str) -> int:
    return db.scalar(select(func.count()).select_from(History).where(
        History.entity == entity, History.entity_id == entity_id, History.to_state.in_(to_states)))


def offered_request(db, firm, bank, other_bank, manager, other_manager):
    """A request with two approved leads (one per bank), so it has two open offers."""
    req, first = factories.routed_request(db, firm, bank, state="in_review")
    second = factories.add_lead(db, req, other_bank, state="in_review")
    db.commit()
    leads.approve(db, manager, first.id, **TERMS)
    leads.approve(db, other_manager, second.id, **TERMS)
    db.commit()
    assert req.state == "offered"
    return req, first, second


@pytest.fixture
def cast(users):
    return {role: users[role].id for role in ("enterprise", "township", "bank_manager", "other_bank_manager")}


def test_two_offers_accepted_at_once_one_wins(app, db, firm, bank, other_bank, users, cast):
    for _ in range(ROUNDS):
        req, first, second = offered_request(db, firm, bank, other_bank, users["bank_manager"],
                                             users["other_bank_manager"])
        offer_ids = [first.offer.id, second.offer.id]
        results = race(app, *[as_user(cast[role], lambda s, u, o=oid: financing.accept_offer(s, u, o))
                              for role, oid in zip(("enterprise", "township"), offer_ids)])
        assert sorted(results) == ["lost", "won"]
        db.expire_all()
        won_lead, lost_lead = (first, second) if results[0] == "won" else (second, first)
        assert db.get(FinancingRequest, req.id).state == "accepted"
        assert history_count(db, "request", req.id, "accepted") == 1
        assert (won_lead.state, won_lead.offer.state) == ("approved", "accepted")
        assert (lost_lead.state, lost_lead.offer.state) == ("released", "released")
        assert history_count(db, "lead", lost_lead.id, "released") == 1
        assert history_count(db, "lead", won_lead.id, "released") == 0


def test_accept_against_withdraw_one_wins(app, db, firm, bank, other_bank, users, cast):
    outcomes = set()
    for i in range(ROUNDS):
        req, first, second = offered_request(db, firm, bank, other_bank, users["bank_manager"],
                                             users["other_bank_manager"])
        accept = as_user(cast["enterprise"], lambda s, u, o=first.offer.id: financing.accept_offer(s, u, o))
        withdraw = as_user(cast["township"], lambda s, u, r=req.id: financing.withdraw(s, u, r))
        actions = (accept, withdraw) if i % 2 else (withdraw, accept)
        results = race(app, *actions)
        assert sorted(results) == ["lost", "won"]
        db.expire_all()
        state = db.get(FinancingRequest, req.id).state
        outcomes.add(state)
        assert history_count(db, "request", req.id, "accepted", "withdrawn") == 1
        if state == "accepted":
            assert (first.state, first.offer.state) == ("approved", "accepted")
            assert (second.state, second.offer.state) == ("released", "released")
        else:
            assert state == "withdrawn"
            assert {(x.state, x.offer.state) for x in (first, second)} == {("released", "released")}
        for lead in (first, second):
            assert history_count(db, "lead", lead.id, "released") == (lead.state == "released")
    assert outcomes <= {"accepted", "withdrawn"}


def test_approve_against_decline_one_wins(app, db, firm, bank, other_bank, users, cast):
    for i in range(ROUNDS):
        req, lead = factories.routed_request(db, firm, bank, state="in_review")
        factories.add_lead(db, req, other_bank, state="claimed")
        db.commit()
        approve = as_user(cast["bank_manager"], lambda s, u, lid=lead.id: leads.approve(s, u, lid, **TERMS))
        decline = as_user(cast["bank_manager"], lambda s, u, lid=lead.id: leads.decline(s, u, lid, "collateral"))
        results = race(app, *((approve, decline) if i % 2 else (decline, approve)))
        assert sorted(results) == ["lost", "won"]
        db.expire_all()
        lead = db.get(Lead, lead.id)
        assert history_count(db, "lead", lead.id, "approved", "declined") == 1
        offers = db.scalar(select(func.count()).select_from(Offer).where(Offer.lead_id == lead.id))
        if lead.state == "approved":
            assert offers == 1 and lead.decline_code is None
            assert db.get(FinancingRequest, req.id).state == "offered"
        else:
            assert lead.state == "declined" and offers == 0 and lead.decline_code == "collateral"
            assert db.get(FinancingRequest, req.id).state == "routed"


def test_double_accept_of_one_offer(app, db, firm, bank, other_bank, users, cast):
    for _ in range(ROUNDS):
        req, first, second = offered_request(db, firm, bank, other_bank, users["bank_manager"],
                                             users["other_bank_manager"])
        notices = db.scalar(select(func.max(Notification.id))) or 0
        click = as_user(cast["enterprise"], lambda s, u, o=first.offer.id: financing.accept_offer(s, u, o))
        assert sorted(race(app, click, click)) == ["lost", "won"]
        db.expire_all()
        assert history_count(db, "request", req.id, "accepted") == 1
        assert history_count(db, "lead", second.id, "released") == 1
        assert (first.state, first.offer.state, second.state) == ("approved", "accepted", "released")
        new = db.execute(select(Notification.user_id, Notification.title).where(Notification.id > notices)).all()
        assert new and len(new) == len(set(new))  # one acceptance's notices, none twice


def test_double_approve_gives_one_offer_and_no_500(app, db, firm, bank, users, cast):
    for _ in range(ROUNDS):
        req, lead = factories.routed_request(db, firm, bank, state="in_review")
        db.commit()
        click = as_user(cast["bank_manager"], lambda s, u, lid=lead.id: leads.approve(s, u, lid, **TERMS))
        assert sorted(race(app, click, click)) == ["lost", "won"]
        db.expire_all()
        assert db.get(Lead, lead.id).state == "approved"
        assert db.scalar(select(func.count()).select_from(Offer).where(Offer.lead_id == lead.id)) == 1
        assert history_count(db, "lead", lead.id, "approved") == 1
        assert history_count(db, "request", req.id, "offered") == 1


def _post_together(app, posts) -> list:
    """POST each (client, url, data) from its own thread at once; returns the responses."""
    barrier = threading.Barrier(len(posts), timeout=60)
    responses = [None] * len(posts)

    def run(i, client, url, data):
        barrier.wait()
        responses[i] = client.post(url, data=data)

    threads = [threading.Thread(target=run, args=(i, *p)) for i, p in enumerate(posts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return responses


def test_web_loser_of_a_double_approve_sees_a_conflict_message(app, db, firm, bank, users):
    for _ in range(5):
        req, lead = factories.routed_request(db, firm, bank, state="in_review")
        db.commit()
        clients = [login(app.test_client(), users["bank_manager"].username) for _ in range(2)]
        url = f"/bank/leads/{lead.id}/approve"
        data = {"amount_wan": "50", "rate_pct": "4.35", "term_months": "12", "conditions": ""}
        responses = _post_together(app, [(c, url, data) for c in clients])
        assert all(r.status_code in (302, 409) for r in responses), [r.status_code for r in responses]
        pages = [c.get(f"/bank/leads/{lead.id}").get_data(as_text=True) for c in clients]
        assert sum("已审批通过" in p for p in pages) == 1
        assert sum("可能已被他人处理" in p for p in pages) == 1
        db.expire_all()
        assert db.scalar(select(func.count()).select_from(Offer).where(Offer.lead_id == lead.id)) == 1


def test_web_loser_of_two_acceptances_sees_a_conflict_message(app, db, firm, bank, other_bank, users):
    for _ in range(5):
        req, first, second = offered_request(db, firm, bank, other_bank, users["bank_manager"],
                                             users["other_bank_manager"])
        clients = [login(app.test_client(), users[role].username) for role in ("enterprise", "township")]
        responses = _post_together(app, [
            (clients[0], f"/requests/{req.id}/offers/{first.offer.id}/accept", {}),
            (clients[1], f"/requests/{req.id}/offers/{second.offer.id}/accept", {})])
        assert [r.status_code for r in responses] == [302, 302]
        pages = [c.get(f"/requests/{req.id}").get_data(as_text=True) for c in clients]
        assert sum("已接受授信方案，请等待银行放款" in p for p in pages) == 1
        assert sum("该融资需求已接受其他银行的方案" in p for p in pages) == 1
        db.expire_all()
        assert history_count(db, "request", req.id, "accepted") == 1


def test_referral_closed_twice_at_once_one_wins(app, db, firm, users):
    from matchmaker.domain.outcomes import referrals
    from matchmaker.models import Referral

    township_id, district_id = users["township"].id, users["district"].id
    for i in range(ROUNDS):
        req = factories.RequestFactory(firm=firm, state="unmatched")
        ref = Referral(request_id=req.id, target="guarantee", township_id=firm.township_id, state="open")
        db.add(ref)
        db.commit()
        funded = as_user(township_id, lambda s, u, r=ref.id: referrals.update(
            s, u, r, "resolved_funded", "担保后获得贷款", 300_000))
        not_funded = as_user(district_id, lambda s, u, r=ref.id: referrals.update(
            s, u, r, "resolved_not_funded", "企业暂缓融资"))
        assert sorted(race(app, *((funded, not_funded) if i % 2 else (not_funded, funded)))) == ["lost", "won"]
        db.expire_all()
        ref = db.get(Referral, ref.id)
        assert history_count(db, "referral", ref.id, "resolved_funded", "resolved_not_funded") == 1
        assert (ref.funded_amount == 300_000) is (ref.state == "resolved_funded")


def test_event_cancelled_twice_at_once_one_wins(app, db, township, bank, users):
    from matchmaker.domain.events import organising
    from matchmaker.models import MatchmakingEvent, Notification

    from .events_support import make_event

    for _ in range(ROUNDS):
        event = make_event(db, users["township"], banks=(bank,), days_from_today=3)
        db.commit()
        notices = db.scalar(select(func.max(Notification.id))) or 0
        click = as_user(users["township"].id, lambda s, u, e=event.id: organising.cancel_event(
            s, u, s.get(MatchmakingEvent, e)))
        assert sorted(race(app, click, click)) == ["lost", "won"]
        db.expire_all()
        assert db.get(MatchmakingEvent, event.id).cancelled
        new = db.execute(select(Notification.user_id, Notification.title).where(Notification.id > notices)).all()
        assert new and len(new) == len(set(new))


def test_a_race_the_database_breaks_is_a_409_page_not_a_500(app, db, bank):
    """The net under the guarded paths: a unique row inserted twice at once, or a deadlock PostgreSQL broke, is
    reported as a conflict; any other database fault is a 503."""
    from sqlalchemy.exc import OperationalError

    from matchmaker.db import get_session
    from matchmaker.models import Bank

    class Deadlock(Exception):
        sqlstate = "40P01"

    class DiskFull(Exception):
        sqlstate = "53100"

    @app.post("/_test/duplicate-bank")
    def duplicate_bank():
        session = get_session()
        session.add(Bank(name=bank.name, seq=999))
        session.flush()
        return "saved"

    @app.post("/_test/deadlock")
    def deadlock():
        raise OperationalError("UPDATE lead ...", {}, Deadlock("deadlock detected"))

    @app.post("/_test/disk-full")
    def disk_full():
        raise OperationalError("INSERT ...", {}, DiskFull("could not extend file"))

    client = app.test_client()
    for url in ("/_test/duplicate-bank", "/_test/deadlock"):
        response = client.post(url)
        assert response.status_code == 409, url
        assert "该记录刚被他人修改" in response.get_data(as_text=True)
    # not a race: the database cannot do its work, a 503 saying nothing was saved (not a 409, never a 500)
    full = client.post("/_test/disk-full")
    assert full.status_code == 503 and "数据库暂时无法响应" in full.get_data(as_text=True)

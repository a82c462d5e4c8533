"""`locking.lock` reloads the locked row in one plain SELECT instead of expiring it: what another transaction
committed before the lock must still be seen in full — the row's columns, a collection it gained (a lead added to
the request), a one-to-one it gained (an offer) — and its many-to-one relationships still resolve (SQLite and
PostgreSQL)."""
from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

from sqlalchemy import event, select

from matchmaker.domain.core import locking
from matchmaker.domain.requests import lifecycle
from matchmaker.models import FinancingRequest, History, Lead, Offer

from . import factories


@contextmanager
def _statements(session):
    engine, seen = session.get_bind(), []
    listener = lambda *a, **k: seen.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def test_a_lock_sees_what_another_transaction_committed_before_it(app, db, firm, bank, other_bank):
    req, lead = factories.routed_request(db, firm, bank, state="in_review")
    db.commit()
    req_id, lead_id = req.id, lead.id
    assert [x.id for x in req.leads] == [lead_id] and lead.offer is None  # loaded here, then changed elsewhere

    with app.extensions["db_sessionmaker"]() as other:
        other.add(Lead(request_id=req_id, bank_id=other_bank.id, state="routed", rank=2, score_parts={}))
        other.add(Offer(lead_id=lead_id, amount=300_000, rate_pct=Decimal("3.85"), term_months=12))
        other.get(FinancingRequest, req_id).state = "offered"
        other.get(Lead, lead_id).state = "approved"
        other.commit()

    lifecycle.lock(db, lead)  # the request first, then the lead
    assert req.state == "offered" and lead.state == "approved"
    assert sorted(x.bank_id for x in req.leads) == sorted([bank.id, other_bank.id])
    assert lead.offer is not None and lead.offer.amount == 300_000
    assert lead.request is req and lead.bank.id == bank.id and req.firm.id == firm.id


def test_transition_after_a_lock_moves_the_committed_state_once(app, db, firm, bank, users):
    req, lead = factories.routed_request(db, firm, bank, state="claimed")
    db.commit()
    with app.extensions["db_sessionmaker"]() as other:
        other.get(Lead, lead.id).state = "contacted"
        other.commit()
    lifecycle.lock(db, lead)
    lifecycle.transition(db, lead, "in_review", users["bank_manager"], locked=True)  # no second lock
    db.commit()
    db.expire_all()
    assert db.get(Lead, lead.id).state == "in_review"
    history = db.execute(select(History.from_state, History.to_state)
                         .where(History.entity == "lead", History.entity_id == lead.id)).all()
    assert [tuple(h) for h in history] == [("contacted", "in_review")]


def test_reload_keeps_nothing_stale_after_a_bulk_update_of_this_session(db, firm, bank):
    from sqlalchemy import update

    req, lead = factories.routed_request(db, firm, bank)
    db.execute(update(Lead).where(Lead.id == lead.id).values(state="expired")
               .execution_options(synchronize_session=False))
    assert lead.state == "routed"  # the bulk UPDATE left the object behind
    locking.reload(db, lead)
    assert lead.state == "expired"


def test_a_second_lock_in_the_transaction_reads_nothing_yet_sees_every_change(db, firm, bank, other_bank):
    """SQLite: once the transaction holds the write lock, a row it reloaded is not read again by the next lock —
    but a set-based UPDATE of its table, or an INSERT of a row related to it, makes the next lock read again."""
    from sqlalchemy import insert, update

    req, lead = factories.routed_request(db, firm, bank, state="claimed")
    db.commit()
    lifecycle.lock(db, lead)
    with _statements(db) as statements:
        lifecycle.lock(db, lead)
    if db.get_bind().dialect.name == "sqlite":
        assert statements == [], statements  # nobody else can have written since: no second read
    db.execute(update(Lead).where(Lead.id == lead.id).values(state="contacted")
               .execution_options(synchronize_session=False))
    lifecycle.lock(db, lead)
    assert lead.state == "contacted"
    db.execute(insert(Lead.__table__), [{"request_id": req.id, "bank_id": other_bank.id, "state": "routed",
                                         "rank": 2, "score_parts": {}}])
    lifecycle.lock(db, lead)
    assert sorted(x.bank_id for x in req.leads) == sorted([bank.id, other_bank.id])


def test_a_lock_in_a_new_transaction_reads_the_row_again(app, db, firm, bank):
    req, lead = factories.routed_request(db, firm, bank, state="claimed")
    db.commit()
    lifecycle.lock(db, lead)
    db.commit()
    with app.extensions["db_sessionmaker"]() as other:
        other.get(Lead, lead.id).state = "contacted"
        other.commit()
    lifecycle.lock(db, lead)
    assert lead.state == "contacted"

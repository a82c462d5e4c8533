"""Twenty managers click "claim" on one lead at once: exactly one wins (SQLite and PostgreSQL)."""
import threading

from sqlalchemy import func, select

from matchmaker.domain.accounts import users as accounts
from matchmaker.domain.core.errors import Conflict
from matchmaker.domain.requests import leads
from matchmaker.models import History, Lead, User

from . import factories


def test_twenty_concurrent_claims_one_winner(app, db, firm, bank):
    req, lead = factories.routed_request(db, firm, bank)
    manager_ids = [accounts.create_user(db, f"racer{i}", "test-pass-123", "bank_manager", bank_id=bank.id).id
                   for i in range(20)]
    db.commit()
    make_session = app.extensions["db_sessionmaker"]
    barrier = threading.Barrier(20, timeout=60)
    results: dict[int, str] = {}

    def attempt(uid: int):
        with make_session() as session:
            user = session.get(User, uid)
            session.commit()  # give the connection back to the pool before the race
            barrier.wait()
            try:
                leads.claim(session, user, lead.id)
                session.commit()
                results[uid] = "won"
            except Conflict:
                results[uid] = "lost"

    threads = [threading.Thread(target=attempt, args=(uid,)) for uid in manager_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results.values()) == ["lost"] * 19 + ["won"]
    winner = next(uid for uid, r in results.items() if r == "won")
    db.expire_all()
    claimed = db.get(Lead, lead.id)
    assert claimed.state == "claimed" and claimed.manager_id == winner
    assert db.scalar(select(func.count()).select_from(History).where(
        History.entity == "lead", History.entity_id == lead.id, History.to_state == "claimed")) == 1

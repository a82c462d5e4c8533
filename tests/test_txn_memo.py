"""Reads kept for the rest of a transaction (`domain/core/txn_memo`): who is notified and webhook endpoints are read
once per transaction, yet a change written meanwhile — through the ORM or a set-based statement
— is seen by the next read, and a new transaction reads again."""
from __future__ import annotations

from sqlalchemy import update

from matchmaker.domain.notify import notifications
from matchmaker.models import User

from .test_locking_reload import _statements


def test_an_audience_is_read_once_and_follows_account_changes(db, users, bank):
    manager = users["bank_manager"]
    first = notifications.audience(db, bank_id=bank.id)
    with _statements(db) as statements:
        assert notifications.audience(db, bank_id=bank.id) == first
    assert statements == []
    manager.active = False  # through the ORM: flushed before the next read
    db.flush()
    assert manager.id not in notifications.audience(db, bank_id=bank.id)
    db.execute(update(User).where(User.id == manager.id).values(active=True)
               .execution_options(synchronize_session=False))  # behind the ORM's back
    assert manager.id in notifications.audience(db, bank_id=bank.id)
    newcomer = User(username="newcomer", password_hash="x", role="bank_manager", bank_id=bank.id)
    db.add(newcomer)
    db.flush()
    assert newcomer.id in notifications.audience(db, bank_id=bank.id)


def test_notices_are_written_in_one_statement_each_in_its_readers_language(db, users, bank):
    admin, manager = users["bank_admin"], users["bank_manager"]
    manager.locale = "en"
    db.flush()
    with _statements(db) as statements:
        rows = notifications.notify(db, "other", "新线索：%(firm)s 申请 %(amount)s", bank_id=bank.id,
                                    params={"firm": "甲公司", "amount": notifications.amount(800_000)})
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1 and {r.user_id for r in rows} >= {admin.id, manager.id}
    titles = {r.user_id: r.title for r in rows}
    assert titles[admin.id] == "新线索：甲公司 申请 80 万元"
    assert titles[manager.id].startswith("New lead") and "CNY 800k" in titles[manager.id]

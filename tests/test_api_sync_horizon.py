"""The sync cursor's settle horizon: a change stamped while an earlier transaction is still open is held back
until that transaction has committed, so a row committed late never lands behind a cursor already handed out."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import text

from matchmaker.domain.api import sync
from matchmaker.domain.requests import leads
from matchmaker.models import User, utcnow

from . import factories
from .api_support import Api, make_token


@pytest.fixture
def app_config(app_config):
    return {**app_config, "API_SYNC_SETTLE_SECONDS": 30}


def _ids(api, cursor=None):
    page = api.get("/api/v1/leads?limit=50" + (f"&cursor={cursor}" if cursor else "")).get_json()
    return [item["id"] for item in page["items"]], page["next_cursor"]


def _ids_eventually(api, cursor=None):
    """Another test worker's open writing transaction on the same database holds rows back for a moment."""
    for _ in range(120):
        ids, next_cursor = _ids(api, cursor)
        if ids:
            return ids, next_cursor
        time.sleep(0.5)
    return ids, next_cursor


def test_a_change_waits_for_the_settle_window(app, db, users, firm, bank):
    api = Api(app, make_token(db, users["bank_admin"]))
    _, lead = factories.routed_request(db, firm, bank)
    db.commit()
    assert _ids(api)[0] == []  # stamped a moment ago: a transaction flushed just before may not have committed
    with time_machine.travel(utcnow() + timedelta(seconds=31), tick=True):
        ids, cursor = _ids_eventually(api)
        assert ids == [lead.id]
        leads.claim(db, users["bank_manager"], lead.id)
        db.commit()
        assert _ids(api, cursor)[0] == []  # the claim is new again: held back
    with time_machine.travel(utcnow() + timedelta(seconds=62), tick=True):
        assert _ids_eventually(api, cursor)[0] == [lead.id]


def test_a_late_commit_is_not_missed(app, db, users, firm, bank, db_template):
    """Writer A stamps lead X and stays open; writer B stamps lead Y later and commits first. Without the
    horizon a client would get Y, keep a cursor past X's stamp, and never see X."""
    if db_template["kind"] != "postgresql":
        pytest.skip("SQLite has one writer at a time: B would wait for A's commit")
    app.config["API_SYNC_SETTLE_SECONDS"] = 0
    api = Api(app, make_token(db, users["bank_admin"]))
    _, x = factories.routed_request(db, firm, bank)
    _, y = factories.routed_request(db, firm, bank)
    db.commit()
    ids, cursor = _ids_eventually(api)
    assert ids == [x.id, y.id]
    make_session = app.extensions["db_sessionmaker"]
    manager_id = users["bank_manager"].id
    stamped, release, done = threading.Event(), threading.Event(), threading.Event()

    def writer_a():
        with make_session() as session:
            leads.claim(session, session.get(User, manager_id), x.id)
            session.flush()
            stamped.set()
            release.wait(30)
            session.commit()
        done.set()

    thread = threading.Thread(target=writer_a)
    thread.start()
    assert stamped.wait(30)
    with make_session() as session:  # writer B
        leads.claim(session, session.get(User, manager_id), y.id)
        session.commit()
    held, held_cursor = _ids(api, cursor)
    assert held == []  # Y is newer than A's open transaction: it waits
    assert held_cursor == cursor
    release.set()
    assert done.wait(30)
    thread.join(30)
    ids, _ = _ids_eventually(api, cursor)
    assert sorted(ids) == sorted([x.id, y.id])  # both claims, none missed


def test_horizon_is_before_the_oldest_open_transaction(app, db, db_template):
    if db_template["kind"] != "postgresql":
        assert sync.horizon(db, utcnow(), 5) <= utcnow() - timedelta(seconds=5)
        return
    other = app.extensions["db_sessionmaker"]()
    try:
        other.execute(text("SELECT pg_current_xact_id()"))  # a transaction that has (as good as) written
        opened = utcnow()
        with time_machine.travel(opened + timedelta(minutes=5), tick=True):
            assert sync.horizon(db, utcnow(), 0) < opened
    finally:
        other.close()

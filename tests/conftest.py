"""Fixtures: an app on a fresh, seeded database per test (SQLite by default, PostgreSQL when
MATCHMAKER_TEST_DATABASE_URL is set), a session, a client, and one account per role."""
from __future__ import annotations

import os
import shutil

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, text

from matchmaker import create_app
from matchmaker.config import SEED_DIR
from matchmaker.db import make_engine, make_session_factory
from matchmaker.domain.accounts import users as accounts
from matchmaker.domain.core import reference
from matchmaker.models import Bank, Base, Firm, Township, User

from . import factories

PASSWORD = "test-pass-123"
# Commands write in the terminal's language (translate.cli_locale): the tests read them in Chinese whatever the
# developer's LANG is.
os.environ["MATCHMAKER_LOCALE"] = "zh_Hans_CN"
PG_URL = os.environ.get("MATCHMAKER_TEST_DATABASE_URL")


def _worker_url(url: str) -> str:
    """Under pytest-xdist each worker gets its own schema in the one PostgreSQL database, so parallel workers
    do not truncate each other's tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{worker}"'))
    engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{worker}&application_name=matchmaker-{worker}"

# Fast hashing in tests (the real cost is argon2's default).
accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _seed(url: str) -> None:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        reference.load_all(session, SEED_DIR)
        session.commit()
    engine.dispose()


@pytest.fixture(scope="session")
def db_template(tmp_path_factory):
    """Schema (and for SQLite, seeded data) built once per test session."""
    if PG_URL:
        url = _worker_url(PG_URL)
        engine = make_engine(url)
        Base.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        Base.metadata.create_all(engine)
        engine.dispose()
        return {"kind": "postgresql", "url": url}
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    _seed(url)
    return {"kind": "sqlite", "path": path}


def _reset_postgres(url: str) -> None:
    from matchmaker.domain.core import shared_cache

    # the same URL for every test, ids restarted: a figure kept by this process for the last test could carry
    # the same stamp as this test's
    shared_cache.forget()
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    _seed(url)


@pytest.fixture
def database_url(db_template, tmp_path) -> str:
    """A fresh seeded database for this test."""
    if db_template["kind"] == "postgresql":
        _reset_postgres(db_template["url"])
        return db_template["url"]
    target = tmp_path / "test.sqlite"
    shutil.copy(db_template["path"], target)
    return f"sqlite:///{target}"


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    return {
        "DATABASE_URL": database_url,
        "JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite'}",  # each test its own queue
        "FILES_DIR": str(tmp_path / "files"),  # ids restart per test database: files must not meet another's
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "API_SYNC_SETTLE_SECONDS": 0,  # sync tests see a change at once; tests/test_api_sync_horizon.py sets it
    }


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    yield app
    app.extensions["jobs"].dispose()
    app.extensions["db_engine"].dispose()


@pytest.fixture
def worker(app):
    """The app's job queue with a real consumer in a thread (Huey, SQLite storage): jobs the test enqueues run.
    `worker.wait()` waits until no job is queued or running."""
    from .jobs_support import Worker

    running = Worker(app)
    yield running
    running.stop()


@pytest.fixture
def db(app):
    """A session on the test database (separate from the request sessions)."""
    session = app.extensions["db_sessionmaker"]()
    factories.bind(session)
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def township(db) -> Township:
    return db.scalar(select(Township).order_by(Township.id))


@pytest.fixture
def other_township(db) -> Township:
    return db.scalars(select(Township).order_by(Township.id)).all()[1]


@pytest.fixture
def bank(db) -> Bank:
    return db.scalar(select(Bank).where(Bank.seq == 17))


@pytest.fixture
def other_bank(db) -> Bank:
    return db.scalar(select(Bank).where(Bank.seq == 2))


@pytest.fixture
def firm(db, township) -> Firm:
    return factories.FirmFactory(township_id=township.id)


@pytest.fixture
def users(db, firm, bank, other_bank, township, other_township) -> dict[str, User]:
    """One account per role (plus a second bank's manager, a second firm and another township's official)."""
    other_firm = factories.FirmFactory(township_id=other_township.id)
    made = {
        "district": accounts.create_user(db, "district1", PASSWORD, "district"),
        "township": accounts.create_user(db, "township1", PASSWORD, "township", township_id=township.id),
        "other_township": accounts.create_user(db, "township2", PASSWORD, "township", township_id=other_township.id),
        "enterprise": accounts.create_user(db, "firm1", PASSWORD, "enterprise", firm_id=firm.id),
        "other_enterprise": accounts.create_user(db, "firm2", PASSWORD, "enterprise", firm_id=other_firm.id),
        "bank_manager": accounts.create_user(db, "manager1", PASSWORD, "bank_manager", bank_id=bank.id),
        "bank_manager2": accounts.create_user(db, "manager1b", PASSWORD, "bank_manager", bank_id=bank.id),
        "bank_admin": accounts.create_user(db, "bankadmin1", PASSWORD, "bank_admin", bank_id=bank.id),
        "other_bank_manager": accounts.create_user(db, "manager2", PASSWORD, "bank_manager", bank_id=other_bank.id),
    }
    db.commit()
    return made


def login(client, username: str, password: str = PASSWORD):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def as_role(app, users):
    """as_role("bank_manager") -> a test client logged in as that role's account."""

    def make(role: str):
        return login(app.test_client(), users[role].username)

    return make

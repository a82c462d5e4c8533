"""Database timeouts: a database that accepts connections but never answers gives /healthz a 503 within 2 s and
pages a 503 within the connect timeout; PostgreSQL cancels a statement past MATCHMAKER_DB_STATEMENT_TIMEOUT."""
from __future__ import annotations

import socket
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from matchmaker import create_app
from matchmaker.db import Timeouts, make_engine, timeouts_from_env

from .conftest import PG_URL


@pytest.fixture
def silent_server():
    """A TCP server that accepts every connection and never sends a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    listener.close()


def _hanging_app(port: int):
    return create_app({"DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{port}/none", "TESTING": True,
                       "SECRET_KEY": "x" * 32, "DB_TIMEOUTS": Timeouts(connect=2, statement=5, busy=5, pool=2)})


def test_healthz_answers_503_within_2_seconds_when_the_database_hangs(silent_server):
    client = _hanging_app(silent_server).test_client()
    for _ in range(3):  # again while earlier probes still wait on the silent server
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response.get_json()["status"] == "error"
        assert elapsed < 2.0, elapsed


def test_a_page_fails_with_503_within_the_connect_timeout_when_the_database_hangs(silent_server):
    client = _hanging_app(silent_server).test_client()
    started = time.monotonic()
    response = client.get("/register")  # lists the townships from the database
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.status_code
    assert "数据库暂时无法响应" in response.get_data(as_text=True)
    assert elapsed < 6, elapsed


def test_timeouts_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("MATCHMAKER_DB_CONNECT_TIMEOUT", "7")
    monkeypatch.setenv("MATCHMAKER_DB_STATEMENT_TIMEOUT", "0.5")
    monkeypatch.setenv("MATCHMAKER_DB_BUSY_TIMEOUT", "3")
    monkeypatch.setenv("MATCHMAKER_DB_POOL_TIMEOUT", "4")
    assert timeouts_from_env() == Timeouts(connect=7, statement=0.5, busy=3, pool=4)
    monkeypatch.setenv("MATCHMAKER_DB_POOL_TIMEOUT", "soon")
    with pytest.raises(RuntimeError, match="MATCHMAKER_DB_POOL_TIMEOUT"):
        timeouts_from_env()


def test_sqlite_waits_for_a_lock_only_as_long_as_its_busy_timeout(tmp_path):
    url = f"sqlite:///{tmp_path}/busy.sqlite"
    engine = make_engine(url, Timeouts(busy=0.5))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    holder = engine.connect()
    holder.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="locked"):
            with engine.begin() as conn:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        assert 0.4 < time.monotonic() - started < 3
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs MATCHMAKER_TEST_DATABASE_URL (PostgreSQL)")
def test_postgres_cancels_a_statement_past_the_statement_timeout():
    engine = make_engine(PG_URL, Timeouts(statement=0.5))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "500ms"
            started = time.monotonic()
            with pytest.raises(OperationalError, match="statement timeout"):
                conn.execute(text("SELECT pg_sleep(10)"))
            assert time.monotonic() - started < 3
    finally:
        engine.dispose()

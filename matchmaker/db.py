"""SQLAlchemy 2.0 engine and one session per request, bound to the Flask app, with bounded waits:
a database that hangs makes a request fail within the configured timeouts instead of holding a worker."""
from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


@dataclass(frozen=True)
class Timeouts:
    """Seconds. connect: opening a connection (PostgreSQL connect_timeout, at least 2 s by libpq's rule);
    statement: one statement on PostgreSQL (0 = none); busy: SQLite waiting for a lock; pool: waiting for a free
    pooled connection."""

    connect: int = 5
    statement: float = 30
    busy: float = 30
    pool: float = 10


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value < 0:
        raise RuntimeError(f"{name} must not be negative, got {raw!r}")
    return value


def timeouts_from_env() -> Timeouts:
    """MATCHMAKER_DB_CONNECT_TIMEOUT, _DB_STATEMENT_TIMEOUT, _DB_BUSY_TIMEOUT, _DB_POOL_TIMEOUT (seconds)."""
    d = Timeouts()
    return Timeouts(
        connect=max(1, round(_seconds("MATCHMAKER_DB_CONNECT_TIMEOUT", d.connect))),
        statement=_seconds("MATCHMAKER_DB_STATEMENT_TIMEOUT", d.statement),
        busy=_seconds("MATCHMAKER_DB_BUSY_TIMEOUT", d.busy),
        pool=_seconds("MATCHMAKER_DB_POOL_TIMEOUT", d.pool),
    )


APPLICATION_NAME = "matchmaker"


def make_engine(url: str, timeouts: Timeouts | None = None, **kwargs) -> Engine:
    """Create an engine; SQLite gets foreign keys, a busy timeout and WAL so threads can share the file;
    PostgreSQL gets connect and statement timeouts and a pool timeout."""
    timeouts = timeouts or timeouts_from_env()
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": timeouts.busy, "check_same_thread": False})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_timeout", timeouts.pool)
    if url.startswith("postgresql"):
        connect_args = {"connect_timeout": timeouts.connect}
        query = make_url(url).query
        if timeouts.statement:
            # keep any server options the URL already carries (e.g. a search_path): connect_args would replace them
            given = query.get("options", "")
            given = given if isinstance(given, str) else " ".join(given)
            connect_args["options"] = f"{given} -c statement_timeout={int(timeouts.statement * 1000)}".strip()
        if "application_name" not in query:
            connect_args["application_name"] = APPLICATION_NAME  # API sync's horizon waits on this app's writers only
        kwargs.setdefault("connect_args", connect_args)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    from .domain.core import audit_chain

    audit_chain.install()  # history rows are chained and sealed at commit
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


def init_app(app) -> None:
    """Bind an engine and session factory to the app and close the request's session on teardown.
    A database that does not answer in time gives a 503 page, not a 500."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    engine = make_engine(app.config["DATABASE_URL"], app.config.get("DB_TIMEOUTS"))
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = make_session_factory(engine)

    @app.teardown_appcontext
    def _close_session(_exc):
        from flask import g

        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    app.register_error_handler(OperationalError, unavailable_response)
    app.register_error_handler(PoolTimeout, unavailable_response)


def unavailable_response(_exc=None):
    """503 for a database that does not answer: a plain page, since the site's layout asks the database for the
    signed-in user, which would wait again."""
    from flask import jsonify, request

    message = "数据库暂时无法响应，请稍后重试；您提交的内容未保存。"
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return jsonify({"error": "数据库暂时无法响应", "message": message}), 503
    page = f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>503</title><p>{message}</p></html>'
    return page, 503, {"Content-Type": "text/html; charset=utf-8", "Retry-After": "30"}


def get_session() -> Session:
    """The current request's session (created on first use)."""
    from flask import current_app, g

    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session


def get_engine() -> Engine:
    from flask import current_app

    return current_app.extensions["db_engine"]


# PostgreSQL: deadlock, serialization failure, lock not available, unique violation
LOST_RACE_SQLSTATES = {"40P01", "40001", "55P03", "23505"}


def is_lost_race(exc: BaseException) -> bool:
    """Whether a database error means a concurrent transaction got there first (a deadlock the database broke,
    a row another request inserted at the same moment, SQLite busy past its timeout): a conflict to report to
    the user, not a fault of the server."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code:
        return code in LOST_RACE_SQLSTATES
    text = str(orig or exc)
    return "database is locked" in text or "UNIQUE constraint failed" in text

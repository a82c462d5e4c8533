"""SQLAlchemy 2.0 engine and one session per request, bound to the Flask app."""
from __future__ import annotations

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine; SQLite gets foreign keys, a busy timeout and WAL so threads can share the file."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
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
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


def init_app(app) -> None:
    """Bind an engine and session factory to the app and close the request's session on teardown."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = make_session_factory(engine)

    @app.teardown_appcontext
    def _close_session(_exc):
        from flask import g

        session = g.pop("db_session", None)
        if session is not None:
            session.close()


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

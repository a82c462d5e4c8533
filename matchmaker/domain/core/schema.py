"""Create or upgrade the database schema with Alembic (migrations/), or drop everything for a fresh demo."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

from ...config import ROOT
from ...models import Base

MIGRATIONS = ROOT / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration. An empty database (a new install, `matchmaker demo`) gets the
    models' schema in one go and is stamped at the newest migration: Alembic's recipe for building a database
    from scratch, a second instead of replaying every migration (they build the same schema: a test compares)."""
    with _alembic(engine) as (cfg, conn):
        if inspect(conn).get_table_names():
            command.upgrade(cfg, "head")
        else:
            Base.metadata.create_all(conn)
            command.stamp(cfg, "head")


def migrate(engine: Engine) -> None:
    """Replay every migration, whatever the database holds (the test of the migrations themselves)."""
    with _alembic(engine) as (cfg, _conn):
        command.upgrade(cfg, "head")


@contextmanager
def _alembic(engine: Engine) -> Iterator[tuple[Config, Connection]]:
    """Alembic's configuration, run on one connection in one transaction."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        yield cfg, conn


def drop_all(engine: Engine) -> None:
    """Drop every table of ours and Alembic's version table."""
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")

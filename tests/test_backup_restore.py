"""`matchmaker backup` / `matchmaker restore`: a demo database round-trips with the same rows in every table
(count and checksum), on SQLite and, when pg_dump is installed, on PostgreSQL; restore refuses a database that
already holds tables unless --force, and refuses a file of the wrong kind."""
from __future__ import annotations

import hashlib
import shutil

import pytest
from sqlalchemy import func, inspect, select

from matchmaker import create_app
from matchmaker.db import make_engine
from matchmaker.demo import core as demo
from matchmaker.models import Base, FinancingRequest

from .conftest import PG_URL
from .pg_support import scratch_database


def table_fingerprints(url: str) -> dict[str, tuple[int, str]]:
    """Per table: row count and a SHA-256 of every row in primary-key order."""
    engine = make_engine(url)
    found = {}
    try:
        names = set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                if table.name not in names:
                    continue
                order = list(table.primary_key.columns) or list(table.columns)
                digest = hashlib.sha256()
                count = 0
                for row in conn.execute(select(table).order_by(*order)):
                    digest.update(repr(tuple(row)).encode())
                    count += 1
                found[table.name] = (count, digest.hexdigest())
    finally:
        engine.dispose()
    return found


def _app(url: str):
    return create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "k" * 32})


def _with_demo_rows(app, db) -> None:
    # the demo's own builders, so that every table the demo fills has rows
    demo.build(db, firms=25, requests=30, seed=7)
    db.commit()
    assert db.scalar(select(func.count()).select_from(FinancingRequest)) >= 30


def _round_trip(source_url: str, target_url: str, backup_file) -> None:
    result = _app(source_url).test_cli_runner().invoke(args=["backup", "-o", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert backup_file.stat().st_size > 0
    restored = _app(target_url).test_cli_runner().invoke(args=["restore", str(backup_file)])
    assert restored.exit_code == 0, restored.output

    before, after = table_fingerprints(source_url), table_fingerprints(target_url)
    assert before.keys() == after.keys() and len(before) >= 20
    assert before == after
    assert sum(count for count, _ in after.values()) > 500
    # a second restore into the now full database is refused, --force overwrites
    again = _app(target_url).test_cli_runner().invoke(args=["restore", str(backup_file)])
    assert again.exit_code != 0 and "--force" in again.output and "不是空的" in again.output
    forced = _app(target_url).test_cli_runner().invoke(args=["restore", "--force", str(backup_file)])
    assert forced.exit_code == 0, forced.output
    assert table_fingerprints(target_url) == before


def test_sqlite_backup_round_trips_the_demo_database(app, db, database_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite round trip (the PostgreSQL one is below)")
    _with_demo_rows(app, db)
    result = _app(database_url).test_cli_runner().invoke(args=["backup", "-o", str(tmp_path / "x.bak")])
    assert "SQLite 在线备份" in result.output
    _round_trip(database_url, f"sqlite:///{tmp_path}/restored/copy.sqlite", tmp_path / "demo.backup")


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs MATCHMAKER_TEST_DATABASE_URL (PostgreSQL)")
@pytest.mark.skipif(not (shutil.which("pg_dump") and shutil.which("pg_restore")), reason="needs pg_dump/pg_restore")
def test_postgres_backup_round_trips_the_demo_database(app, db, database_url, tmp_path):
    _with_demo_rows(app, db)
    result = _app(database_url).test_cli_runner().invoke(args=["backup", "-o", str(tmp_path / "x.dump")])
    assert result.exit_code == 0 and "pg_dump" in result.output
    assert (tmp_path / "x.dump").read_bytes().startswith(b"PGDMP")
    with scratch_database(database_url, "restore") as target_url:
        _round_trip(database_url, target_url, tmp_path / "demo.dump")


def test_restore_refuses_a_file_that_is_not_a_backup_of_this_kind(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("这不是备份", encoding="utf-8")
    result = _app(f"sqlite:///{tmp_path}/empty.sqlite").test_cli_runner().invoke(args=["restore", str(junk)])
    assert result.exit_code != 0 and "不是SQLite 数据库文件" in result.output
    assert not (tmp_path / "empty.sqlite").exists()


def test_a_failed_backup_leaves_no_file_under_the_real_name(tmp_path):
    result = _app(f"sqlite:///{tmp_path}/missing.sqlite").test_cli_runner()
    # the app factory creates nothing until a query: the database file does not exist
    out = result.invoke(args=["backup", "-o", str(tmp_path / "b.bak")])
    assert out.exit_code != 0 and "数据库文件不存在" in out.output
    assert not (tmp_path / "b.bak").exists()

"""Back up the database to one file and restore it into an empty database: SQLite through its online backup API
(consistent while the app runs), PostgreSQL through pg_dump's custom format and pg_restore. A backup is written
beside its target and renamed into place, so an interrupted run never leaves a half file under the real name."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url

from .errors import Conflict, DomainError

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise DomainError("内存中的 SQLite 数据库无法备份或恢复，请使用数据库文件")
    return Path(url.database)


def _pg_command(url: URL, tool: str) -> tuple[list[str], dict]:
    """The tool's path, the libpq URL of the database (password passed in the environment, not on the command
    line where `ps` shows it) and that environment."""
    found = shutil.which(tool)
    if not found:
        raise DomainError(f"找不到 {tool}：请安装 PostgreSQL 客户端（Debian：apt-get install postgresql-client）")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return [found, "--dbname", libpq], env


def _run(argv: list[str], env: dict, what: str) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise DomainError(f"{what}失败（{Path(argv[0]).name} 退出码 {done.returncode}）：{done.stderr.strip()[-2000:]}")


def backup(database_url: str, target: Path) -> str:
    """Write a backup of the database to `target`; returns how it was made."""
    url = make_url(database_url)
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    if url.get_backend_name() == "sqlite":
        source_path = _sqlite_path(url)
        if not source_path.is_file():
            raise DomainError(f"数据库文件不存在：{source_path}")
        with sqlite3.connect(source_path) as source, sqlite3.connect(partial) as copy:
            source.backup(copy)
        source.close()
        copy.close()
        how = f"SQLite 在线备份（{source_path}）"
    elif url.get_backend_name() == "postgresql":
        argv, env = _pg_command(url, "pg_dump")
        _run(argv + ["--format=custom", "--no-owner", "--no-privileges", "--file", str(partial)], env, "pg_dump 备份")
        how = f"pg_dump 自定义格式（数据库 {url.database}，用 matchmaker restore 或 pg_restore 恢复）"
    else:
        raise DomainError(f"不支持备份 {url.get_backend_name()} 数据库")
    os.replace(partial, target)
    return how


def tables_in(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def restore(database_url: str, source: Path, force: bool = False) -> str:
    """Restore a backup made by `backup` into the database, which must hold no tables unless `force`."""
    url = make_url(database_url)
    source = Path(source)
    if not source.is_file():
        raise DomainError(f"备份文件不存在：{source}")
    with open(source, "rb") as fh:
        head = fh.read(16)
    backend = url.get_backend_name()
    expected = {"sqlite": (SQLITE_MAGIC, "SQLite 数据库文件"), "postgresql": (PGDUMP_MAGIC, "pg_dump 自定义格式文件")}
    if backend not in expected:
        raise DomainError(f"不支持恢复到 {backend} 数据库")
    magic, kind = expected[backend]
    if not head.startswith(magic):
        raise DomainError(f"{source} 不是{kind}，不能恢复到 {backend} 数据库（备份与目标须是同一种数据库）")
    if backend == "sqlite":
        _sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
    existing = tables_in(database_url)
    if existing and not force:
        raise Conflict(f"目标数据库不是空的（已有 {len(existing)} 张表，如 {', '.join(sorted(existing)[:3])}）："
                       "请恢复到新建的空数据库，或加 --force 覆盖")
    if backend == "sqlite":
        with sqlite3.connect(source) as backup_db:
            check = backup_db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise DomainError(f"备份文件已损坏：{check}")
            with sqlite3.connect(_sqlite_path(url)) as target:
                backup_db.backup(target)
            target.close()
        backup_db.close()
        return f"已从 {source} 恢复 SQLite 数据库 {_sqlite_path(url)}"
    argv, env = _pg_command(url, "pg_restore")
    options = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if force:
        options += ["--clean", "--if-exists"]
    _run(argv + options + [str(source)], env, "pg_restore 恢复")
    return f"已用 pg_restore 从 {source} 恢复 PostgreSQL 数据库 {url.database}"

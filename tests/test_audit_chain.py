"""Tamper-evident history (SQLite and PostgreSQL): rows are chained and sealed at commit; `audit verify` finds an
edited field, a deleted row, two swapped rows and a forged row and names the first wrong row; the database refuses
UPDATE and DELETE of sealed rows; concurrent writers that lock rows and then write history neither deadlock nor
fork the chain."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from matchmaker.domain.core import audit_chain, locking
from matchmaker.domain.core.changes import record_event
from matchmaker.models import AuditCheck, History
from matchmaker.models.chain import trigger_ddl

from . import factories


def _write(db, n: int = 6) -> list[int]:
    rows = [record_event(db, None, "firm", i, "created", note=f"第{i}条") for i in range(n)]
    db.commit()
    return [r.id for r in rows]


def _tamper(db, *statements: str, params: dict | None = None) -> None:
    """Change the table as someone with direct database access would: with the triggers switched off."""
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        db.execute(text("ALTER TABLE history DISABLE TRIGGER USER"))
    else:
        db.execute(text("DROP TRIGGER history_no_update"))
        db.execute(text("DROP TRIGGER history_no_delete"))
    for statement in statements:
        db.execute(text(statement), params or {})
    if dialect == "postgresql":
        db.execute(text("ALTER TABLE history ENABLE TRIGGER USER"))
    else:
        for statement in trigger_ddl("history", "sqlite"):
            db.execute(text(statement))
    db.commit()


def _history_report(db):
    outcome = audit_chain.verify(db)
    db.commit()
    return outcome, next(r for r in outcome.reports if r.table == "history")


def test_rows_written_in_a_savepoint_are_sealed_when_the_transaction_commits(db):
    """Releasing a savepoint is not a commit: its rows stay unsealed until the transaction commits, then are
    chained with the others in the order they were written; a rolled-back savepoint's row is simply gone."""
    before = record_event(db, None, "firm", 1, "created", note="之前")
    with db.begin_nested():
        inside = record_event(db, None, "firm", 2, "created", note="保存点内")
    assert db.scalar(select(History.row_hash).where(History.id == inside.id)) is None
    try:
        with db.begin_nested():
            record_event(db, None, "firm", 3, "created", note="回滚")
            raise RuntimeError
    except RuntimeError:
        pass
    after = record_event(db, None, "firm", 4, "created", note="之后")
    db.commit()
    rows = db.scalars(select(History).where(History.id.in_([before.id, inside.id, after.id]))
                      .order_by(History.chain_seq)).all()
    assert [r.id for r in rows] == [before.id, inside.id, after.id]
    assert [r.chain_seq for r in rows] == [rows[0].chain_seq + i for i in range(3)]
    assert db.scalar(select(func.count()).select_from(History).where(History.note == "回滚")) == 0
    outcome, _report = _history_report(db)
    assert outcome.ok


def test_rows_are_sealed_at_commit_and_the_chain_verifies(db):
    ids = _write(db)
    rows = db.scalars(select(History).where(History.id.in_(ids)).order_by(History.chain_seq)).all()
    assert all(r.row_hash and len(r.row_hash) == 64 for r in rows)
    assert [r.chain_seq for r in rows] == list(range(rows[0].chain_seq, rows[0].chain_seq + len(rows)))
    assert all(b.prev_hash == a.row_hash for a, b in zip(rows, rows[1:]))
    outcome, report = _history_report(db)
    assert outcome.ok and report.rows >= len(ids)
    assert db.scalar(select(AuditCheck).order_by(AuditCheck.id.desc())).ok


def test_an_edited_field_is_found(db):
    ids = _write(db)
    _tamper(db, "UPDATE history SET note = '改过了' WHERE id = :id", params={"id": ids[3]})
    outcome, report = _history_report(db)
    assert not outcome.ok and report.row_id == ids[3] and "内容" in report.problem
    assert not db.scalar(select(AuditCheck).order_by(AuditCheck.id.desc())).ok


def test_a_deleted_row_is_found(db):
    ids = _write(db)
    _tamper(db, "DELETE FROM history WHERE id = :id", params={"id": ids[2]})
    outcome, report = _history_report(db)
    assert not outcome.ok and report.row_id == ids[3] and "删除" in report.problem


def test_two_swapped_rows_are_found(db):
    ids = _write(db)
    a, b = (db.scalar(select(History.chain_seq).where(History.id == i)) for i in (ids[1], ids[4]))
    _tamper(db, f"UPDATE history SET chain_seq = -1 WHERE id = {ids[1]}",
            f"UPDATE history SET chain_seq = {a} WHERE id = {ids[4]}",
            f"UPDATE history SET chain_seq = {b} WHERE id = {ids[1]}")
    outcome, report = _history_report(db)
    assert not outcome.ok and report.row_id == ids[4]


def test_swapped_contents_are_found(db):
    ids = _write(db)
    _tamper(db, f"UPDATE history SET entity_id = 99 WHERE id = {ids[1]}",
            f"UPDATE history SET entity_id = 1 WHERE id = {ids[4]}")
    outcome, report = _history_report(db)
    assert not outcome.ok and report.row_id == ids[1]


def test_a_forged_row_is_found(db):
    _write(db)
    _tamper(db, "INSERT INTO history (entity, entity_id, actor_role, at, to_state, note) "
                "VALUES ('firm', 1, 'district', '2024-01-01 00:00:00', 'created', '伪造')")
    forged = db.scalar(select(func.max(History.id)))
    outcome, report = _history_report(db)
    assert not outcome.ok and report.row_id == forged and "不在链中" in report.problem


def test_a_forged_row_with_a_made_up_hash_is_found(db):
    ids = _write(db)
    seq, head = db.execute(select(History.chain_seq, History.row_hash).order_by(History.chain_seq.desc())
                           .limit(1)).one()
    _tamper(db, "INSERT INTO history (entity, entity_id, actor_role, at, to_state, note, chain_seq, prev_hash, "
                "row_hash) VALUES ('firm', 1, 'district', '2024-01-01 00:00:00', 'created', '伪造', :seq, :prev, "
                ":hash)", params={"seq": seq + 1, "prev": head, "hash": "f" * 64})
    outcome, report = _history_report(db)
    assert not outcome.ok and report.row_id == max(ids) + 1 and "内容" in report.problem


def test_a_rewritten_chain_is_found_against_the_last_good_check(db):
    ids = _write(db)
    assert _history_report(db)[0].ok
    _tamper(db, "UPDATE history SET note = '改过了' WHERE id = :id", params={"id": ids[1]})
    # the forger recomputes every hash after the edit
    table = History.__table__
    rows = db.execute(select(table).where(table.c.chain_seq.is_not(None)).order_by(table.c.chain_seq)).mappings()
    prev, fixes = audit_chain.GENESIS, []
    for row in rows.all():
        digest = audit_chain.row_hash("history", row["chain_seq"], prev, row)
        fixes.append(f"UPDATE history SET prev_hash = '{prev}', row_hash = '{digest}' WHERE id = {row['id']}")
        prev = digest
    _tamper(db, *fixes)
    outcome, report = _history_report(db)
    assert not outcome.ok and "重写" in report.problem


@pytest.mark.parametrize("statement", ["UPDATE history SET note = 'x' WHERE id = :id",
                                       "DELETE FROM history WHERE id = :id"])
def test_the_database_refuses_update_and_delete_of_history(db, statement):
    ids = _write(db, 2)
    with pytest.raises(DBAPIError) as caught:
        db.execute(text(statement), {"id": ids[0]})
    assert "append-only" in str(caught.value)
    db.rollback()
    assert db.scalar(select(History.note).where(History.id == ids[0])) == "第0条"


def test_unsealed_rows_of_the_own_transaction_may_still_change(db):
    """The demo sets timestamps after insert, before commit: the hash covers the row as committed."""
    row = record_event(db, None, "firm", 1, "created")
    db.flush()
    db.execute(text("UPDATE history SET note = '改' WHERE id = :id"), {"id": row.id})
    db.commit()
    assert _history_report(db)[0].ok


def test_cli_exits_non_zero_naming_the_row(app, db):
    ids = _write(db)
    runner = app.test_cli_runner()
    good = runner.invoke(args=["audit", "verify"])
    assert good.exit_code == 0, good.output
    _tamper(db, "UPDATE history SET to_state = 'x' WHERE id = :id", params={"id": ids[0]})
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 1 and f"id={ids[0]}" in bad.output


def test_concurrent_writers_neither_deadlock_nor_fork_the_chain(app, db):
    """Each writer locks a row, writes history, then locks a row another writer holds, then writes again: with the
    chain locked at insert this deadlocks; sealed at commit it does not."""
    firms = [factories.FirmFactory() for _ in range(6)]
    db.commit()
    before = db.scalar(select(func.count()).select_from(History))
    make_session = app.extensions["db_sessionmaker"]
    barrier = threading.Barrier(len(firms), timeout=60)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            with make_session() as session:
                mine, next_one = (session.get(type(firms[0]), firms[j].id) for j in (i, (i + 1) % len(firms)))
                barrier.wait()
                locking.lock(session, mine)
                record_event(session, None, "firm", mine.id, "checked", note=f"{i}-a")
                session.flush()
                time.sleep(0.05)
                if i % 2 == 0:  # half of them also take a neighbour's row: waits, never a cycle through the chain
                    locking.lock(session, next_one)
                record_event(session, None, "firm", mine.id, "checked", note=f"{i}-b")
                session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(firms))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert db.scalar(select(func.count()).select_from(History)) == before + 2 * len(firms)
    outcome, report = _history_report(db)
    assert outcome.ok, report.problem


def test_a_restored_backup_keeps_the_chain_and_the_triggers(app, db, database_url, tmp_path):
    """Restore into an empty database: the chain still verifies and sealed rows are still refused."""
    import contextlib

    from matchmaker.db import make_engine, make_session_factory
    from matchmaker.domain.core import backups

    from .pg_support import scratch_database

    _write(db)
    db.close()
    backups.backup(database_url, tmp_path / "backup.bin")
    target = (scratch_database(database_url, "restore") if database_url.startswith("postgresql")
              else contextlib.nullcontext(f"sqlite:///{tmp_path}/restored.sqlite"))
    with target as url:
        backups.restore(url, tmp_path / "backup.bin")
        engine = make_engine(url)
        with make_session_factory(engine)() as restored:
            assert audit_chain.verify(restored, store=False).ok
            with pytest.raises(DBAPIError):
                restored.execute(text("DELETE FROM history"))
            restored.rollback()
        engine.dispose()

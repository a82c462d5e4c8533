"""Tamper-evident history: every row of a chained table (history, the ledgers) carries the hash of its content
and of the previous row's hash. Rows are sealed when their transaction commits, in one place (the session's
before_commit), under a per-table lock taken last — PostgreSQL: a transaction advisory lock released at
commit; SQLite: the write lock the inserting transaction already holds — so two transactions that lock rows and
then write history cannot deadlock on the chain. `verify` walks the chains and names the first row whose
content, order or link is wrong."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Table, bindparam, event, func, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from ...models import AuditCheck, utcnow
from ...models.chain import CHAINED_TABLES, TXN_KEY

CHAIN_COLUMNS = ("chain_seq", "prev_hash", "row_hash", "chain_txn")
GENESIS = "0" * 64
# One advisory lock key per chained table (PostgreSQL bigint keys; any constants no other code uses).
LOCK_BASE = 0x4D4D_0000


def _canon(value):
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def row_hash(table: str, seq: int, prev_hash: str, row) -> str:
    """The hash of one row: its table, place in the chain, the previous row's hash and every non-empty content
    column (empty ones are left out, so a column added later does not change older rows' hashes)."""
    content = sorted((k, _canon(v)) for k, v in row.items() if k not in CHAIN_COLUMNS and v is not None)
    payload = json.dumps([table, seq, prev_hash, content], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def lock_chain(conn: Connection, table: Table) -> None:
    """Serialise the chain's head until commit. Always the last lock a transaction takes (it is taken at
    commit), in table-name order."""
    if conn.dialect.name == "postgresql":
        key = LOCK_BASE + sorted(t.name for t in CHAINED_TABLES).index(table.name)
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    # SQLite: the transaction inserted rows, so it holds the database's write lock already.


def head(conn: Connection, table: Table) -> tuple[int, str]:
    found = conn.execute(select(table.c.chain_seq, table.c.row_hash).where(table.c.chain_seq.is_not(None))
                         .order_by(table.c.chain_seq.desc()).limit(1)).first()
    return (found[0], found[1]) if found else (0, GENESIS)


def seal_rows(conn: Connection, table: Table, rows) -> int:
    """Chain `rows` (mappings, in insertion order) onto the table's head; the lock must be held."""
    seq, prev = head(conn, table)
    updates = []
    for row in rows:
        seq += 1
        digest = row_hash(table.name, seq, prev, row)
        updates.append({"b_id": row["id"], "b_seq": seq, "b_prev": prev, "b_hash": digest})
        prev = digest
    if updates:
        conn.execute(update(table).where(table.c.id == bindparam("b_id"))
                     .values(chain_seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"),
                             row_hash=bindparam("b_hash")), updates)
    return len(updates)


class ChainWriter:
    """For bulk writers (COPY): chains rows before they are written. Each row is a dict with its `id` and every
    content column as it will be stored; the chain's lock is held from here to commit."""

    def __init__(self, conn: Connection, table: Table):
        lock_chain(conn, table)
        self.table = table
        self.seq, self.prev = head(conn, table)

    def chain(self, row: dict) -> dict:
        self.seq += 1
        row.update(chain_seq=self.seq, prev_hash=self.prev, chain_txn=None)
        row["row_hash"] = self.prev = row_hash(self.table.name, self.seq, row["prev_hash"], row)
        return row


def seal(session: Session, everything: bool = False) -> int:
    """Seal the rows this transaction inserted into every chained table (or, `everything`, every unsealed row,
    for bulk loads into a fresh database). Returns how many."""
    conn = session.connection()
    token = conn.info.get(TXN_KEY)
    if token is None and not everything:
        return 0
    sealed = 0
    for table in sorted(CHAINED_TABLES, key=lambda t: t.name):
        mine = table.c.row_hash.is_(None)
        if not everything:
            mine = mine & (table.c.chain_txn == token)
        if conn.execute(select(table.c.id).where(mine).limit(1)).first() is None:
            continue
        lock_chain(conn, table)
        rows = conn.execute(select(table).where(mine).order_by(table.c.id)).mappings().all()
        sealed += seal_rows(conn, table, rows)
    conn.info.pop(TXN_KEY, None)
    return sealed


def _before_commit(session: Session) -> None:
    # A savepoint's release is not a commit: its rows are sealed with the rest when the transaction commits.
    if session.in_transaction() and not session.in_nested_transaction():
        session.flush()
        seal(session)


def _forget_token(conn: Connection) -> None:
    conn.info.pop(TXN_KEY, None)  # the rolled-back rows are gone; the next transaction starts unmarked


def install() -> None:
    """Seal at every session commit (idempotent)."""
    if not event.contains(Session, "before_commit", _before_commit):
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Engine, "rollback", _forget_token)


install()


@dataclass
class ChainReport:
    table: str
    rows: int = 0
    head: tuple[int, str] = (0, GENESIS)
    problem: str = ""
    row_id: int | None = None


@dataclass
class Verification:
    ok: bool
    reports: list[ChainReport] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(r.rows for r in self.reports)

    @property
    def problem(self) -> str:
        return "；".join(f"{r.table}: {r.problem}" for r in self.reports if r.problem)


def verify_table(conn: Connection, table: Table, checkpoint: tuple[int, str] | None = None) -> ChainReport:
    """Walk one chain in order; stop at the first wrong row."""
    report = ChainReport(table.name)
    loose = conn.execute(select(table.c.id).where(table.c.chain_seq.is_(None)).order_by(table.c.id)
                         .limit(1)).scalar()
    seq, prev = 0, GENESIS
    result = conn.execute(select(table).where(table.c.chain_seq.is_not(None)).order_by(table.c.chain_seq)
                          .execution_options(yield_per=2000)).mappings()
    for row in result:
        seq += 1
        rid = row["id"]
        if row["chain_seq"] != seq:
            report.problem, report.row_id = (
                f"第 {seq} 条缺失（链在记录 id={rid} 之前断开，序号跳到 {row['chain_seq']}）：有记录被删除", rid)
            break
        if row["prev_hash"] != prev:
            report.problem, report.row_id = (
                f"记录 id={rid}（第 {seq} 条）的前一哈希不符：之前的记录被删除、插入或调换了顺序", rid)
            break
        if row_hash(table.name, seq, prev, row) != row["row_hash"]:
            report.problem, report.row_id = (
                f"记录 id={rid}（第 {seq} 条）的内容与哈希不符：该记录被修改、伪造或调换了位置", rid)
            break
        if checkpoint and seq == checkpoint[0] and row["row_hash"] != checkpoint[1]:
            report.problem, report.row_id = (
                f"记录 id={rid}（第 {seq} 条）与上次核验时的链头不同：整条链在此之前被重写", rid)
            break
        prev = row["row_hash"]
        report.rows = seq
    result.close()
    report.head = (seq, prev)
    if not report.problem and checkpoint and checkpoint[0] > seq:
        report.problem = f"上次核验时链长 {checkpoint[0]} 条，现只有 {seq} 条：链尾的记录被删除"
    if not report.problem and loose is not None:
        unsealed_since = conn.execute(select(func.count()).select_from(table).where(table.c.chain_seq.is_(None))
                                      ).scalar()
        report.problem, report.row_id = (
            f"记录 id={loose} 不在链中（共 {unsealed_since} 条未封存）：绕过系统插入的记录", loose)
    return report


def last_check(session: Session) -> AuditCheck | None:
    return session.scalar(select(AuditCheck).order_by(AuditCheck.id.desc()).limit(1))


def verify(session: Session, store: bool = True) -> Verification:
    """Verify every chain against its content and the heads the last good check saw; store the result."""
    previous = session.scalar(select(AuditCheck).where(AuditCheck.ok.is_(True)).order_by(AuditCheck.id.desc())
                              .limit(1))
    heads = (previous.heads or {}) if previous else {}
    conn = session.connection()
    reports = []
    for table in sorted(CHAINED_TABLES, key=lambda t: t.name):
        checkpoint = tuple(heads[table.name]) if table.name in heads else None
        reports.append(verify_table(conn, table, checkpoint))
    outcome = Verification(ok=not any(r.problem for r in reports), reports=reports)
    if store:
        session.add(AuditCheck(checked_at=utcnow(), ok=outcome.ok, rows=outcome.rows, problem=outcome.problem,
                               heads={r.table: list(r.head) for r in reports}))
    return outcome

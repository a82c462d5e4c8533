"""Tamper-evident tables: the columns that chain each row to the one before it (its place in the chain, the
previous row's hash and its own hash, written at commit), and the database triggers that refuse UPDATE and
DELETE of a sealed row, so a correction is always a new row that references the old one."""
from __future__ import annotations

import uuid

from sqlalchemy import DDL, BigInteger, String, Table, event
from sqlalchemy.orm import Mapped, mapped_column

# The transaction's mark on the rows it inserts, kept on the database connection until the rows are sealed.
TXN_KEY = "matchmaker_chain_txn"
CHAINED_TABLES: list[Table] = []


def _txn_token(context) -> str:
    return context.connection.info.setdefault(TXN_KEY, uuid.uuid4().hex)


class Chained:
    """Mixin for an append-only table chained by hash (see domain/core/audit_chain.py)."""

    chain_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True, index=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))
    chain_txn: Mapped[str | None] = mapped_column(String(32), default=_txn_token, index=True)


PG_FUNCTION = """
CREATE OR REPLACE FUNCTION matchmaker_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.row_hash IS NULL THEN  -- not yet sealed: its own transaction is still writing it
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'append-only table ' || TG_TABLE_NAME || ': ' || TG_OP
    || ' of a sealed row refused (write a correcting row instead)';
END $$
"""


def trigger_ddl(table: str, dialect: str) -> list[str]:
    """The statements that make `table` append-only on `dialect` (also used by the migration)."""
    if dialect == "postgresql":
        return [PG_FUNCTION,
                f'DROP TRIGGER IF EXISTS {table}_append_only ON "{table}"',
                f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON "{table}" FOR EACH ROW '
                f"EXECUTE FUNCTION matchmaker_append_only()"]
    if dialect == "sqlite":
        return [f'CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON "{table}" '
                f"WHEN OLD.row_hash IS NOT NULL BEGIN "
                f"SELECT RAISE(ABORT, 'append-only table {table}: {op} of a sealed row refused'); END"
                for op in ("UPDATE", "DELETE")]
    return []


def append_only(table: Table) -> Table:
    """Register `table` as chained and give it the triggers whenever the models create it."""
    CHAINED_TABLES.append(table)
    for dialect in ("postgresql", "sqlite"):
        for statement in trigger_ddl(table.name, dialect):
            event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))
    return table

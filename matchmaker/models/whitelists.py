"""The white lists (白名单) and the government lists behind the firm portrait: batches, entries (each linked to one firm), name aliases and staged imports."""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from operator import itemgetter

from sqlalchemy import Float, ForeignKey, Index, Integer, Numeric, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from ..text import N_
from .base import Base, JSONType, utcnow
from .firms import Firm
from .jobs import Job
from .places import Township
from .users import User

WHITELIST_KINDS = {
    "key_project": N_("重点项目"),
    "doubling_firm": N_("三年倍增计划重点培育企业"),
    "tech_upgrade": N_("技改项目"),
    "above_scale": N_("规上企业"),
    "high_tech": N_("高新技术企业"),
    "rural_revitalisation": N_("乡村振兴项目"),
    # government lists behind the firm's portrait (domain/whitelists/kinds.py says what each adds)
    "tax_credit": N_("纳税信用等级"),
    "zjtx": N_("专精特新中小企业"),
    "gazelle": N_("瞪羚企业"),
    "champion": N_("单项冠军"),
    "chain_leader": N_("链主企业"),
    "chain_supplier": N_("链主供应商"),
}
PORTRAIT_KINDS = frozenset({"tax_credit", "zjtx", "gazelle", "champion", "chain_leader", "chain_supplier"})
QUALIFICATION_KINDS = PORTRAIT_KINDS - {"tax_credit"}
GRADE_KINDS = frozenset({"tax_credit"})  # a grade for every firm listed, not a membership that earns priority
PROJECT_KINDS = frozenset({"key_project", "tech_upgrade", "rural_revitalisation"})
MATCH_METHODS = {"uscc": N_("按信用代码匹配"), "alias": N_("按已确认名称匹配"), "name": N_("按名称匹配"), "review": N_("人工确认"),
                 "new": N_("新建企业")}


class WhiteListBatch(Base):
    """One list as issued at one time (e.g. 规上企业 2023); undone batches stay for the record."""

    __tablename__ = "whitelist_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    label: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="active", index=True)  # active / undone
    source_filename: Mapped[str] = mapped_column(String(200), default="")
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    created_firm_ids: Mapped[list] = mapped_column(JSONType, default=list)  # firms this import created
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    undone_at: Mapped[datetime | None] = mapped_column()

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], lazy="joined")

    @property
    def kind_label(self) -> str:
        return WHITELIST_KINDS.get(self.kind, self.kind)


class WhiteListEntry(Base):
    """One firm (firm lists) or one project of an owner firm (project lists) in one batch."""

    __tablename__ = "whitelist_entry"
    __table_args__ = (Index("ix_whitelist_entry_batch_row", "batch_id", "row_no"),)  # a list page in file order

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("whitelist_batch.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    row_no: Mapped[int] = mapped_column(Integer, default=0)
    written_name: Mapped[str] = mapped_column(String(200), default="")  # the name as the file wrote it
    project_name: Mapped[str] = mapped_column(String(200), default="")
    investment_wan: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # 万元
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"), index=True)
    remark: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict] = mapped_column(JSONType, default=dict)  # other columns of the file, kept as written
    match_method: Mapped[str] = mapped_column(String(16), default="uscc")
    match_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))

    batch: Mapped[WhiteListBatch] = relationship(lazy="joined")
    firm: Mapped[Firm] = relationship(lazy="joined")
    township: Mapped[Township | None] = relationship(lazy="joined")

    @property
    def kind_label(self) -> str:
        return WHITELIST_KINDS.get(self.kind, self.kind)

    @property
    def label(self) -> str:
        """e.g. 重点项目（2023）：年产5万吨新材料项目 or 规上企业（2023）."""
        text = f"{self.kind_label}（{self.batch.label}）"
        return f"{text}：{self.project_name}" if self.project_name else text


class FirmAlias(Base):
    """A spelling (normalised name key) that a decision linked to a firm, so it resolves by itself next time."""

    __tablename__ = "firm_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_key: Mapped[str] = mapped_column(String(220), unique=True)
    written_name: Mapped[str] = mapped_column(String(200), default="")
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16), default="review")  # review / auto / new
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WhiteListImport(Base):
    """A checked file waiting in preview: its rows with their resolution, until committed or discarded."""

    __tablename__ = "whitelist_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    batch_label: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(200), default="")
    # checking (a job reads the file) / mapping (headers to choose) / failed (errors) / preview / committing /
    # committed / discarded / expired (left in preview past expires_at)
    state: Mapped[str] = mapped_column(String(16), default="preview", index=True)
    summary: Mapped[dict] = mapped_column(JSONType, default=dict)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("whitelist_batch.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))  # the latest job on it
    expires_at: Mapped[datetime | None] = mapped_column()  # a preview not committed by then is removed
    error_count: Mapped[int] = mapped_column(Integer, default=0)  # all of them; summary["errors"] holds the first

    job: Mapped[Job | None] = relationship(lazy="joined")

    @property
    def kind_label(self) -> str:
        return WHITELIST_KINDS.get(self.kind, self.kind)

    @property
    def rows(self) -> list[dict]:
        """Every staged row, in file order (a page of them: domain/whitelists/staging.py)."""
        session = object_session(self)
        if session is None or self.id is None:
            return []
        return [r.as_dict() for r in session.scalars(select(WhiteListImportRow).where(
            WhiteListImportRow.import_id == self.id).order_by(WhiteListImportRow.row_no))]

    @property
    def pending_reviews(self) -> int:
        session = object_session(self)
        if session is None or self.id is None:
            return 0
        return session.scalar(select(func.count()).select_from(WhiteListImportRow).where(
            WhiteListImportRow.import_id == self.id, WhiteListImportRow.decision == "review",
            WhiteListImportRow.chosen.is_(None))) or 0


class WhiteListImportRow(Base):
    """One row of a staged import with its resolution (a table rather than one JSON value: a 250,000-row file is
    written, paged and committed in chunks). The row's values are columns, so a chunk is written and read back
    without a JSON value per row; `data` holds the rest as the preview shows it (additional columns, candidates
    to review, changes from the previous batch), written as one constant text when all of them are empty."""

    __tablename__ = "whitelist_import_row"
    __table_args__ = (Index("ix_whitelist_import_row_import_row", "import_id", "row_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("whitelist_import.id", ondelete="CASCADE"))
    row_no: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(8))              # auto / review / new
    chosen: Mapped[str | None] = mapped_column(String(16))        # a review's answer: a firm id or "new"
    status: Mapped[str] = mapped_column(String(8), default="add")  # add / changed / same
    method: Mapped[str] = mapped_column(String(8), default="")     # uscc / alias / name / "" (the commit's filter)
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    # the file's values and the resolution (keys of the row as the domain handles it, see VALUE_COLUMNS)
    name: Mapped[str | None] = mapped_column(Text)
    uscc: Mapped[str | None] = mapped_column(Text)
    township_id: Mapped[int | None] = mapped_column(Integer)
    industry: Mapped[str | None] = mapped_column(Text)
    project_name: Mapped[str | None] = mapped_column(Text)
    investment_wan: Mapped[str | None] = mapped_column(Text)     # as the preview shows it: "1000.00"
    remark: Mapped[str | None] = mapped_column(Text)
    firm_id: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    matched_name: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)

    COLUMNS = ("row", "decision", "chosen", "status", "method")
    VALUE_COLUMNS = ("name", "uscc", "township_id", "industry", "project_name", "investment_wan", "remark", "firm_id",
                     "score", "matched_name", "note")

    def as_dict(self) -> dict:
        return row_dict(self.row_no, self.decision, self.chosen, self.status, self.method, self.data,
                        tuple(getattr(self, c) for c in self.VALUE_COLUMNS))


_VALUE_KEYS = WhiteListImportRow.VALUE_COLUMNS
# `data` of a row with no additional columns, no candidates and no changes (most rows): written and read as is
EMPTY_DATA = '{"extra":{},"candidates":[],"changes":[]}'
_EMPTY_KEYS = ("extra", "candidates", "changes")


def row_dict(row_no: int, decision: str, chosen: str | None, status: str, method: str, data, values: tuple) -> dict:
    """A staged row as the domain handles it: the file's values and the resolution in one dict. `data` as stored
    (its JSON text or, from PostgreSQL's JSONB, the dict); `values` the VALUE_COLUMNS in order."""
    row = dict(zip(_VALUE_KEYS, values))
    if data == EMPTY_DATA or data is None:
        row["extra"], row["candidates"], row["changes"] = {}, [], []
    else:
        row.update(json.loads(data) if isinstance(data, str) else data)
    row["row"], row["decision"], row["status"], row["method"] = row_no, decision, status, method
    row["chosen"] = int(chosen) if chosen and chosen.isdigit() else chosen
    return row


def _rest(row: dict) -> str:
    """`data` as written: the keys that are not columns, as JSON text (EMPTY_DATA when there is nothing in them)."""
    if not (row.get("extra") or row.get("candidates") or row.get("changes")) and row.keys() <= _EMPTY_ROW \
            and "extra" in row and "candidates" in row and "changes" in row:
        return EMPTY_DATA
    return json.dumps({k: v for k, v in row.items() if k not in _NOT_DATA}, ensure_ascii=False, separators=(",", ":"))


def row_tuple(import_id: int, row: dict) -> tuple:
    """The columns a staged row is written with, in STAGED_COLUMNS order, `data` as JSON text (written straight
    through the driver: see domain/core/bulk.py)."""
    chosen = row.get("chosen")
    try:
        values = _values_of(row)
    except KeyError:
        values = tuple(row.get(k) for k in _VALUE_KEYS)
    return (import_id, row["row"], row["decision"], None if chosen is None else str(chosen),
            row.get("status") or "add", row.get("method") or "", _rest(row), *values)


STAGED_COLUMNS = ("import_id", "row_no", "decision", "chosen", "status", "method", "data", *_VALUE_KEYS)


def row_values(import_id: int, row: dict) -> dict:
    """The columns a staged row is written with (`data` as a dict, for the JSON column's type)."""
    values = dict(zip(STAGED_COLUMNS, row_tuple(import_id, row)))
    values["data"] = {k: v for k, v in row.items() if k not in _NOT_DATA}
    return values


_COLUMNS = frozenset(WhiteListImportRow.COLUMNS)
_NOT_DATA = _COLUMNS | frozenset(_VALUE_KEYS)
_EMPTY_ROW = _NOT_DATA | frozenset(_EMPTY_KEYS)  # a row whose `data` may be EMPTY_DATA
_values_of = itemgetter(*_VALUE_KEYS)

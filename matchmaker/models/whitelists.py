"""The white lists (白名单) and the government lists behind the firm portrait: batches, entries (each linked to one firm), name aliases and staged imports."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, JSONType, utcnow
from .firms import Firm
from .jobs import Job
from .places import Township
from .users import User

WHITELIST_KINDS = {
    "key_project": "重点项目",
    "doubling_firm": "三年倍增计划重点培育企业",
    "tech_upgrade": "技改项目",
    "above_scale": "规上企业",
    "high_tech": "高新技术企业",
    "rural_revitalisation": "乡村振兴项目",
    # government lists behind the firm's portrait (domain/whitelists/kinds.py says what each adds)
    "tax_credit": "纳税信用等级",
    "zjtx": "专精特新中小企业",
    "gazelle": "瞪羚企业",
    "champion": "单项冠军",
    "chain_leader": "链主企业",
    "chain_supplier": "链主供应商",
}
PORTRAIT_KINDS = frozenset({"tax_credit", "zjtx", "gazelle", "champion", "chain_leader", "chain_supplier"})
QUALIFICATION_KINDS = PORTRAIT_KINDS - {"tax_credit"}
GRADE_KINDS = frozenset({"tax_credit"})  # a grade for every firm listed, not a membership that earns priority
PROJECT_KINDS = frozenset({"key_project", "tech_upgrade", "rural_revitalisation"})
MATCH_METHODS = {"uscc": "按信用代码匹配", "alias": "按已确认名称匹配", "name": "按名称匹配", "review": "人工确认",
                 "new": "新建企业"}


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
    rows: Mapped[list] = mapped_column(JSONType, default=list, deferred=True)  # large: loaded when used
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
    def pending_reviews(self) -> int:
        return sum(1 for r in self.rows if r.get("decision") == "review" and r.get("chosen") is None)

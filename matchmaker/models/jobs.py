"""Background jobs (后台任务): one row per piece of long work run by the job queue, with its state, progress
(done / total), result and error, so that any page can show how far it got."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..text import N_
from .base import Base, JSONType, utcnow
from .users import User

JOB_STATES = {"queued": N_("排队中"), "running": N_("进行中"), "done": N_("已完成"), "failed": N_("失败"), "expired": N_("已过期")}


class Job(Base):
    """Long work off the web request: who started it, what it is (kind + params), how far it got, what it gave."""

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    params: Mapped[dict] = mapped_column(JSONType, default=dict)
    phase: Mapped[str] = mapped_column(String(100), default="")  # what it is doing now, e.g. 读取文件
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict | None] = mapped_column(JSONType)  # {"url": ..., "label": ..., ...}
    error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()

    created_by: Mapped[User | None] = relationship(lazy="joined")

    @property
    def state_label(self) -> str:
        return JOB_STATES.get(self.state, self.state)

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return min(100, int(self.done * 100 / self.total)) if self.total else 0

    @property
    def seconds(self) -> float | None:
        if self.started_at is None:
            return None
        return ((self.finished_at or utcnow()) - self.started_at).total_seconds()

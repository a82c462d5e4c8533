"""In-app notifications (one row per recipient) and the outbox of messages for external senders."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..text import N_
from .base import Base, JSONType, utcnow

NOTIFICATION_KINDS = {
    "new_lead": N_("新线索"),
    "claim": N_("已认领"),
    "decision": N_("审批结果"),
    "expiry": N_("超时转派"),
    "escalation": N_("超期督办"),
    "offer": N_("授信方案"),
    "referral": N_("转介"),
    "event": N_("对接活动"),
    "report": N_("统计报送"),
    "outcome": N_("放款与评价"),
    "first_loan": N_("首贷培植"),
    "firm": N_("企业认领与变更"),
    "other": N_("通知"),
}
OUTBOX_STATES = {"pending": N_("待发送"), "sending": N_("发送中"), "sent": N_("已发送"), "failed": N_("发送失败")}


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (
        # the unread badge on every page, and each user's list newest first
        Index("ix_notification_unread", "user_id", postgresql_where=text("read_at IS NULL"),
              sqlite_where=text("read_at IS NULL")),
        Index("ix_notification_user_created", "user_id", "created_at"),
        Index("ix_notification_kind_link", "kind", "link"),  # report reminders sent for a month (/reports/status)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="other")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column()

    @property
    def kind_label(self) -> str:
        return NOTIFICATION_KINDS.get(self.kind, self.kind)


class OutboxMessage(Base):
    """A message for an external channel (e-mail, SMS), written in the same transaction as the notification and
    sent later by `matchmaker send-outbox`, so nothing is sent inside a request's transaction."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"))
    channel: Mapped[str] = mapped_column(String(16))  # "email" / "sms"
    recipient: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # OUTBOX_STATES
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_at: Mapped[datetime | None] = mapped_column()  # when a sender took it (status "sending")
    next_attempt_at: Mapped[datetime | None] = mapped_column()  # a failed message waits until then (back-off)
    sent_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(Text, default="")

    @property
    def status_label(self) -> str:
        return OUTBOX_STATES.get(self.status, self.status)


class NotificationPreference(Base):
    """Where a user wants external notices: an e-mail address and a mobile number (blank = not by that channel).
    Without a row, SMS goes to the account's phone and no e-mail is sent."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    email: Mapped[str] = mapped_column(String(200), default="")
    sms_phone: Mapped[str] = mapped_column(String(30), default="")
    sms_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

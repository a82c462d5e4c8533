"""API access: bearer tokens of a bank or of the district (only a hash is stored) and the answers kept for
idempotency keys."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..text import N_
from .banks import Bank
from .base import Base, JSONType, utcnow
from .users import User

SCOPES = {
    "leads:read": N_("读取线索"),
    "leads:write": N_("处理线索（认领、联系、审查、审批、拒绝、放款）"),
    "reports:write": N_("报送月度数据"),
    "requests:read": N_("读取融资需求"),
    "district:read": N_("读取全区数据（银行数据、白名单、通报）"),
}
BANK_SCOPES = ("leads:read", "leads:write", "reports:write")
DISTRICT_SCOPES = ("leads:read", "requests:read", "district:read")


class ApiToken(Base):
    """A bearer token. It acts through its own account (`user`, never able to sign in), so the history names
    the token and the same visibility and lifecycle rules as the pages apply."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the whole token
    prefix: Mapped[str] = mapped_column(String(16))  # first characters, to recognise a token in lists
    owner: Mapped[str] = mapped_column(String(16))  # bank / district
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("bank.id"), index=True)
    scopes: Mapped[list] = mapped_column(JSONType, default=list)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    bank: Mapped[Bank | None] = relationship(lazy="joined")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now

    def status_label(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return N_("已撤销")
        return N_("已过期") if self.expires_at <= now else N_("有效")


class ApiIdempotency(Base):
    """The first answer to a POST made with an Idempotency-Key, returned again for a retry with that key."""

    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("token_id", "key", name="uq_api_idempotency_token_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id"))
    key: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of method, path and body
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


WEBHOOK_EVENTS = {
    "lead.new": N_("新线索推送到本行"),
    "lead.released": N_("线索被释放（企业接受了他行方案或撤回需求）"),
    "offer.accepted": N_("企业接受了本行授信方案"),
}


class WebhookEndpoint(Base):
    """A bank system's URL that receives lead events, signed with the endpoint's secret (HMAC-SHA256). The
    secret must be kept to sign, so it is stored as given; it is shown in full only when made."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id"), index=True)
    url: Mapped[str] = mapped_column(String(180))
    secret: Mapped[str] = mapped_column(String(64))
    events: Mapped[list] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    bank: Mapped[Bank] = relationship(lazy="joined")

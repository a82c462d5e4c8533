"""Accounts: one user with one role, tied to a firm, a bank or a township where the role needs it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..text import N_
from .banks import Bank
from .base import Base, utcnow
from .firms import Firm
from .places import Township

# Labels are Chinese msgids: shown through gettext (the `t` filter in templates).
ROLES = {
    "enterprise": N_("企业用户"),
    "bank_manager": N_("客户经理"),
    "bank_admin": N_("支行管理员"),
    "township": N_("镇街/金融辅导队"),
    "district": N_("区地方金融监管局"),
}
BANK_ROLES = ("bank_manager", "bank_admin")


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), index=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firm.id"), index=True)
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("bank.id"), index=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()
    # Sign-in cookies carry this number; raising it (logout, password change, deactivation) voids them all.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    password_changed_at: Mapped[datetime | None] = mapped_column()
    # The language the user chose in the navigation (matchmaker/web/i18n.py LOCALES); None: not chosen yet.
    locale: Mapped[str | None] = mapped_column(String(16))

    firm: Mapped[Firm | None] = relationship(lazy="joined")
    bank: Mapped[Bank | None] = relationship(lazy="joined")
    township: Mapped[Township | None] = relationship(lazy="joined")

    # Flask-Login protocol, written out so models need no Flask import.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # Flask-Login's alternative id (domain/accounts/sessions.py): set per sign-in, checked on every request.
        return getattr(self, "login_id", None) or f"{self.id}:{self.session_version}"

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def is_bank(self) -> bool:
        return self.role in BANK_ROLES

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"

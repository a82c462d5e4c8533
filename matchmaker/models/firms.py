"""Firms (企业): one record per firm, keyed by its unified social credit code where known."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..text import N_
from .base import Base, utcnow
from .places import Township

# Labels are Chinese msgids (shown through gettext: the `t` filter, web/fields.py choices).
FIRM_SIZES = {"micro": N_("微型"), "small": N_("小型"), "medium": N_("中型"), "large": N_("大型")}
TAX_CREDIT_GRADES = ("A", "B", "M", "C", "D")
INDUSTRIES = {
    "new_materials": N_("新材料"),
    "water_treatment": N_("环保水处理剂"),
    "textiles": N_("高端纺织服装"),
    "health_devices": N_("大健康医疗器械"),
    "chemicals": N_("化工"),
    "machinery": N_("机械制造"),
    "food": N_("食品加工"),
    "construction": N_("建材建筑"),
    "agriculture": N_("现代农业"),
    "services": N_("商贸服务"),
    "it": N_("信息技术"),
    "other": N_("其他"),
}


class Firm(Base):
    __tablename__ = "firm"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_pinyin: Mapped[str] = mapped_column(String(800), default="")
    name_initials: Mapped[str] = mapped_column(String(200), default="", index=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"), index=True)
    industry: Mapped[str] = mapped_column(String(32), default="other")
    size: Mapped[str] = mapped_column(String(16), default="small")
    founded_year: Mapped[int | None] = mapped_column(Integer)
    has_bank_loan: Mapped[bool] = mapped_column(Boolean, default=False)
    tax_credit_grade: Mapped[str | None] = mapped_column(String(2))
    existing_bank_debt: Mapped[int | None] = mapped_column(BigInteger)  # 元 of bank loans outstanding; None = not given
    contact_person: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)  # kept exports, figures' stamp

    township: Mapped[Township | None] = relationship(lazy="joined")

    @property
    def industry_label(self) -> str:
        return INDUSTRIES.get(self.industry, self.industry)

    @property
    def size_label(self) -> str:
        return FIRM_SIZES.get(self.size, self.size)

    @property
    def is_first_loan_candidate(self) -> bool:
        return not self.has_bank_loan

    def __repr__(self) -> str:
        return f"<Firm {self.name}>"

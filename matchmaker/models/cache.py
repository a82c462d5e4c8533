"""Figures computed once and shared by every process serving the database: one row per figure set, valid while
its stamp (a digest of what the figures are counted from) holds. A cache only: deleting every row changes nothing
but the time of the next view."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class FigureCache(Base):
    __tablename__ = "figure_cache"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)  # e.g. platform_figures:2026-01-01:2027-01-01
    stamp: Mapped[str] = mapped_column(String(64))  # sha256 of the inputs' stamp
    data: Mapped[str] = mapped_column(Text)  # JSON text, decoded by the owner of the key
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Townships (镇街) of Shizhong District."""
from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Township(Base):
    __tablename__ = "township"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "subdistrict" (街道) or "town" (镇)

    def __repr__(self) -> str:
        return f"<Township {self.name}>"

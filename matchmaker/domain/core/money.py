"""Money as text: integer 元 shown in 万元, computed with Decimal (never float)."""
from __future__ import annotations

from decimal import Decimal


def wan_text(yuan, places: int = 2) -> str:
    """1234500 元 -> '123.45' (万元, thousands separated); places=0 rounds to whole 万元."""
    value = (Decimal(int(yuan or 0)) / Decimal(10000)).quantize(Decimal(1).scaleb(-places))
    return f"{value:,}"

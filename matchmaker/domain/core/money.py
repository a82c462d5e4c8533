"""Money as text: integer 元 shown in 万元 or 亿元, computed with Decimal (never float)."""
from __future__ import annotations

from decimal import Decimal


def wan_text(yuan, places: int = 2) -> str:
    """1234500 元 -> '123.45' (万元, thousands separated); places=0 rounds to whole 万元."""
    value = (Decimal(int(yuan or 0)) / Decimal(10000)).quantize(Decimal(1).scaleb(-places))
    return f"{value:,}"


YI = 10**8


def amount_text(yuan) -> str:
    """The platform's one way to show an amount with its unit: from 1 亿元 up in 亿元 with two decimals
    ('1.23 亿元'), below that in 万元 ('800 万元', '12.5 万元'). None -> '—'."""
    if yuan is None:
        return "—"
    yuan = int(yuan)
    if abs(yuan) >= YI:
        return f"{(Decimal(yuan) / YI).quantize(Decimal('0.01')):,} 亿元"
    text = wan_text(yuan)
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return f"{text} 万元"

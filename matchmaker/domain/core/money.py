"""Money and rates as text: the platform's one rule for showing an amount (integer 元 in 亿元 from 1 亿 up, in
万元 below) and for showing a percentage or a score (two decimals), computed with Decimal (never float)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

WAN = 10**4
YI = 10**8
CENT = Decimal("0.01")


def wan_text(yuan, places: int = 2) -> str:
    """1234500 元 -> '123.45' (万元, thousands separated); places=0 rounds to whole 万元. For sentences that already
    name the unit (notifications, history notes); pages use amount_text."""
    value = (Decimal(int(yuan or 0)) / WAN).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{value:,}"


def _in_yi(yuan: int) -> bool:
    """Whether an amount reads in 亿元: its value in 万元, rounded as shown, reaches 10,000."""
    return abs((Decimal(yuan) / WAN).quantize(CENT, rounding=ROUND_HALF_UP)) >= WAN


def amount_text(yuan) -> str:
    """The platform's one way to show an amount with its unit: from 1 亿元 up in 亿元 with two decimals
    ('1.23 亿元'), below that in 万元 with at most two decimals and no trailing zeros ('800 万元', '12.5 万元').
    The unit is chosen on the rounded value, so 99,999,999 元 reads '1.00 亿元', never '10,000 万元'. None -> '—'."""
    if yuan is None or yuan == "":
        return "—"
    yuan = int(yuan)
    if _in_yi(yuan):
        return f"{(Decimal(yuan) / YI).quantize(CENT, rounding=ROUND_HALF_UP):,} 亿元"
    text = f"{(Decimal(yuan) / WAN).quantize(CENT, rounding=ROUND_HALF_UP):,}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return f"{'0' if text in ('-0', '') else text} 万元"


def chart_unit(values) -> tuple[int, str]:
    """The unit a chart's amount axis uses, by the same rule: 亿元 when its largest amount reaches 1 亿, else 万元.
    Returns (元 per unit, unit label)."""
    top = max((abs(int(v)) for v in values if v is not None), default=0)
    return (YI, "亿元") if _in_yi(top) else (WAN, "万元")


def rate_text(value, unit: str = "%", places: int = 2) -> str:
    """A percentage ('12.35%') or, with unit='', a score ('98.75'): `places` decimals, half up. Accepts numbers or
    numeric text; None or '' -> '—'; text that is not a number is shown as it is."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation:
        return str(value)
    return f"{number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}{unit}"

"""Money and rates as text: the platform's one rule for showing an amount (integer 元 in 亿元 from 1 亿 up, in
万元 below) and for showing a percentage or a score (two decimals), computed with Decimal (never float).

In English (issue 19) an amount reads in banking shorthand, thousands, millions and billions: "CNY 125k",
"CNY 8m", "CNY 12.35m", "CNY 1.23bn". Why not "125 ×10k CNY" or "1.25 hundred million CNY": Chinese groups digits
by 10⁴ (万, 亿) and English readers by 10³, so a literal 万元 makes the reader multiply in their head, and "1.23
亿" has no English word at all; k / m / bn is what a UK or US bank officer writes in a credit memo and reads at a
glance. The currency goes first as an ISO code (CNY, not ¥, which also means yen). The resolution stays close to
the Chinese one: the unit is chosen on the rounded value (999,999,999 元 reads "CNY 1bn", not "CNY 1,000m"),
thousands keep one decimal (100 元, like 0.01 万元), millions and billions two. Forms still take amounts in 万元
(labelled "Amount (CNY 10k)" in English): that is what banks and firms type from their own papers.

Text for a file or a notice is Chinese unless a `locale` is given (the xlsx exports and the history notes stay
as they are); pages pass the reader's locale (web/filters.py `money`)."""
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


def is_english(locale: str | None) -> bool:
    """Whether `locale` reads amounts the English way (None and any zh* read them the Chinese way)."""
    return bool(locale) and not str(locale).startswith("zh")


# English units, largest first: (元 per unit, suffix, decimals shown at most)
_EN_UNITS = ((10**9, "bn", 2), (10**6, "m", 2), (10**3, "k", 1), (1, "", 0))


def _plain(value: Decimal) -> str:
    text = f"{value:,}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("-0", "") else text


def _english_amount(yuan: int) -> str:
    """'CNY 125k', 'CNY 8m', 'CNY 1.23bn', 'CNY 800': the largest unit the amount reaches, chosen on the rounded
    value (999,960 元 is 'CNY 1m', not 'CNY 1,000k')."""
    amount = Decimal(yuan)
    for i, (per, suffix, places) in enumerate(_EN_UNITS):
        if abs(amount) < per and per > 1:
            continue
        value = (amount / per).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if i > 0 and abs(value) * per >= _EN_UNITS[i - 1][0]:  # rounds up into the next unit
            per, suffix, places = _EN_UNITS[i - 1]
            value = (amount / per).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        return f"CNY {_plain(value)}{suffix}"
    return "CNY 0"  # pragma: no cover - the last unit takes every amount


def amount_text(yuan, locale: str | None = None) -> str:
    """The platform's one way to show an amount with its unit: from 1 亿元 up in 亿元 with two decimals
    ('1.23 亿元'), below that in 万元 with at most two decimals and no trailing zeros ('800 万元', '12.5 万元').
    The unit is chosen on the rounded value, so 99,999,999 元 reads '1.00 亿元', never '10,000 万元'. None -> '—'.
    With an English `locale`: 'CNY 1.23bn', 'CNY 8m', 'CNY 125k' (see the module's docstring)."""
    if yuan is None or yuan == "":
        return "—"
    yuan = int(yuan)
    if is_english(locale):
        return _english_amount(yuan)
    if _in_yi(yuan):
        return f"{(Decimal(yuan) / YI).quantize(CENT, rounding=ROUND_HALF_UP):,} 亿元"
    text = f"{(Decimal(yuan) / WAN).quantize(CENT, rounding=ROUND_HALF_UP):,}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return f"{'0' if text in ('-0', '') else text} 万元"


def chart_unit(values, locale: str | None = None) -> tuple[int, str]:
    """The unit a chart's amount axis uses, by the same rule: 亿元 when its largest amount reaches 1 亿, else 万元.
    Returns (元 per unit, unit label). With an English `locale` the axis is in the unit `amount_text` would show
    its largest amount in: "CNY bn", "CNY m" or "CNY k" (a chart of small amounts stays in thousands)."""
    top = max((abs(int(v)) for v in values if v is not None), default=0)
    if is_english(locale):
        shown = _english_amount(top)
        for per, suffix, _places in _EN_UNITS[:3]:
            if shown.endswith(suffix):
                return per, f"CNY {suffix}"
        return 10**3, "CNY k"
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

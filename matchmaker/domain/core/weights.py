"""Weights the district sets for a score (routing's recommendation, the firm portrait): one rule for what a weight
may be, whichever score it is for."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from .errors import DomainError

MAX_WEIGHT = 100


def validate_weights(values: dict, keys: Iterable[str], all_zero: str) -> dict[str, float]:
    """Each of `keys` 0–100 (at most 2 decimals), not all zero (`all_zero` says why, on the first key's field).
    Errors name the part's field."""
    keys = list(keys)
    cleaned: dict[str, float] = {}
    for key in keys:
        try:
            value = Decimal(str(values.get(key)).strip())
        except Exception:
            raise DomainError("请填写0–100之间的数字", field=key) from None
        if not value.is_finite() or not Decimal(0) <= value <= MAX_WEIGHT:
            raise DomainError("权重应在0–100之间", field=key)
        if value != value.quantize(Decimal("0.01")):
            raise DomainError("权重最多保留2位小数", field=key)
        cleaned[key] = int(value) if value == value.to_integral_value() else float(value)
    if not any(cleaned.values()):
        raise DomainError(all_zero, field=keys[0])
    return cleaned

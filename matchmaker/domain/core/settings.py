"""Read and write run-time settings kept in the database, falling back to defaults."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ...models import Setting

DEFAULTS: dict[str, Any] = {
    "routing_weights": {
        "product_fit": 30,
        "whitelist": 20,
        "target_gap": 15,
        "speed": 15,
        "workload": 10,
        "nearby": 10,
    },
    "routing_fanout": 3,
}


def get(session: Session, key: str) -> Any:
    row = session.get(Setting, key)
    if row is None or row.value is None:
        return DEFAULTS.get(key)
    return row.value


def put(session: Session, key: str, value: Any) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value

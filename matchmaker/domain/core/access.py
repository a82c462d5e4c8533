"""Reading one row on behalf of a user: missing is a 404 with the thing named, not allowed a 403 with the reason,
the same two answers on every page and API endpoint."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from .errors import Forbidden, NotFound

T = TypeVar("T")


def get_allowed(session: Session, model: type[T], row_id: int, may: Callable[[T], bool], *, missing: str,
                refused: str) -> T:
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(missing)
    if not may(row):
        raise Forbidden(refused)
    return row

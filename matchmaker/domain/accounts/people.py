"""Which accounts are people: every account but the ones API tokens act through. Those are managed on the token
pages and never listed with the staff, notified, or made the owner of an event's lead."""
from __future__ import annotations

from sqlalchemy import ColumnElement, exists

from ...models import ApiToken, User


def people() -> ColumnElement[bool]:
    return ~exists().where(ApiToken.user_id == User.id)

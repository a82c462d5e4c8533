"""Helpers for the API tests: make a token through the domain and call the API with it."""
from __future__ import annotations

from matchmaker.domain.api import tokens


def make_token(db, owner_user, scopes=None, days: int = 30, name: str = "核心系统") -> str:
    """A raw token made by `owner_user` (a bank admin or the district), committed."""
    owner, _ = tokens.owner_of(owner_user)
    scopes = scopes or list(tokens.allowed_scopes(owner))
    _, raw = tokens.create(db, owner_user, name, scopes, days)
    db.commit()
    return raw


def auth(raw: str, **headers) -> dict:
    return {"Authorization": f"Bearer {raw}", **headers}

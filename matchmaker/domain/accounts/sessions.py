"""Sign-in sessions. A sign-in cookie (the session's and the remember-me one) carries a login id
"user id:session version:issued at:nonce", new at every sign-in. It is good only while the user is active, the
version is the user's current one and it was issued less than the login lifetime ago, so raising the version
(logout, password change or reset, deactivation) voids every cookie issued before, at once. Plus the idle rule."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from ...models import User


def _epoch(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1)).total_seconds())


def new_login_id(user: User, now: datetime) -> str:
    """The id a new sign-in's cookies carry (a random part makes each sign-in's cookie different)."""
    return f"{user.id}:{user.session_version}:{_epoch(now)}:{secrets.token_urlsafe(12)}"


def user_for_login_id(session: Session, login_id: str | None, now: datetime, lifetime: timedelta) -> User | None:
    """The user a cookie's login id signs in, or None when it is malformed, of an older version, too old, or the
    user is deactivated."""
    parts = (login_id or "").split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
        return None
    user_id, version, issued = (int(p) for p in parts[:3])
    if user_id > 2**63 - 1:
        return None
    if _epoch(now) - issued > lifetime.total_seconds():
        return None
    user = session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def end_all_sessions(session: Session, user_id: int) -> None:
    """Void every cookie of the user (logout ends the sign-in on every device)."""
    session.execute(update(User).where(User.id == user_id)
                    .values(session_version=User.session_version + 1)
                    .execution_options(synchronize_session=False))


def is_idle(last_seen: int | None, now: datetime, idle_minutes: int) -> bool:
    """Whether a session last used at epoch second `last_seen` has been idle longer than allowed (0: never)."""
    if not idle_minutes or last_seen is None:
        return False
    return _epoch(now) - last_seen > idle_minutes * 60


def seen_at(now: datetime) -> int:
    """What to store as a session's last use."""
    return _epoch(now)

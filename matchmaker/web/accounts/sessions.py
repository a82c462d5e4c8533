"""Sign-in sessions on the web: the user loader that checks a cookie's login id, a fresh login id at every
sign-in (so each sign-in's cookies differ), logout that ends the user's sessions everywhere, the idle timeout,
and the forced password change after a reset. The rules are in domain/accounts/sessions.py."""
from __future__ import annotations

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user, user_logged_in

from ...db import get_session
from ...domain.accounts import sessions as rules
from ...extensions import login_manager
from ...models import utcnow

# Pages a user who must change a temporary password may still open.
OPEN_WHILE_MUST_CHANGE = frozenset({"account.password", "auth.logout", "static", "health.healthz"})
UNWATCHED = frozenset({"static", "health.healthz"})


def register(app: Flask) -> None:
    @login_manager.user_loader
    def _load_user(login_id: str):
        return rules.user_for_login_id(get_session(), login_id, utcnow(),
                                       current_app.config["REMEMBER_COOKIE_DURATION"])

    @user_logged_in.connect_via(app)
    def _fresh_login_id(sender, user, **extra):
        # Flask-Login keeps get_id() in the session and the remember cookie; a new id per sign-in rotates both.
        session["_user_id"] = rules.new_login_id(user, utcnow())
        session["_last_seen"] = rules.seen_at(utcnow())

    app.before_request(_watch_session)


def sign_out() -> None:
    """End the current user's sign-in on every device (their session version goes up) and here."""
    if current_user.is_authenticated:
        db = get_session()
        rules.end_all_sessions(db, current_user.id)
        db.commit()
    logout_user()
    session.pop("_last_seen", None)


def _watch_session():
    if request.endpoint in UNWATCHED or not current_user.is_authenticated:
        return None
    now = utcnow()
    if rules.is_idle(session.get("_last_seen"), now, current_app.config["IDLE_MINUTES"]):
        # Only this browser: the user's sessions elsewhere were not idle.
        logout_user()
        session.pop("_last_seen", None)
        flash("长时间未操作，已自动退出，请重新登录", "warning")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    seen = rules.seen_at(now)
    if seen - (session.get("_last_seen") or 0) >= 60:  # at most one cookie update a minute
        session["_last_seen"] = seen
    if current_user.must_change_password and request.endpoint not in OPEN_WHILE_MUST_CHANGE:
        flash("您的密码已被重置，请先设置新密码", "warning")
        return redirect(url_for("account.password"))
    return None

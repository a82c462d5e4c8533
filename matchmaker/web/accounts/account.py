"""Account pages: everyone changes their own password (修改密码); the district, and a bank admin for its own
bank's managers, deactivate, reactivate and reset accounts (buttons on 账户管理 and 客户经理)."""
from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user

from ...domain.accounts import control
from ...domain.accounts import passwords as policy
from ...domain.core.errors import DomainError
from ...extensions import limiter
from ..common import roles_required, run_action, run_form, safe_next, session
from ..i18n import error_text
from .forms import PasswordChangeForm

bp = Blueprint("account", __name__)
MANAGERS = ("district", "bank_admin")


def _password_limit() -> str:
    return current_app.config["PASSWORD_RATE_LIMIT"]


def _back() -> str:
    fallback = url_for("district.users") if current_user.role == "district" else url_for("bank.managers")
    return safe_next(request.form.get("next")) or fallback


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_password_limit, methods=["POST"])
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
        user = run_form(form, lambda db: control.change_password(db, current_user.id, form.old_password.data,
                                                                  form.new_password.data))
        if user is not None:
            login_user(user, remember=remembered)  # this browser stays signed in, with a new login id
            flash(gettext("密码已修改；本账户在其他设备上的登录已结束"), "success")
            return redirect(url_for("main.index"))
    return render_template("account/password.html", form=form, min_length=policy.MIN_LENGTH)


@bp.get("/accounts/history")
@roles_required(*MANAGERS)
def history():
    rows = control.account_history(session(), current_user)
    return render_template("account/history.html", rows=rows, events=control.ACCOUNT_EVENTS)


@bp.post("/accounts/<int:user_id>/deactivate")
@roles_required(*MANAGERS)
def deactivate(user_id: int):
    return run_action(lambda db: control.deactivate(db, current_user, user_id),
                      gettext("账户已停用，其登录已立即失效"), _back())


@bp.post("/accounts/<int:user_id>/reactivate")
@roles_required(*MANAGERS)
def reactivate(user_id: int):
    return run_action(lambda db: control.reactivate(db, current_user, user_id), gettext("账户已启用"), _back())


@bp.post("/accounts/<int:user_id>/reset-password")
@roles_required(*MANAGERS)
@limiter.limit(_password_limit, methods=["POST"])
def reset_password(user_id: int):
    db = session()
    try:
        target = control.managed_user(db, current_user, user_id)
        temporary = control.reset_password(db, current_user, user_id)
    except DomainError as exc:
        db.rollback()
        if exc.status in (403, 404):
            abort(exc.status, error_text(exc))
        flash(error_text(exc), "danger")
        return redirect(_back())
    db.commit()
    # Shown once, in this response only: not flashed (the session cookie is only signed) and not cached.
    response = make_response(render_template("account/temporary_password.html", target=target,
                                             temporary=temporary, back=_back()))
    response.headers["Cache-Control"] = "no-store"
    return response

"""Sign in and out, and enterprise self-registration."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_user

from ...domain.accounts import users as accounts
from ...domain.core.errors import DomainError
from ...domain.firms import claims
from ...extensions import limiter
from ..common import apply_domain_error, safe_next, session
from ..fields import township_choices
from ..firms.pages import claims_dir
from ..i18n import with_data
from .forms import LoginForm, RegisterForm
from .sessions import sign_out

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        db = session()
        user = accounts.authenticate(db, form.username.data, form.password.data)
        if user is None:
            form.password.errors.append(gettext("用户名或密码错误"))
        else:
            db.commit()
            login_user(user, remember=form.remember.data)
            flash(with_data(gettext("欢迎，%(name)s"), name=user.display_name), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    sign_out()
    flash(gettext("已退出登录（本账户在其他设备上的登录也已结束）"), "info")
    return redirect(url_for("auth.login"))


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register():
    form = RegisterForm()
    form.township_id.choices = township_choices()
    if form.validate_on_submit():
        db = session()
        try:
            user = claims.register(
                db, licence_dir=claims_dir(), licence=form.licence.data.stream if form.licence.data else None,
                claim_code=form.claim_code.data or "", username=form.username.data, password=form.password.data, uscc=form.uscc.data,
                name=form.name.data, township_id=form.township_id.data, contact_person=form.contact_person.data,
                contact_phone=form.contact_phone.data, industry=form.industry.data, size=form.size.data,
                founded_year=form.founded_year.data, has_bank_loan=form.has_bank_loan.data,
                tax_credit_grade=form.tax_credit_grade.data or None)
        except DomainError as exc:
            db.rollback()
            apply_domain_error(exc, form)
        else:
            db.commit()
            login_user(user)
            flash(gettext("注册成功，现在可以发起融资需求") if user.firm_id
                  else gettext("注册成功。该企业已在平台登记，认领申请待镇街审核"), "success")
            return redirect(url_for("enterprise.dashboard"))
    return render_template("auth/register.html", form=form)

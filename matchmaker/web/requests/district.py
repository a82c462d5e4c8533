"""The district finance office's pages: dashboard, firms, banks with targets, accounts."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, select

from ...domain.accounts import users as accounts
from ...domain.accounts.people import people
from ...domain.banks import platform_figures
from ...domain.core import reference
from ...domain.core.errors import DomainError
from ...domain.firms import records as firm_rules
from ...domain.requests import dashboard as figures
from ...models import Bank, BankTarget, Lead, Product, Township, User
from ...models.requests import OPEN_LEAD_STATES
from ...text import N_
from .. import i18n
from ..accounts.forms import CreateUserForm
from ..banks.helpers import today
from ..common import apply_sort, paginate, roles_required, run_form, session
from ..fields import bank_choices, township_choices
from . import dashboard_charts
from .township import filtered_firms

bp = Blueprint("district", __name__, url_prefix="/district")


@bp.get("/")
@roles_required("district")
def dashboard():
    db = session()
    args = request.args
    asked = {name: (args.get(name) or "")[:40] for name in ("period", "key", "start", "end")}
    error = None
    try:
        window = figures.window_from(asked["period"] or None, asked["key"], asked["start"], asked["end"])
    except DomainError as exc:
        error = {"field": exc.field or "period", "message": exc.message}
        flash(f"统计期间有误：{exc.message}。下面显示全部时间的数据。", "warning")
        window = figures.ALL_TIME
    banks = figures.by_bank(db, window)
    claim_days = platform_figures.claim_workdays_by_bank(db, window.start, window.end)  # the bulletins' figure
    for b in banks:
        b["claim_days"] = claim_days.get(b["bank_id"])
    townships = figures.by_township(db, window)
    steps = figures.funnel(db, window=window)
    trend = figures.monthly_trend(db, figures.trend_months(window, today()))
    active = [b for b in banks if b["active"]]
    charts = {"funnel": dashboard_charts.funnel(steps), "trend": dashboard_charts.trend(trend),
              "townships": dashboard_charts.by_township(townships), "banks": dashboard_charts.by_bank(active),
              "claim": dashboard_charts.claim_days(active)}
    return render_template("district/dashboard.html", window=window, kinds=figures.PERIOD_KINDS, asked=asked,
                           period_error=error,
                           states=figures.requests_by_state(db, window=window),
                           amounts=figures.amounts(db, window=window), banks=banks, townships=townships,
                           steps=steps, trend=trend, charts=charts)


@bp.get("/firms")
@roles_required("district")
def firms():
    query = firm_rules.visible_firms(current_user)
    if request.args.get("township", type=int):
        query = query.where(firm_rules.Firm.township_id == request.args.get("township", type=int))
    page = paginate(filtered_firms(query), current_app.config["PAGE_SIZE"])
    townships = session().scalars(select(Township).order_by(Township.id)).all()
    return render_template("firms/index.html", page=page, show_township=True, townships=townships)


@bp.get("/banks")
@roles_required("district")
def banks():
    """The bank directory: branch, staff, products, open leads and the appendix targets (progress and the
    appendix's totals are on the 目标与进度 page)."""
    db = session()
    rows = db.scalars(select(Bank).order_by(Bank.seq)).all()
    targets = {(t.bank_id, t.year): t for t in db.scalars(select(BankTarget))}
    staff = dict(db.execute(select(User.bank_id, func.count()).where(User.bank_id.is_not(None))
                            .group_by(User.bank_id)).all())
    products = dict(db.execute(select(Product.bank_id, func.count()).where(Product.active.is_(True))
                               .group_by(Product.bank_id)).all())
    open_leads = dict(db.execute(select(Lead.bank_id, func.count()).where(Lead.state.in_(OPEN_LEAD_STATES))
                                 .group_by(Lead.bank_id)).all())
    return render_template("district/banks.html", banks=rows, targets=targets, years=reference.APPENDIX_YEARS,
                           staff=staff, products=products, open_leads=open_leads)


def _create_user(db, form: CreateUserForm) -> User:
    if form.role.data == "enterprise":
        raise DomainError("企业账户请由企业自行注册", field="role")
    return accounts.create_user(db, form.username.data, form.password.data, form.role.data,
                                display_name=form.display_name.data or "", bank_id=form.bank_id.data,
                                township_id=form.township_id.data, phone=form.phone.data or "", actor=current_user)


@bp.route("/users", methods=["GET", "POST"])
@roles_required("district")
def users():
    form = CreateUserForm()
    form.bank_id.choices = bank_choices(N_("（银行用户必选）"))
    form.township_id.choices = township_choices(N_("（镇街用户必选）"))
    if form.validate_on_submit() and run_form(form, lambda db: _create_user(db, form)):
        flash(i18n.with_data(gettext("账户 %(name)s 已创建"), name=form.username.data), "success")
        return redirect(url_for("district.users"))
    query = apply_sort(select(User).where(people()), {"username": User.username, "role": User.role, "created": User.created_at},
                       "role")
    role = request.args.get("role")
    if role:
        query = query.where(User.role == role)
    page = paginate(query, 50)
    return render_template("district/users.html", page=page, form=form)

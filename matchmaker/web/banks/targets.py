"""目标与进度: each bank's appendix targets next to its latest figures, progress and gap; the district goals
panel; the appendix's own totals against the sums of its rows."""
from __future__ import annotations

from decimal import Decimal

from babel.dates import format_date
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from ...domain.banks import baselines, monthly_reports, targets
from ...domain.core.errors import DomainError
from ...models import Bank, BankTarget
from .. import nav
from ..common import roles_required, session
from ..i18n import data, error_text, is_chinese, locale
from .forms import ActionForm
from .helpers import register_filters, target_chart, today

bp = Blueprint("targets", __name__, url_prefix="/targets")
register_filters(bp)
nav.add("district", "targets.index", "目标与进度", "bullseye")


@bp.get("/")
@roles_required("district")
def index():
    db = session()
    years = sorted(set(targets.report_years(db)) | set(targets.target_years(db)) | {today().year}, reverse=True)
    year = request.args.get("year", type=int) or years[0]
    if not 2000 <= year <= 2100:
        abort(404)
    rows = targets.latest_progress(db, year, locale=locale())
    sort = request.args.get("sort", "seq")
    keys = {"seq": lambda r: r["seq"], "completion": lambda r: -Decimal(r["completion_pct"] or -1),
            "schedule": lambda r: -Decimal(r["schedule_pct"] or -1), "gap": lambda r: -(r["industrial_gap"] or 0)}
    rows.sort(key=keys.get(sort, keys["seq"]))
    district = targets.totals(rows, locale())
    return render_template("targets/index.html", rows=rows, year=year, years=years, district=district, sort=sort,
                           has_targets=any(r["target_industrial"] is not None for r in rows),
                           goals=targets.goals_panel(db, district, locale(), mark=data),
                           appendix=targets.appendix_check(db, locale()),
                           base_month_label=month_label(baselines.base_month(db)),
                           charts={"targets": target_chart(sorted(rows, key=lambda r: r["seq"]))})


def _save_table(db, errors: dict, save, done) -> bool:
    """Save a table of per-bank figures in one transaction: True (and a flash `done(changed)` naming how many banks
    changed), or False with the field the domain refused in `errors`."""
    try:
        changed = save()
        db.commit()
    except DomainError as exc:
        db.rollback()
        errors[exc.field or "year"] = error_text(exc)
        return False
    flash(done(changed), "success")
    return True


@bp.route("/edit/<int:year>", methods=["GET", "POST"])
@roles_required("district")
def edit(year: int):
    """The district enters (or corrects) every bank's targets for a year: industrial loans (亿元) and LDR (%)."""
    if not 2021 <= year <= 2100:
        abort(404)
    db = session()
    form = ActionForm()
    banks = db.scalars(select(Bank).where(Bank.active.is_(True)).order_by(Bank.seq)).all()
    have = {t.bank_id: t for t in db.scalars(select(BankTarget).where(BankTarget.year == year))}
    if request.method == "POST":
        values = {b.id: (request.form.get(f"ind_{b.id}", ""), request.form.get(f"ldr_{b.id}", "")) for b in banks}
    else:
        values = {b.id: (have[b.id].industrial_loans_yi, have[b.id].ldr_pct) if b.id in have else ("", "")
                  for b in banks}
    errors: dict[str, str] = {}
    if request.method == "POST" and form.validate_on_submit():
        saved = _save_table(db, errors, lambda: targets.set_targets(db, current_user, year, values),
                            lambda n: gettext("已保存%(year)s年目标（%(n)s 家银行有变化）", year=year, n=n))
        if saved:
            return redirect(url_for("targets.index", year=year))
    return render_template("targets/edit.html", year=year, banks=banks, values=values, errors=errors, form=form), \
        (422 if errors else 200)


@bp.route("/base", methods=["GET", "POST"])
@roles_required("district")
def base():
    """The district enters (or corrects) each bank's base-period figures: industrial and total loans (亿元) of the
    December before the three-year goals; blank means "use the bank's own report for that month"."""
    db = session()
    form = ActionForm()
    month = baselines.base_month(db)
    banks = db.scalars(select(Bank).where(Bank.active.is_(True)).order_by(Bank.seq)).all()
    have = baselines.entered(db, month)
    reported = {b: r for (b, m), r in monthly_reports.latest(db, [month]).items() if m == month}
    figure = monthly_reports.FIGURE_BY_NAME
    if request.method == "POST":
        values = {b.id: (request.form.get(f"ind_{b.id}", ""), request.form.get(f"loans_{b.id}", "")) for b in banks}
    else:
        values = {b.id: (monthly_reports.from_yuan(figure["industrial_loans"], have[b.id].industrial_loans),
                         monthly_reports.from_yuan(figure["loans"], have[b.id].loans)) if b.id in have else ("", "")
                  for b in banks}
    errors: dict[str, str] = {}
    if request.method == "POST" and form.validate_on_submit():
        if _save_table(db, errors, lambda: baselines.set_base(db, current_user, month, values),
                       lambda n: gettext("已保存%(month)s基期数据（%(n)s 家银行有变化）", month=month_label(month), n=n)):
            return redirect(url_for("targets.base"))
    elif request.method == "POST":
        errors["year"] = gettext("页面已过期，请刷新后重试")
    total = baselines.base_map(db, month)
    return render_template("targets/base.html", month=month, month_label=month_label(month), banks=banks, values=values, errors=errors, form=form,
                           reported=reported, have=have, bases=total, figure=figure,
                           history=_base_history(db),
                           bank_names=dict(db.execute(select(Bank.id, Bank.name)).all())), (422 if errors else 200)


def month_label(month) -> str:
    """A month as the reader's language names it: 2020年12月, December 2020."""
    if is_chinese():
        return f"{month:%Y年%m月}"
    return format_date(month, "MMMM y", locale=locale())


def _base_history(db):
    from ...models import History

    return db.scalars(select(History).where(History.entity == "bank_base").order_by(History.id.desc()).limit(50)).all()

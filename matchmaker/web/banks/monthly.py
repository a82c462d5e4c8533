"""Monthly figures (月度报送): a bank admin types or uploads the month's figures and sees the versions; the
district sees who has not reported by the deadline and reminds them; and the leads behind any platform figure."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from ...domain.banks import (
    bulletins,
    monthly_reports,
    periods,
    platform_figures,
    report_deadlines,
    report_xlsx,
    targets,
)
from ...domain.banks.monthly_reports import NeedsConfirmation, ReportInvalid, UploadRefused
from ...domain.core.errors import DomainError
from ...domain.core.sheets import limits_from
from ...models import Bank
from ...models.requests import DECLINE_REASONS
from .. import i18n, nav
from ..common import Page, apply_domain_error, roles_required, session
from .forms import MonthlyReportForm, RemindForm, UploadForm
from .helpers import fail, register_filters, say
from .helpers import today as _today

bp = Blueprint("reports", __name__, url_prefix="/reports")
register_filters(bp)
nav.add("bank_admin", "reports.index", "月度报送", "clipboard-data")
nav.add("district", "reports.status", "报送情况", "clipboard-check")


def _month(value: str | None) -> date:
    try:
        return periods.parse_month(value)
    except DomainError as exc:
        abort(404, i18n.error_text(exc))


def _recent_months(count: int = 24) -> list[date]:
    current = date(_today().year, _today().month, 1)
    return [periods.add_months(current, -i) for i in range(1, count + 1)]


@bp.get("/")
@roles_required("bank_admin")
def index():
    db = session()
    today = _today()
    months = report_deadlines.bank_months(db, current_user.bank_id, today)
    year = months[0]["month"].year if months else today.year
    mine = next((r for r in targets.latest_progress(db, year) if r["bank_id"] == current_user.bank_id), None)
    behind = bulletins.behind_reasons(mine, i18n.locale()) if mine and mine["behind"] else []
    return render_template("reports/index.html", months=months, progress=mine, year=year, behind=behind)


def _prefill(form: MonthlyReportForm, values: dict[str, int] | None) -> None:
    for f in monthly_reports.FIGURES:
        getattr(form, f.name).data = monthly_reports.from_yuan(f, values[f.name]) if values else None


def _render_submit(month: date, form: MonthlyReportForm, upload_form: UploadForm | None = None,
                   warnings: list | None = None, upload_errors: list | None = None, status: int = 200):
    db = session()
    bank_id = current_user.bank_id
    current = monthly_reports.latest_one(db, bank_id, month)
    previous = monthly_reports.latest_one(db, bank_id, periods.add_months(month, -1))
    upload_form = upload_form or UploadForm(formdata=None, month=periods.month_key(month))
    form.month.data = periods.month_key(month)
    return render_template(
        "reports/submit.html", form=form, upload_form=upload_form, month=month, key=periods.month_key(month),
        current=current, previous=previous, warnings=[say(w) for w in warnings or []],
        upload_errors=[say(e) for e in upload_errors or []],
        deadline=report_deadlines.deadline(db, month), figures=monthly_reports.FIGURES, units=monthly_reports.UNITS,
        jump_pct=monthly_reports.jump_pct(db),
    ), status


def _check_month_or_back(month: date):
    try:
        monthly_reports.check_month(month, _today())
    except DomainError as exc:
        flash(i18n.error_text(exc), "warning")
        return redirect(url_for("reports.index"))
    return None


@bp.route("/submit", methods=["GET", "POST"])
@roles_required("bank_admin")
def submit():
    month = _month(request.form.get("month") if request.method == "POST" else request.args.get("month"))
    back = _check_month_or_back(month)
    if back:
        return back
    db = session()
    form = MonthlyReportForm()
    if request.method == "GET":
        _prefill(form, monthly_reports.values_of(monthly_reports.latest_one(db, current_user.bank_id, month)))
        return _render_submit(month, form)
    if not form.validate_on_submit():
        return _render_submit(month, form, status=422)
    return _save(month, form, form.raw(), form.source.data or "form")


def _save(month: date, form: MonthlyReportForm, raw: dict, source: str, upload_form: UploadForm | None = None):
    db = session()
    try:
        report = monthly_reports.submit(db, current_user, current_user.bank_id, month, raw,
                                        confirm=bool(form.confirm_jump.data), note=form.note.data or "",
                                        source=source)
    except NeedsConfirmation as exc:
        db.rollback()
        form.source.data = source
        return _render_submit(month, form, upload_form, warnings=exc.warnings, status=422)
    except ReportInvalid as exc:
        db.rollback()
        for name, message in exc.errors.items():
            getattr(form, name).errors = list(getattr(form, name).errors) + [say(message)]
        return _render_submit(month, form, upload_form, status=422)
    except DomainError as exc:
        db.rollback()
        if exc.status in (403, 404):
            abort(exc.status, i18n.error_text(exc))
        apply_domain_error(exc, form)
        return _render_submit(month, form, upload_form, status=422)
    db.commit()
    flash(gettext("%(month)s数据已报送（第%(version)s版）", month=periods.month_label(month, i18n.locale()),
                  version=report.version), "success")
    return redirect(url_for("reports.history", bank_id=current_user.bank_id, month_key=periods.month_key(month)))


@bp.post("/upload")
@roles_required("bank_admin")
def upload():
    month = _month(request.form.get("month"))
    back = _check_month_or_back(month)
    if back:
        return back
    db = session()
    upload_form = UploadForm()
    form = MonthlyReportForm(formdata=None)
    # a refused upload shows the figures as they stand (not an empty form) and keeps the note typed
    _prefill(form, monthly_reports.values_of(monthly_reports.latest_one(db, current_user.bank_id, month)))
    if not upload_form.validate_on_submit():
        return _render_submit(month, form, upload_form, status=422)
    bank = db.get(Bank, current_user.bank_id)
    names = {b.name: b.id for b in db.scalars(select(Bank))}
    try:
        values = report_xlsx.parse_xlsx(upload_form.file.data.read(), bank, month, names,
                                        limits=limits_from(current_app.config))
    except UploadRefused as exc:
        return _render_submit(month, form, upload_form, upload_errors=exc.errors, status=422)
    for name, value in values.items():
        getattr(form, name).data = value
    form.note.data = upload_form.note.data
    return _save(month, form, values, "upload", upload_form)


@bp.get("/template.xlsx")
@roles_required("bank_admin")
def template():
    db = session()
    month = _month(request.args.get("month"))
    bank = db.get(Bank, current_user.bank_id)
    values = monthly_reports.values_of(monthly_reports.latest_one(db, bank.id, month))
    data = report_xlsx.template_xlsx(bank, month, values, i18n.locale())
    filename = f"monthly-report-{bank.seq}-{periods.month_key(month)}.xlsx"
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


@bp.get("/<int:bank_id>/<month_key>")
@roles_required("bank_admin", "district")
def history(bank_id: int, month_key: str):
    db = session()
    try:
        bank = report_deadlines.get_bank(db, current_user, bank_id)
    except DomainError as exc:
        return fail(exc)
    month = _month(month_key)
    versions = monthly_reports.versions(db, bank_id, month)
    published = []
    if current_user.role == "district":
        for b in bulletins.editions(db, "monthly", periods.month_key(month)):
            row = next((r for r in b.data.get("banks", []) if r["bank_id"] == bank_id), None)
            published.append((b, row["version"] if row else None))
    return render_template(
        "reports/history.html", bank=bank, month=month, key=periods.month_key(month), versions=versions,
        changed=monthly_reports.changed_fields(versions), figures=monthly_reports.FIGURES,
        units=monthly_reports.UNITS, sources=monthly_reports.SOURCES, published=published,
        deadline=report_deadlines.deadline(db, month),
        previous=monthly_reports.latest_one(db, bank_id, periods.add_months(month, -1)),
        prev_key=periods.month_key(periods.add_months(month, -1)),
        next_key=periods.month_key(periods.add_months(month, 1)),
    )


@bp.get("/<int:bank_id>/period/<period_key>")
@roles_required("district", "bank_admin")
def period_reports(bank_id: int, period_key: str):
    """A bank's reports over every month of a quarter or year (the drill-down of a period's summed figures such as
    首贷户数), with the period's totals."""
    db = session()
    try:
        bank = report_deadlines.get_bank(db, current_user, bank_id)
        period = periods.parse_any(period_key)
    except DomainError as exc:
        fail(exc)
        abort(404)
    reports = monthly_reports.latest(db, period.months, [bank_id])
    rows = [(m, reports.get((bank_id, m))) for m in period.months]
    totals = {name: sum(getattr(r, name) for _, r in rows if r) for name in ("first_loan_count", "first_loan_amount")}
    return render_template("reports/period.html", bank=bank, period=period, rows=rows, totals=totals,
                           month_key=periods.month_key)


@bp.get("/status")
@roles_required("district")
def status():
    db = session()
    key = request.args.get("month") or periods.month_key(_recent_months(1)[0])
    month = _month(key)
    key = periods.month_key(month)
    due, rows = report_deadlines.status(db, month, _today(), link=url_for("reports.submit", month=key))
    state = request.args.get("state", "")
    shown = [r for r in rows if not state or r.state == state or (state == "missing" and r.report is None)]
    counts = {s: sum(1 for r in rows if r.state == s) for s in report_deadlines.STATUS_LABELS}
    return render_template("reports/status.html", month=month, key=key, deadline=due, rows=shown, all_rows=rows,
                           counts=counts, labels=report_deadlines.STATUS_LABELS, state=state,
                           months=[periods.month_key(m) for m in _recent_months(36)],
                           remind_form=RemindForm(formdata=None, month=key), today=_today())


@bp.post("/remind")
@roles_required("district")
def remind():
    db = session()
    form = RemindForm()
    if not form.validate_on_submit():
        abort(400)
    month = _month(form.month.data)
    key = periods.month_key(month)
    try:
        banks = report_deadlines.remind(db, month, url_for("reports.submit", month=key), today=_today())
    except DomainError as exc:
        flash(i18n.error_text(exc), "warning")
        return redirect(url_for("reports.status", month=key))
    db.commit()
    if banks:
        flash(i18n.with_data(gettext("已提醒 %(n)s 家未报送银行：%(names)s", n=len(banks), names="%(names)s"),
                             names=gettext("、").join(b.name for b in banks)), "success")
    else:
        flash(gettext("该月所有银行均已报送，无需提醒"), "info")
    return redirect(url_for("reports.status", month=key))


LEAD_SORTS = {"created": False, "-created": True}


@bp.get("/leads")
@roles_required("district", "bank_admin")
def leads():
    db = session()
    try:
        period = periods.parse_any(request.args.get("period"))
    except DomainError as exc:
        abort(404, i18n.error_text(exc))
    metric = request.args.get("metric", "received")
    reason = request.args.get("reason") or None
    if metric not in platform_figures.METRICS or (reason and reason not in DECLINE_REASONS):
        abort(404)
    bank_id = request.args.get("bank", type=int)
    if current_user.role == "bank_admin":
        if bank_id not in (None, current_user.bank_id):
            abort(403)
        bank_id = current_user.bank_id
    bank = db.get(Bank, bank_id) if bank_id else None
    if bank_id and bank is None:
        abort(404)
    edition = request.args.get("edition", type=int)
    ids = None
    if edition:  # a published bulletin's figure: the rows frozen with it, not today's
        try:
            ids = bulletins.frozen_drill(db, period, edition, metric, bank_id, reason)
        except DomainError as exc:
            abort(404, i18n.error_text(exc))
    frozen = ids is not None
    if ids is None:
        ids = platform_figures.drill(db, period.start, period.end, metric, bank_id, reason, _today())
    if LEAD_SORTS.get(request.args.get("sort", "created")):
        ids.reverse()
    try:
        number = max(1, int(request.args.get("page", 1)))
    except ValueError:
        number = 1
    per_page = 50
    chunk = ids[(number - 1) * per_page:number * per_page]
    page = Page(items=platform_figures.leads_by_ids(db, chunk), page=number, per_page=per_page, total=len(ids))
    return render_template("reports/leads.html", page=page, period=period, metric=metric, reason=reason, bank=bank,
                           edition=edition if frozen else None,
                           metrics=platform_figures.METRICS, banks=db.scalars(select(Bank).order_by(Bank.seq)).all())

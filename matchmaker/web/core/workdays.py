"""The district's working-day table: add, edit and delete overrides of China's holiday calendar, mark a year as
fully entered, and see which coming days fall outside both the table and the chinese_calendar library (a
warning)."""
from __future__ import annotations

from datetime import date, timedelta

from babel.dates import format_date
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from ...domain.core import workdays
from ...domain.core.errors import DomainError
from ...models import WorkdayOverride
from .. import nav
from ..common import roles_required, run_action, run_form_action, session
from ..i18n import error_text, is_chinese, local_date, locale
from .workday_forms import WorkdayForm

bp = Blueprint("workdays", __name__, url_prefix="/district/workdays")
nav.add("district", "workdays.index", "工作日调休", "calendar3")


@bp.app_template_global()
def workday_coverage() -> workdays.Coverage:
    """Coverage of today + 60 days (once per request), for the district's warning banner."""
    if "workday_coverage" not in g:
        g.workday_coverage = workdays.coverage(session())
    return g.workday_coverage


WEEKDAYS_ZH = "一二三四五六日"


@bp.app_template_global()
def weekday_name(day: date) -> str:
    """The day of the week as the reader's language names it in a table cell (一 … 日, Mon … Sun)."""
    if is_chinese():
        return WEEKDAYS_ZH[day.weekday()]
    return format_date(day, "EEE", locale=locale())


def _special_days(calendar: workdays.Calendar, start: date, days: int = workdays.COVERAGE_DAYS) -> list[dict]:
    """Coming days that differ from plain Monday–Friday (holidays on weekdays, working weekends)."""
    out = []
    for i in range(days + 1):
        day = start + timedelta(days=i)
        working = calendar.is_workday(day)
        source = calendar.source(day)
        if working != (day.weekday() < 5) or source == "table":
            out.append({"day": day, "working": working, "source": source})
    return out


def _year_status(calendar: workdays.Calendar, listed_years: list[int], start: date) -> list[dict]:
    """Each year the district may need to mark: years in its table, marked years, and coming years the library
    does not cover."""
    coming = {d.year for d in calendar.fallback_days(start)}
    years = sorted(set(listed_years) | calendar.complete_years | coming)
    return [{"year": y, "complete": y in calendar.complete_years} for y in years]


def _page(form: WorkdayForm, editing: date | None = None, status: int = 200):
    db = session()
    year = request.args.get("year", type=int)
    if year is not None and not 1900 <= year <= 2100:
        year = None
    rows = workdays.list_overrides(db, year)
    calendar = workdays.load_calendar(db)
    today = workdays.local_date()
    years = sorted({r.day.year for r in workdays.list_overrides(db)})
    return render_template("workdays/index.html", form=form, rows=rows, editing=editing, year=year, years=years,
                           special=_special_days(calendar, today), today=today,
                           year_status=_year_status(calendar, years, today),
                           sources=workdays.SOURCE_LABELS), status


def _save(form: WorkdayForm, original: date | None = None):
    """Save the submitted override (a new one, or the one that was on `original`); None if it was refused."""
    db = session()
    day, working = form.day.data, form.is_workday.data == "1"
    return run_form_action(
        db, form, lambda: workdays.save_override(db, day, form.is_workday.data, form.note.data or "",
                                                 original=original),
        gettext("已保存：%(day)s 上班", day=local_date(day)) if working
        else gettext("已保存：%(day)s 放假", day=local_date(day)), url_for("workdays.index", year=day.year))


@bp.route("/", methods=["GET", "POST"])
@roles_required("district")
def index():
    form = WorkdayForm()
    done = _save(form) if form.validate_on_submit() else None
    return done or _page(form, status=422 if request.method == "POST" else 200)


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404)


@bp.route("/<day>/edit", methods=["GET", "POST"])
@roles_required("district")
def edit(day: str):
    db = session()
    original = _parse_day(day)
    row = db.get(WorkdayOverride, original)
    if row is None:
        abort(404)
    if request.method == "GET":
        form = WorkdayForm(formdata=None, day=row.day, is_workday="1" if row.is_workday else "0", note=row.note)
        return _page(form, editing=original)
    form = WorkdayForm()
    done = _save(form, original) if form.validate_on_submit() else None
    return done or _page(form, editing=original, status=422)


@bp.post("/<day>/delete")
@roles_required("district")
def delete(day: str):
    db = session()
    try:
        workdays.delete_override(db, _parse_day(day))
    except DomainError as exc:
        abort(exc.status, error_text(exc))
    db.commit()
    flash(gettext("已删除 %(day)s 的调休记录，该日按 chinese_calendar（或周一至周五）计算", day=day), "info")
    return redirect(url_for("workdays.index"))


@bp.post("/years/<int:year>/complete")
@roles_required("district")
def mark_year_complete(year: int):
    return _mark_year(year, True)


@bp.post("/years/<int:year>/incomplete")
@roles_required("district")
def mark_year_incomplete(year: int):
    return _mark_year(year, False)


def _mark_year(year: int, complete: bool):
    message = (gettext("已将%(year)s年标记为“全年已录入”：表中未列的日期按周一至周五计算", year=year) if complete
               else gettext("已取消%(year)s年的“全年已录入”标记：表中未列的日期重新按估算处理并提示", year=year))
    return run_action(lambda db: workdays.mark_year(db, year, complete), message, url_for("workdays.index"))

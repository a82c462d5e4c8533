"""月通报 / 季评价 / 年考核 pages (print on A4, download as .xlsx), issuing (freezing) them, what changed since,
and the district's settings: reporting deadline, jump threshold, evaluation weights."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from ...domain.banks import bulletin_xlsx, bulletins, monthly_reports, periods
from ...domain.core.errors import DomainError
from .. import i18n, nav
from ..common import apply_domain_error, roles_required, session
from .forms import ActionForm, RemindForm, SettingsForm, WeightsForm
from .helpers import compliance_chart, fail, funnel_chart, period_from_args, register_filters, score_chart, target_chart
from .helpers import today as _today

bp = Blueprint("bulletins", __name__, url_prefix="/bulletins")
register_filters(bp)
nav.add("district", "bulletins.monthly", "月通报", "megaphone")
nav.add("district", "bulletins.quarterly", "季评价", "clipboard2-pulse")
nav.add("district", "bulletins.annual", "年考核", "award")
nav.add("district", "bulletins.settings_page", "报送与评价设置", "sliders")
KIND_ARGS = {"monthly": "month", "quarterly": "quarter", "annual": "year"}


def _choices(kind: str, shown: periods.Period) -> list[periods.Period]:
    """Periods offered in the selector, newest first: back to the first reported month (and the one shown)."""
    current = periods.latest_complete(kind, _today())
    first = min(monthly_reports.first_month(session()) or shown.start, shown.start)
    out = []
    while current.end > first:
        out.append(current)
        current = current.previous()
    return out if shown in out else [shown, *out]


def _bulletin_data(kind: str, period: periods.Period):
    """(data, the issued bulletin shown or None, all editions, live data or None)."""
    db = session()
    issued = bulletins.editions(db, kind, period.key)
    wanted = request.args.get("edition", type=int)
    if wanted and not any(b.edition == wanted for b in issued):
        abort(404)
    if issued and request.args.get("live") != "1":
        shown = next(b for b in issued if b.edition == wanted) if wanted else issued[0]
        return shown.data, shown, issued, bulletins.compute(db, period, _today())
    return bulletins.compute(db, period, _today()), None, issued, None


def _show(kind: str):
    db = session()
    period = period_from_args(kind, periods.latest_complete(kind, _today()))
    stored, shown, issued, live = _bulletin_data(kind, period)
    # its headings in the reader's language, its figures as kept
    data = bulletins.localized(stored, i18n.locale(), db, mark=i18n.data)
    charts = {"funnel": funnel_chart(data["funnel"])}
    if kind == "monthly":
        charts["targets"] = target_chart(data["banks"])
        charts["compliance"] = compliance_chart(data["compliance"])
    else:
        charts["scores"] = score_chart(data["banks"], data["parts"])
        if kind == "annual":
            charts["compliance"] = compliance_chart(data["compliance"])
    def ranked(field):
        return sorted(data["banks"], key=lambda r: (r.get(field) is None, r.get(field) or 0, r["seq"]))

    return render_template(
        f"bulletins/{kind}.html", data=data, by_target=ranked("rank_target"), by_platform=ranked("rank_platform"), bulletin=shown, issued=issued, period=period, kind=kind,
        arg=KIND_ARGS[kind], choices=_choices(kind, period), charts=charts,
        changes=bulletins.changes(stored, live) if live else [],
        corrections=bulletins.corrections_since(db, shown) if shown else [],
        can_issue=period.end <= _today(), action_form=ActionForm(formdata=None),
        remind_form=RemindForm(formdata=None, month=period.key),
    )


@bp.get("/monthly")
@roles_required("district")
def monthly():
    return _show("monthly")


@bp.get("/quarterly")
@roles_required("district")
def quarterly():
    return _show("quarterly")


@bp.get("/annual")
@roles_required("district")
def annual():
    return _show("annual")


def _period(kind: str, key: str) -> periods.Period:
    if kind not in KIND_ARGS:
        abort(404)
    try:
        return periods.parse(kind, key)
    except DomainError as exc:
        abort(404, i18n.error_text(exc))


@bp.get("/<kind>/<key>.xlsx")
@roles_required("district")
def download(kind: str, key: str):
    period = _period(kind, key)
    data, shown, _, _ = _bulletin_data(kind, period)
    locale = i18n.locale()
    status = bulletin_xlsx.status_text(shown.edition if shown else None, locale)
    suffix = f"-v{shown.edition}" if shown else "-live"
    return Response(bulletin_xlsx.workbook(data, status, locale, session()),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={kind}-{period.key}{suffix}.xlsx"})


@bp.post("/<kind>/<key>/issue")
@roles_required("district")
def issue(kind: str, key: str):
    period = _period(kind, key)
    db = session()
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        row = bulletins.issue(db, current_user, period, _today())
    except DomainError as exc:
        db.rollback()
        fail(exc)
    else:
        db.commit()
        flash(gettext("%(title)s已发布（第%(edition)s版），此后的数据更正不会改变已发布内容",
                      title=bulletins.title(period, i18n.locale()), edition=row.edition), "success")
    return redirect(url_for(f"bulletins.{kind}", **{KIND_ARGS[kind]: period.key}))


@bp.route("/settings", methods=["GET", "POST"])
@roles_required("district")
def settings_page():
    db = session()
    settings_form = SettingsForm(formdata=None, deadline_workdays=monthly_reports.deadline_workdays(db),
                                 jump_pct=monthly_reports.jump_pct(db))
    weights_form = WeightsForm(formdata=None, **bulletins.weights(db))
    status = 200
    if request.method == "POST":
        which = request.form.get("which")
        form = SettingsForm() if which == "reporting" else WeightsForm()
        if which == "reporting":
            settings_form = form
        else:
            weights_form = form
        if form.validate_on_submit():
            try:
                if which == "reporting":
                    monthly_reports.save_settings(db, form.deadline_workdays.data, form.jump_pct.data)
                else:
                    bulletins.save_weights(db, current_user, {k: getattr(form, k).data for k in bulletins.PARTS})
            except DomainError as exc:
                db.rollback()
                apply_domain_error(exc, form)
            else:
                db.commit()
                flash(gettext("设置已保存；已发布的通报和评价不受影响"), "success")
                return redirect(url_for("bulletins.settings_page"))
        status = 422
    return render_template("bulletins/settings.html", settings_form=settings_form, weights_form=weights_form,
                           parts=bulletins.PARTS), status

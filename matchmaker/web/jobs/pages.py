"""Background jobs: `/jobs/` lists recent jobs (the district every job, everybody else their own) and
`/jobs/<id>.json` is what a progress bar polls (static/js/jobs.js); another user's job is a 404."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from ...config import files_dir
from ...domain.core.errors import DomainError
from ...domain.jobs import records
from ...models.jobs import JOB_STATES, Job
from .. import i18n, nav
from ..common import apply_sort, paginate, roles_required, session
from ..whitelists.forms import ActionForm

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
nav.add("district", "jobs.index", "后台任务", "hourglass-split")


@bp.get("/")
@login_required
def index():
    query = records.visible(current_user)
    state = request.args.get("state", "")
    if state in JOB_STATES:
        query = query.where(Job.state == state)
    kind = request.args.get("kind", "")
    if kind in records.KINDS:
        query = query.where(Job.kind == kind)
    query = apply_sort(query, {"created": Job.created_at, "kind": Job.kind, "state": Job.state}, "-created")
    return render_template("jobs/index.html", page=paginate(query, 50), states=JOB_STATES, kinds=records.KINDS,
                           state=state, kind=kind, kind_label=records.kind_label)


def _tr(message: str, **params) -> str:
    return gettext(message, **params) if params else gettext(message)


def _html(message: str, **params) -> Markup:
    text = Markup(escape(gettext(message)))
    return text % params if params else text


@bp.app_template_global()
def job_texts(job) -> dict:
    """A job's kind, state, phase and error in the reader's language (jobs/_progress.html, the jobs pages), and its
    result's label (values from user data marked)."""
    return {**records.texts(job, _tr), "result_label": records.result_label(job, _html, i18n.data)}


@bp.get("/<int:job_id>.json")
@login_required
def show_json(job_id: int):
    try:
        job = records.get_visible(session(), current_user, job_id)
    except DomainError as exc:
        return jsonify({"error": i18n.error_text(exc)}), exc.status
    data = records.as_json(job, _tr)
    # the counts as the bar writes them, in the reader's language (static/js/jobs.js)
    data["counts"] = gettext("%(done)s / %(total)s（%(percent)s%%）", done=job.done, total=job.total,
                             percent=job.percent) if job.total else ""
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int):
    try:
        job = records.get_visible(session(), current_user, job_id)
    except DomainError as exc:
        abort(exc.status, i18n.error_text(exc))
    return render_template("jobs/show.html", job=job, kind_label=records.kind_label)


@bp.get("/<int:job_id>/file")
@login_required
def download(job_id: int):
    """The file a job made (bulletin, event report): only to who may see the job."""
    try:
        job = records.get_visible(session(), current_user, job_id)
    except DomainError as exc:
        abort(exc.status, i18n.error_text(exc))
    path = records.result_path(files_dir(current_app), job.id)
    if job.state != "done" or not (job.result or {}).get("filename") or not path.exists():
        abort(404)
    return send_file(path, as_attachment=True, download_name=job.result["filename"],
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _start(kind: str, params: dict, back: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    db = session()
    try:
        job = current_app.extensions["jobs"].submit(db, kind, current_user, params)
    except DomainError as exc:
        flash(i18n.error_text(exc), "danger")
        return redirect(back)
    flash(gettext("已在后台生成，完成后可在本页下载"), "info")
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.post("/start/bulletin/<kind>/<key>")
@roles_required("district")
def start_bulletin(kind: str, key: str):
    from ...domain.banks import periods

    try:
        period = periods.parse(kind, key)
    except DomainError as exc:
        abort(404, i18n.error_text(exc))
    return _start("bulletin_year", {"kind": kind, "key": period.key, "live": request.form.get("live") == "1",
                                    "locale": i18n.locale()},  # the workbook in the requester's language
                  request.referrer or url_for("jobs.index"))


@bp.post("/start/event-report/<int:event_id>")
@roles_required("township", "district", "bank_manager", "bank_admin")
def start_event_report(event_id: int):
    from ...domain.events import organising as events
    from ..events.pages import event_or_abort

    event = event_or_abort(event_id)
    if events.can_manage(current_user, event):
        bank_id = None
    elif events.presents_at(current_user, event):
        bank_id = current_user.bank_id
    else:
        abort(403)
    from ..i18n import locale

    return _start("event_report", {"event_id": event.id, "bank_id": bank_id, "locale": locale()},
                  url_for("event_reports.report", event_id=event.id))

"""After the event: the event report (page to print and .xlsx), the organiser's follow-up list of stalled
intentions with escalation, and the district's overview of all events and their conversion."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, select

from ...domain.events import intentions as intention_rules
from ...domain.events import organising as events
from ...domain.events import report as reports
from ...domain.events.checkin import attendance_by_event
from ...models import EventIntention, MatchmakingEvent, Township, User
from ...text import N_
from .. import i18n, nav
from ..common import apply_sort, paginate, roles_required, run_form, session
from .forms import FollowupSettingForm
from .pages import event_or_abort, page_of

bp = Blueprint("event_reports", __name__, url_prefix="/events")
ORGANISERS = ("township", "district")
BANK_ROLES = ("bank_manager", "bank_admin")

nav.add("township", "event_reports.followups", N_("意向跟进"), "alarm")
nav.add("district", "event_reports.overview", N_("活动成效"), "graph-up-arrow")
nav.add("district", "event_reports.followups", N_("意向跟进"), "alarm")
DIMENSIONS = {"township": N_("按镇街"), "industry": N_("按行业"), "bank": N_("按银行")}


def _report_for(event_id: int) -> reports.EventReport:
    """The organiser and the district see the whole report; a presenting bank only its own intentions."""
    db = session()
    event = event_or_abort(event_id)
    if events.can_manage(current_user, event):
        return reports.event_report(db, event)
    if events.presents_at(current_user, event):
        return reports.event_report(db, event, bank_id=current_user.bank_id)
    abort(403)


@bp.get("/<int:event_id>/report")
@roles_required(*ORGANISERS, *BANK_ROLES)
def report(event_id: int):
    data = _report_for(event_id)
    return render_template("events/report.html", report=data, event=data.event, bank_only=current_user.is_bank,
                           generated=i18n.local_datetime(events.local_now()))


@bp.get("/<int:event_id>/report.xlsx")
@roles_required(*ORGANISERS, *BANK_ROLES)
def report_xlsx(event_id: int):
    data = _report_for(event_id)
    body = reports.report_xlsx(data, i18n.locale())
    name = f"event-{event_id}-report-{events.local_today():%Y%m%d}.xlsx"
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.route("/followups", methods=["GET", "POST"])
@roles_required(*ORGANISERS)
def followups():
    db = session()
    form = FollowupSettingForm(workdays=intention_rules.followup_workdays(db))
    if request.method == "POST":
        if current_user.role != "district":
            abort(403)
        if form.validate_on_submit() and run_form(
                form, lambda db: intention_rules.set_followup_workdays(db, current_user, form.workdays.data)):
            flash(gettext("跟进期限已改为 %(n)s 个工作日", n=form.workdays.data), "success")
            return redirect(url_for("event_reports.followups"))
    items = intention_rules.followups(db, current_user)
    stalled_events = {f.intention.event_id: f.intention.event for f in items}
    event_id = request.args.get("event", type=int)
    if event_id:
        items = [f for f in items if f.intention.event_id == event_id]
    sort = request.args.get("sort", "-idle")
    order = {"idle": lambda f: f.idle_workdays, "amount": lambda f: f.intention.amount,
             "event": lambda f: f.intention.event.starts_at, "bank": lambda f: f.intention.bank.seq}
    items.sort(key=order.get(sort.lstrip("-"), order["idle"]), reverse=sort.startswith("-"))
    page = page_of(items)
    manager_ids = {f.lead.manager_id for f in page.items if f.lead.manager_id}
    managers = {u.id: u for u in db.scalars(select(User).where(User.id.in_(manager_ids)))} if manager_ids else {}
    return render_template("events/followups.html", page=page, form=form, managers=managers,
                           stalled_events=sorted(stalled_events.values(), key=lambda e: e.starts_at, reverse=True),
                           workdays=intention_rules.followup_workdays(db)), (422 if form.errors else 200)


@bp.post("/followups/escalate")
@roles_required(*ORGANISERS)
def escalate():
    db = session()
    n = intention_rules.escalate(db, actor=current_user)
    db.commit()
    if n:
        flash(gettext("已督办 %(n)s 条意向：镇街、区金融监管局和负责的客户经理已收到通知", n=n), "success")
    else:
        flash(gettext("没有需要新督办的意向（已督办且状态未变的不重复通知）"), "info")
    return redirect(url_for("event_reports.followups"))


@bp.get("/overview")
@roles_required("district")
def overview():
    db = session()
    year = request.args.get("year", type=int)
    dimension = request.args.get("by", "township")
    if dimension not in ("township", "industry", "bank"):
        dimension = "township"
    query = events.visible_events(current_user)
    if year:
        query = query.where(func.extract("year", MatchmakingEvent.starts_at) == year)
    if request.args.get("township", type=int):
        query = query.where(MatchmakingEvent.township_id == request.args.get("township", type=int))
    query = apply_sort(query, {"date": MatchmakingEvent.starts_at, "title": MatchmakingEvent.title}, "-date")
    page = paginate(query, current_app.config["PAGE_SIZE"])
    ids = [e.id for e in page.items]
    per_event = {f.key[0]: f for f in reports.summarise(db, "event", EventIntention.event_id.in_(ids))} if ids else {}
    rows = reports.conversion(db, dimension, year)
    years = sorted({int(y) for y in db.scalars(select(func.extract("year", MatchmakingEvent.starts_at)).distinct())}
                   | {events.local_today().year}, reverse=True)
    return render_template("events/overview.html", page=page, counts=attendance_by_event(db, ids),
                           per_event=per_event, rows=rows, totals=reports.total(rows), dimension=dimension,
                           year=year, years=years, townships=db.scalars(select(Township).order_by(Township.id)).all(),
                           dimensions=DIMENSIONS)

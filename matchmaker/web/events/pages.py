"""Matchmaking events: each role's list of events, create and edit, the event page, the invitation builder
(filters, count and list before sending, add or remove by hand), and the firm's reply."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from babel.dates import format_date, format_datetime
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ...domain.core.errors import DomainError
from ...domain.core.limits import contains
from ...domain.events import invitations
from ...domain.events import organising as events
from ...domain.events.checkin import attendance, attendance_by_event, search_walk_in
from ...domain.events.intentions import visible_intentions
from ...domain.events.report import OUTCOMES, summarise
from ...domain.firms.records import search_clause
from ...domain.requests import financing
from ...models import Bank, EventIntention, EventInvitation, Firm, MatchmakingEvent, Product, Township
from ...models.events import EVENT_KINDS, INTENTION_KINDS, INVITATION_SOURCES, INVITATION_STATES
from ...text import N_
from .. import i18n, nav
from ..common import Page, apply_sort, paginate, roles_required, run_form, session
from ..fields import labelled, named, township_choices
from .forms import EventForm, InviteFilterForm, RespondForm

bp = Blueprint("events", __name__, url_prefix="/events")
ALL_ROLES = ("enterprise", "bank_manager", "bank_admin", "township", "district")
ORGANISERS = ("township", "district")
PREVIEW_ROWS = 50

for _role in ALL_ROLES:  # organisers see it inside their "对接活动" menu group (web/nav.py GROUPS)
    nav.add(_role, "events.index", N_("活动列表") if _role in ORGANISERS else N_("对接活动"), "calendar-event")


def fail(exc: DomainError):
    """Turn a domain refusal into 403/404, or a flash for the rest (in the reader's language)."""
    if exc.status in (403, 404):
        abort(exc.status, i18n.error_text(exc))
    flash(refusal(exc), "danger")


def refusal(exc: DomainError):
    """A refusal's message in the reader's language, the names it quotes (firms, banks…) marked as data."""
    if not exc.params:
        return gettext(exc.msgid)
    names = {k: v for k, v in exc.params.items() if isinstance(v, str)}
    text = gettext(exc.msgid, **{k: "%%(%s)s" % k if k in names else v for k, v in exc.params.items()})
    return i18n.with_data(text, **names) if names else text


def run_action(action, back: str, success, category: str = "success", back_on_refusal: str | None = None):
    """A one-click POST: run `action(db)`, commit and flash `success` (text, or a function of the result); a
    refusal is rolled back and flashed (403/404 abort); then redirect."""
    db = session()
    try:
        result = action(db)
    except DomainError as exc:
        db.rollback()
        fail(exc)
        return redirect(back_on_refusal or back)
    db.commit()
    flash(success(result) if callable(success) else success, category)
    return redirect(back)


def page_of(items: list, per_page: int | None = None) -> Page:
    """Page through a list computed in Python (same ?page= as `paginate`)."""
    per_page = per_page or current_app.config["PAGE_SIZE"]
    number = max(1, request.args.get("page", 1, type=int) or 1)
    return Page(items=items[(number - 1) * per_page: number * per_page], page=number, per_page=per_page,
                total=len(items))


def event_or_abort(event_id: int, manage: bool = False) -> MatchmakingEvent:
    try:
        return events.get_event_for(session(), current_user, event_id, manage=manage)
    except DomainError as exc:
        abort(exc.status, i18n.error_text(exc))


def invite_url(remove=(), **append) -> str:
    """The current page's URL with query arguments appended; `remove` names keys, or (key, value) pairs, to drop."""
    args = MultiDict(request.args)
    args.pop("page", None)
    for item in remove:
        if isinstance(item, tuple):
            args.setlist(item[0], [v for v in args.getlist(item[0]) if v != str(item[1])])
        else:
            args.pop(item, None)
    for key, value in append.items():
        args.add(key, value)
    return url_for(request.endpoint, **(request.view_args or {})) + "?" + urlencode(list(args.items(multi=True)))


WEEKDAYS = "一二三四五六日"


def event_time(value: datetime, with_year: bool = False) -> str:
    """Beijing wall-clock time of an event, e.g. 05-20 周一 09:30 (English: Mon 20 May, 09:30)."""
    if not i18n.is_chinese():
        return format_datetime(value, "EEE d MMM y, HH:mm" if with_year else "EEE d MMM, HH:mm",
                               locale=i18n.locale())
    return value.strftime("%Y-%m-%d" if with_year else "%m-%d") + f" 周{WEEKDAYS[value.weekday()]} " + \
        value.strftime("%H:%M")


def event_month(value: datetime) -> str:
    """The month heading of the event list: 2026年05月, May 2026."""
    if i18n.is_chinese():
        return value.strftime("%Y年%m月")
    return format_date(value, "MMMM y", locale=i18n.locale())


@bp.context_processor
def _helpers():
    return {"invite_url": invite_url}


@bp.record_once
def _event_globals(state):
    """Labels and the time format for every template, macros imported without context included."""
    state.app.jinja_env.globals.update(EVENT_KINDS=EVENT_KINDS, INVITATION_STATES=INVITATION_STATES,
                                       INVITATION_SOURCES=INVITATION_SOURCES,
                                       INTENTION_KINDS=INTENTION_KINDS, EVENT_OUTCOMES=OUTCOMES,
                                       event_time=event_time, event_month=event_month)


# --- lists -----------------------------------------------------------------------------------------------

@bp.get("/")
@roles_required(*ALL_ROLES)
def index():
    db = session()
    when = request.args.get("when", "upcoming")
    start_of_today = datetime.combine(events.local_today(), time.min)
    query = events.visible_events(current_user)
    if when == "past":
        query = query.where(MatchmakingEvent.starts_at < start_of_today)
        default_sort = "-date"
    else:
        when = "upcoming"
        query = query.where(MatchmakingEvent.starts_at >= start_of_today)
        default_sort = "date"
    if request.args.get("kind") in EVENT_KINDS:
        query = query.where(MatchmakingEvent.kind == request.args["kind"])
    if current_user.role == "district" and request.args.get("township", type=int):
        query = query.where(MatchmakingEvent.township_id == request.args.get("township", type=int))
    q = (request.args.get("q") or "").strip()
    if q:
        query = query.where(contains(MatchmakingEvent.title, q) | contains(MatchmakingEvent.venue, q))
    query = apply_sort(query, {"date": MatchmakingEvent.starts_at, "title": MatchmakingEvent.title,
                               "capacity": MatchmakingEvent.capacity}, default_sort)
    page = paginate(query, current_app.config["PAGE_SIZE"])
    ids = [e.id for e in page.items]
    counts = attendance_by_event(db, ids)
    visible = visible_intentions(current_user).with_only_columns(EventIntention.id)  # a bank: its own only
    figures = {f.key[0]: f for f in summarise(db, "event", EventIntention.event_id.in_(ids),
                                              EventIntention.id.in_(visible))} if ids else {}
    mine = {}
    if current_user.role == "enterprise" and ids:
        mine = {i.event_id: i for i in db.scalars(select(EventInvitation).where(
            EventInvitation.event_id.in_(ids), EventInvitation.firm_id == current_user.firm_id))}
    townships = db.scalars(select(Township).order_by(Township.id)).all() if current_user.role == "district" else []
    return render_template("events/index.html", page=page, when=when, counts=counts, figures=figures, mine=mine,
                           townships=townships, can_manage=lambda e: events.can_manage(current_user, e))


# --- create and edit -------------------------------------------------------------------------------------

def _prepare_form(db, form: EventForm) -> tuple[list[Bank], dict[int, list[Product]]]:
    banks = db.scalars(select(Bank).where(Bank.active.is_(True)).order_by(Bank.seq)).all()
    products: dict[int, list[Product]] = {}
    for p in db.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.bank_id, Product.name)):
        products.setdefault(p.bank_id, []).append(p)
    form.bank_ids.choices = named(((b.id, b.name) for b in banks), None)
    form.product_ids.choices = named(((p.id, p.name) for rows in products.values() for p in rows), None)
    if current_user.role == "township":
        form.township_id.choices = named([(current_user.township_id, current_user.township.name)], None)
    else:
        form.township_id.choices = township_choices(N_("全区（区金融监管局主办）"))
    return banks, products


def _values(form: EventForm) -> dict:
    starts_at = datetime.combine(form.starts_on.data, form.starts_time.data)
    return {"title": form.title.data, "kind": form.kind.data, "industry": form.industry.data or None,
            "township_id": form.township_id.data, "starts_at": starts_at, "venue": form.venue.data,
            "capacity": form.capacity.data, "description": form.description.data or "",
            "bank_ids": form.bank_ids.data or [], "product_ids": form.product_ids.data or []}


def _event_form(event: MatchmakingEvent | None):
    db = session()
    if event is None:
        form = EventForm()
        if request.method == "GET":
            form.township_id.data = current_user.township_id
            form.capacity.data = 50
            form.starts_on.data = events.local_today() + timedelta(days=7)
            form.starts_time.data = time(9, 0)
    else:
        form = EventForm(obj=event, starts_on=event.starts_at.date(), starts_time=event.starts_at.time(),
                         bank_ids=event.bank_ids, product_ids=event.product_ids)
    banks, products = _prepare_form(db, form)
    if form.validate_on_submit():
        if event is None:
            saved = run_form(form, lambda db: events.create_event(db, current_user, **_values(form)))
            message = (gettext("活动已创建，参会银行已收到通知。下一步：邀请企业") if form.bank_ids.data
                       else gettext("活动已创建（尚未选择参会银行）。下一步：邀请企业"))
        else:
            saved = run_form(form, lambda db: events.update_event(db, current_user, event, **_values(form)))
            message = gettext("活动已保存")
        if saved is not None:
            flash(message, "success")
            return redirect(url_for("events.show", event_id=saved.id))
    status = 422 if form.errors else 200
    return render_template("events/form.html", form=form, event=event, banks=banks, products=products), status


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ORGANISERS)
def new():
    return _event_form(None)


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@roles_required(*ORGANISERS)
def edit(event_id: int):
    return _event_form(event_or_abort(event_id, manage=True))


@bp.post("/<int:event_id>/cancel")
@roles_required(*ORGANISERS)
def cancel(event_id: int):
    event = event_or_abort(event_id, manage=True)
    return run_action(lambda db: events.cancel_event(db, current_user, event),
                      url_for("events.show", event_id=event_id),
                      gettext("活动已取消，参会银行和受邀企业已收到通知"), "warning")


# --- the event page ----------------------------------------------------------------------------------------

def _invitation_page(db, event: MatchmakingEvent):
    query = select(EventInvitation).join(Firm, Firm.id == EventInvitation.firm_id).where(
        EventInvitation.event_id == event.id)
    if current_user.role == "township" and not events.can_manage(current_user, event):
        query = query.where(Firm.township_id == current_user.township_id)
    clause = search_clause(request.args.get("q", ""))
    if clause is not None:
        query = query.where(clause)
    state = request.args.get("state", "")
    if state in INVITATION_STATES:
        query = query.where(EventInvitation.state == state)
    elif state == "checked_in":
        query = query.where(EventInvitation.checked_in_at.is_not(None))
    elif state == "walk_in":
        query = query.where(EventInvitation.source == "walk_in")
    query = apply_sort(query, {"name": Firm.name_initials, "state": EventInvitation.state,
                               "checked": EventInvitation.checked_in_at, "invited": EventInvitation.invited_at},
                       "name")
    return paginate(query, current_app.config["PAGE_SIZE"])


@bp.get("/<int:event_id>")
@roles_required(*ALL_ROLES)
def show(event_id: int):
    db = session()
    event = event_or_abort(event_id)
    manage = events.can_manage(current_user, event)
    context = {"event": event, "manage": manage, "attendance": attendance(db, event),
               "today": events.local_today(), "past": events.is_past(event)}
    if manage or current_user.role == "township":
        context["invitations"] = _invitation_page(db, event)
    if manage or current_user.is_bank:
        context["needs"] = invitations.needs_in_advance(db, event.id)
        context["intentions"] = db.scalars(visible_intentions(current_user, event.id)
                                           .order_by(EventIntention.id.desc())).all()
    if current_user.is_bank:
        context["attendees"] = db.scalars(select(EventInvitation).join(Firm, Firm.id == EventInvitation.firm_id)
                                          .where(EventInvitation.event_id == event.id,
                                                 EventInvitation.checked_in_at.is_not(None))
                                          .order_by(Firm.name_initials)).all()
    if current_user.role == "enterprise":
        context["mine"] = invitations.invitation_of(db, event.id, current_user.firm_id)
        context["respond_form"] = RespondForm(formdata=None)
    return render_template("events/show.html", **context)


@bp.post("/<int:event_id>/respond")
@roles_required("enterprise")
def respond(event_id: int):
    db = session()
    event = event_or_abort(event_id)
    form = RespondForm()
    if request.form.get("answer") not in ("accept", "decline"):
        abort(400)
    accept = request.form.get("answer") == "accept"
    if form.validate_on_submit():
        need = None
        if accept and form.amount_wan.data is not None:
            need = {"amount_yuan": financing.wan_to_yuan(form.amount_wan.data),
                    "term_months": form.term_months.data or 12, "purpose": form.purpose.data or "",
                    "collateral": form.collateral.data}
        done = run_form(form, lambda db: invitations.respond(db, current_user, event_id, accept, need,
                                                             claim_workdays=current_app.config["CLAIM_WORKDAYS"]))
        if done is not None:
            if accept:
                flash(gettext("已报名参加，融资需求已保存为草稿，银行会在活动前看到") if need
                      else gettext("已报名参加"), "success")
            else:
                flash(gettext("已回复不参加"), "info")
            return redirect(url_for("events.show", event_id=event_id))
    return render_template("events/show.html", event=event, manage=False, attendance=attendance(db, event),
                           today=events.local_today(), past=events.is_past(event),
                           mine=invitations.invitation_of(db, event.id, current_user.firm_id),
                           respond_form=form), 422


# --- invitations -------------------------------------------------------------------------------------------

def _filters_from(args, event: MatchmakingEvent) -> tuple[InviteFilterForm, invitations.InviteFilters]:
    db = session()
    form = InviteFilterForm(args)
    kinds, batches = invitations.whitelist_options(db)
    form.whitelist_kinds.choices = labelled(kinds)
    form.whitelist_batches.choices = named(((b, b) for b in batches), None)  # batch labels: as the lists name them
    if current_user.role == "township":
        form.township_id.choices = named([(current_user.township_id, current_user.township.name)], None)
    else:
        form.township_id.choices = township_choices(N_("全部镇街"))
    if not args.get("preview"):  # first visit: start from the event's own township and industry
        form.township_id.data = event.township_id or current_user.township_id
        form.industries.data = [event.industry] if event.industry else []
    form.validate()
    filters = invitations.InviteFilters(
        township_id=form.township_id.data, industries=list(form.industries.data or []),
        whitelist_kinds=list(form.whitelist_kinds.data or []),
        whitelist_batches=list(form.whitelist_batches.data or []), first_loan=bool(form.first_loan.data),
        requests=form.requests.data or "",
        not_invited_months=form.not_invited_months.data if not form.not_invited_months.errors else None,
        search=form.q.data or "")
    return form, filters


def _ids(args, key: str) -> list[int]:
    return [int(v) for v in args.getlist(key) if str(v).isdigit()]


def _selection(db, event: MatchmakingEvent, args):
    """The list that would be sent: firms from the filters, minus those removed by hand, plus those added."""
    form, filters = _filters_from(args, event)
    from_filters = invitations.candidate_ids(db, current_user, event, filters) if args.get("preview") else []
    dropped = set(_ids(args, "drop"))
    filtered_ids = set(from_filters)
    added_ids = [i for i in dict.fromkeys(_ids(args, "add")) if i not in filtered_ids]
    on_list = set(db.scalars(select(EventInvitation.firm_id).where(EventInvitation.event_id == event.id)))
    added = [f.id for f in invitations.load_firms(db, added_ids)
             if invitations.may_invite(current_user, f) and f.id not in on_list]
    chosen = [i for i in from_filters if i not in dropped] + [i for i in added if i not in dropped]
    return form, chosen, set(added), dropped


@bp.get("/<int:event_id>/invite")
@roles_required(*ORGANISERS)
def invite(event_id: int):
    db = session()
    event = event_or_abort(event_id, manage=True)
    form, chosen, manual, dropped = _selection(db, event, request.args)
    add_q = (request.args.get("add_q") or "").strip()
    selected = set(chosen)
    found = [f for f in search_walk_in(db, current_user, event, add_q, limit=20) if f.id not in selected]
    page = page_of(chosen, PREVIEW_ROWS)
    page.items = invitations.load_firms(db, page.items)
    return render_template("events/invite.html", event=event, form=form, chosen=chosen, page=page, manual=manual,
                           dropped=dropped, found=found, add_q=add_q, attendance=attendance(db, event),
                           previewing=bool(request.args.get("preview")))


@bp.post("/<int:event_id>/invite")
@roles_required(*ORGANISERS)
def send(event_id: int):
    db = session()
    event = event_or_abort(event_id, manage=True)
    form, chosen, manual, _dropped = _selection(db, event, request.form)
    expected = request.form.get("expected", type=int)
    back = url_for("events.invite", event_id=event_id) + "?" + request.form.get("query", "")
    if form.errors:  # the list would ignore the bad filter: send nothing until it is corrected
        sep, comma = ("；", "，") if i18n.is_chinese() else ("; ", ", ")
        wrong = sep.join(gettext("%(field)s：%(errors)s", field=str(getattr(form, name).label.text),
                                 errors=comma.join(map(str, errors))) for name, errors in form.errors.items())
        flash(gettext("筛选条件有误（%(errors)s），未发送任何邀请：请改正后重新预览", errors=wrong), "danger")
        return redirect(back)
    if expected is not None and expected != len(chosen):
        flash(gettext("名单已变化（预览时 %(before)s 家，现在 %(now)s 家），请核对后再发送", before=expected,
                      now=len(chosen)), "warning")
        return redirect(back)
    return run_action(lambda db: invitations.send_invitations(db, current_user, event, chosen, manual),
                      url_for("events.show", event_id=event_id), lambda created: gettext("已向 %(n)s 家企业发送邀请", n=len(created)),
                      back_on_refusal=back)


@bp.post("/<int:event_id>/invitations/<int:invitation_id>/remove")
@roles_required(*ORGANISERS)
def remove(event_id: int, invitation_id: int):
    db = session()
    event_or_abort(event_id, manage=True)
    inv = db.get(EventInvitation, invitation_id)
    if inv is None or inv.event_id != event_id:
        abort(404)
    name = inv.firm.name
    return run_action(lambda db: invitations.remove_invitation(db, current_user, invitation_id),
                      url_for("events.show", event_id=event_id),
                      i18n.with_data(gettext("已将 %(name)s 移出名单"), name=name), "info")

"""The event day: the check-in page (search, one-click check-in, walk-ins; made for a phone) and the quick
intention form that turns each handshake into a lead claimed by the bank."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from ...domain.events import checkin as checkins
from ...domain.events import intentions as intention_rules
from ...domain.events import organising as events
from ...domain.firms import uscc as uscc_rules
from ...domain.requests import financing
from ...domain.requests.labels import lead_no
from ...models import EventIntention, EventInvitation, Firm, Product
from ...text import N_
from .. import i18n
from ..common import roles_required, session
from ..fields import named, township_choices
from .forms import IntentionForm, WalkInForm
from .pages import event_or_abort, run_action, run_form

bp = Blueprint("event_day", __name__, url_prefix="/events")
ORGANISERS = ("township", "district")
BANK_ROLES = ("bank_manager", "bank_admin")


# --- check-in ----------------------------------------------------------------------------------------------

def _walk_in_form(event) -> WalkInForm:
    form = WalkInForm()
    if current_user.role == "township":
        form.township_id.choices = named([(current_user.township_id, current_user.township.name)], None)
    else:
        form.township_id.choices = township_choices()
    if request.method == "GET":
        form.township_id.data = event.township_id or current_user.township_id
        form.industry.data = event.industry or "other"
        term = uscc_rules.normalise(request.args.get("q", ""))
        if len(term) == 18:
            form.uscc.data = term
    return form


def _render_checkin(event, form: WalkInForm, status: int = 200):
    db = session()
    term = request.values.get("q", "")
    listed = checkins.search_list(db, event, term)
    others = checkins.search_walk_in(db, current_user, event, term) if term.strip() else []
    not_yet = event.starts_at.date() > events.local_today()
    return render_template("events/checkin.html", event=event, q=term, listed=listed, others=others, form=form,
                           attendance=checkins.attendance(db, event), not_yet=not_yet), status


@bp.get("/<int:event_id>/checkin")
@roles_required(*ORGANISERS)
def checkin(event_id: int):
    event = event_or_abort(event_id, manage=True)
    return _render_checkin(event, _walk_in_form(event))


def _after(action, event_id: int, success):
    """After a check-in: back to an empty search box; after a refusal, back to the same search."""
    return run_action(action, url_for("event_day.checkin", event_id=event_id), success,
                      back_on_refusal=url_for("event_day.checkin", event_id=event_id, q=request.form.get("q", "")))


def _checked_message(inv: EventInvitation, walk_in: bool = False) -> str:
    a = checkins.attendance(session(), inv.event)
    message = (gettext("现场登记：%(firm)s 签到成功（已签到 %(attended)s / %(capacity)s）", firm="%(firm)s",
                       attended=a.attended, capacity=a.capacity) if walk_in else
               gettext("%(firm)s 签到成功（已签到 %(attended)s / %(capacity)s）", firm="%(firm)s",
                       attended=a.attended, capacity=a.capacity))
    return i18n.with_data(message, firm=inv.firm.name)


@bp.post("/<int:event_id>/checkin/<int:invitation_id>")
@roles_required(*ORGANISERS)
def check_in(event_id: int, invitation_id: int):
    event = event_or_abort(event_id, manage=True)
    return _after(lambda db: checkins.check_in(db, current_user, event, invitation_id), event_id, _checked_message)


@bp.post("/<int:event_id>/walkin/<int:firm_id>")
@roles_required(*ORGANISERS)
def walk_in(event_id: int, firm_id: int):
    event = event_or_abort(event_id, manage=True)
    return _after(lambda db: checkins.walk_in(db, current_user, event, firm_id), event_id,
                  lambda inv: _checked_message(inv, walk_in=True))


@bp.post("/<int:event_id>/walkin")
@roles_required(*ORGANISERS)
def walk_in_new(event_id: int):
    event = event_or_abort(event_id, manage=True)
    form = _walk_in_form(event)
    if form.validate_on_submit():
        inv = run_form(form, lambda db: checkins.walk_in_new_firm(
            db, current_user, event, uscc=form.uscc.data, name=form.name.data or "",
            township_id=form.township_id.data, industry=form.industry.data, has_bank_loan=form.has_bank_loan.data,
            contact_person=form.contact_person.data or "", contact_phone=form.contact_phone.data or ""))
        if inv is not None:
            flash(_checked_message(inv, walk_in=True), "success")
            return redirect(url_for("event_day.checkin", event_id=event_id))
    return _render_checkin(event, form, 422)


# --- intentions --------------------------------------------------------------------------------------------

def _intention_choices(db, event, form: IntentionForm) -> None:
    attended = db.scalars(select(EventInvitation).join(Firm, Firm.id == EventInvitation.firm_id).where(
        EventInvitation.event_id == event.id, EventInvitation.checked_in_at.is_not(None))
        .order_by(Firm.name_initials)).all()
    form.firm_id.choices = named(((i.firm_id, i.firm.name) for i in attended), N_("请选择已签到的企业"))
    banks = [eb.bank for eb in event.banks if not current_user.is_bank or eb.bank_id == current_user.bank_id]
    form.bank_id.choices = named(((b.id, b.name) for b in banks), None if current_user.is_bank else N_("请选择银行"))
    presented = set(event.product_ids)
    data = {"data-user": ""}  # product and people names; each bank's name is its <optgroup>'s label
    products = [SelectChoice("", gettext("请选择产品"))]
    for b in banks:
        rows = db.scalars(select(Product).where(Product.bank_id == b.id, Product.active.is_(True))
                          .order_by(Product.name)).all()
        rows = sorted(rows, key=lambda p: p.id not in presented)
        products += [SelectChoice(p.id, gettext("%(name)s（推介）", name=p.name) if p.id in presented else p.name,
                                  render_kw=data, optgroup=b.name) for p in rows]
    form.product_id.choices = products
    if current_user.role == "bank_manager":
        form.manager_id.choices = named([(current_user.id, current_user.display_name)], None)
    else:
        form.manager_id.choices = [SelectChoice("", gettext("请选择客户经理"))] + [
            SelectChoice(u.id, gettext("%(name)s（%(role)s）", name=u.display_name, role=i18n.translate(u.role_label)),
                         render_kw=data, optgroup=b.name)
            for b in banks for u in intention_rules.bank_staff(db, b.id)]


@bp.route("/<int:event_id>/intentions", methods=["GET", "POST"])
@roles_required(*ORGANISERS, *BANK_ROLES)
def intentions(event_id: int):
    db = session()
    event = event_or_abort(event_id)
    if not intention_rules.can_record(current_user, event):
        abort(403)
    form = IntentionForm()
    _intention_choices(db, event, form)
    if request.method == "GET":
        form.bank_id.data = request.args.get("bank_id", type=int) or (current_user.bank_id if current_user.is_bank
                                                                       else None)
    if form.validate_on_submit():
        row = run_form(form, lambda db: intention_rules.record_intention(
            db, current_user, event, firm_id=form.firm_id.data, bank_id=form.bank_id.data,
            product_id=form.product_id.data, amount_yuan=financing.wan_to_yuan(form.amount_wan.data),
            kind=form.kind.data, term_months=form.term_months.data, manager_id=form.manager_id.data,
            note=form.note.data or ""))
        if row is not None:
            names = {"firm": row.firm.name, "bank": row.bank.name, "product": row.product.name}
            message = gettext(
                "已登记：%(firm)s × %(bank)s「%(product)s」%(amount)s 万元，已生成线索 %(lead)s（%(bank)s已认领）",
                **{k: "%%(%s)s" % k for k in names}, amount=i18n.number(form.amount_wan.data, 4),
                lead=lead_no(row.lead_id))
            flash(i18n.with_data(message, **names), "success")
            return redirect(url_for("event_day.intentions", event_id=event_id, bank_id=row.bank_id))
    rows = db.scalars(intention_rules.visible_intentions(current_user, event.id).order_by(EventIntention.id.desc())).all()
    return render_template("events/intentions.html", event=event, form=form, rows=rows,
                           manage=events.can_manage(current_user, event)), (422 if form.errors else 200)

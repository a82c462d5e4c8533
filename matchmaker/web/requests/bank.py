"""The bank's pages: the lead inbox, a lead with its actions, the bank's managers (products: web/requests/products.py)."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload
from wtforms import SelectChoice

from ...domain.accounts import users as accounts
from ...domain.accounts.people import people
from ...domain.core.errors import Conflict, DomainError
from ...domain.requests import financing, leads
from ...models import FinancingRequest, Firm, History, Lead, User
from ...models.users import ROLES
from ...text import N_
from ..accounts.forms import CreateUserForm
from ..common import apply_domain_error, apply_sort, found_or_abort, paginate, roles_required, run_action, session
from ..fields import labelled, named
from ..i18n import error_text
from .lead_forms import ApproveForm, CorrectDisbursementForm, DeclineForm, DisburseForm, NoteForm
from .reasons import ShownHistory, ShownLead

bp = Blueprint("bank", __name__, url_prefix="/bank")
BANK_ROLES = ("bank_manager", "bank_admin")
TABS = {
    "new": (N_("待认领"), ("routed",)),
    "open": (N_("在办"), ("claimed", "contacted", "in_review", "approved")),
    "done": (N_("已办结"), ("disbursed", "declined", "expired", "released")),
}


@bp.get("/")
@roles_required(*BANK_ROLES)
def inbox():
    tab = request.args.get("tab", "new")
    if tab not in TABS:
        tab = "new"
    query = (leads.visible_leads(current_user).join(FinancingRequest).where(Lead.state.in_(TABS[tab][1]))
             .options(contains_eager(Lead.request).joinedload(FinancingRequest.firm).joinedload(Firm.township),
                      joinedload(Lead.product), joinedload(Lead.offer)))
    if tab == "open" and current_user.role == "bank_manager" and request.args.get("mine", "1") == "1":
        query = query.where(Lead.manager_id == current_user.id)
    query = apply_sort(query, {"created": Lead.created_at, "amount": FinancingRequest.amount,
                               "deadline": Lead.claim_deadline, "score": Lead.score}, "-created")
    page = paginate(query, current_app.config["PAGE_SIZE"])
    db = session()
    counts = leads.counts_by_state(db, current_user, {key: states for key, (_, states) in TABS.items()})
    return render_template("bank/inbox.html", page=page, tab=tab, tabs=TABS, counts=counts)


def _lead_or_abort(db, lead_id: int) -> Lead:
    return found_or_abort(leads.get_lead_for, db, current_user, lead_id)


@bp.get("/leads/<int:lead_id>")
@roles_required(*BANK_ROLES)
def lead(lead_id: int):
    db = session()
    item = _lead_or_abort(db, lead_id)
    return _render_lead(db, item)


def _render_lead(db, item: Lead, **forms):
    history = db.scalars(select(History).where(
        History.request_id == item.request_id,
        (History.entity == "request") | ((History.entity == "lead") & (History.entity_id == item.id)))
        .order_by(History.at, History.id)).all()
    approve_form = forms.get("approve_form") or ApproveForm(
        amount_wan=Decimal(item.request.amount) / 10000, term_months=item.request.term_months, formdata=None)
    disburse_form = forms.get("disburse_form") or DisburseForm(
        amount_wan=(Decimal(item.offer.amount) / 10000) if item.offer else None, formdata=None)
    return render_template(
        "bank/lead.html", lead=ShownLead(item), req=item.request, firm=item.request.firm,
        history=[ShownHistory(row) for row in history],
        lead_banks={item.id: item.bank.name}, hide_request_notes=True,  # notes may name other banks
        show_contact=leads.contact_visible(current_user, item), note_form=forms.get("note_form") or NoteForm(),
        approve_form=approve_form, decline_form=forms.get("decline_form") or DeclineForm(),
        disburse_form=disburse_form, correct_form=forms.get("correct_form") or CorrectDisbursementForm(
            amount_wan=(Decimal(item.disbursed_amount) / 10000) if item.disbursed_amount else None,
            disbursed_on=item.disbursed_at, formdata=None),
    ), (422 if forms else 200)


def _act(lead_id: int, action, success: str):
    _lead_or_abort(session(), lead_id)
    return run_action(action, success, url_for("bank.lead", lead_id=lead_id))


@bp.post("/leads/<int:lead_id>/claim")
@roles_required(*BANK_ROLES)
def claim(lead_id: int):
    return _act(lead_id, lambda db: leads.claim(db, current_user, lead_id),
                gettext("认领成功，现在可以联系企业"))


@bp.post("/leads/<int:lead_id>/contact")
@roles_required(*BANK_ROLES)
def contact(lead_id: int):
    return _note_step(lead_id, leads.record_contact, gettext("已记录联系情况"))


@bp.post("/leads/<int:lead_id>/review")
@roles_required(*BANK_ROLES)
def review(lead_id: int):
    return _note_step(lead_id, leads.start_review, gettext("已进入审查"))


def _note_step(lead_id: int, step, success: str):
    """A step with an optional note (contact, review): `step(db, actor, lead_id, note)`."""
    form = NoteForm()
    if not form.validate_on_submit():  # e.g. a note over the limit: refused with the field named, not dropped
        db = session()
        return _render_lead(db, _lead_or_abort(db, lead_id), note_form=form)
    db = session()
    _lead_or_abort(db, lead_id)
    try:
        step(db, current_user, lead_id, form.note.data or "")
    except DomainError as exc:
        db.rollback()
        if exc.status in (403, 404):
            abort(exc.status, error_text(exc))
        if exc.field == "note":
            apply_domain_error(exc, form)
            return _render_lead(db, _lead_or_abort(db, lead_id), note_form=form)
        flash(error_text(exc), "danger")
    else:
        db.commit()
        flash(success, "success")
    return redirect(url_for("bank.lead", lead_id=lead_id))


def _form_action(lead_id: int, form, form_key: str, action, success: str):
    """Validate `form`, run `action(db, form)`, and on a form or domain error show the lead page again with
    the typed values and the error next to its field (422)."""
    db = session()
    item = _lead_or_abort(db, lead_id)
    if form.validate_on_submit():
        try:
            action(db, form)
        except Conflict as exc:  # the lead changed under the form: show it as it is now
            db.rollback()
            flash(error_text(exc), "danger")
            return redirect(url_for("bank.lead", lead_id=lead_id))
        except DomainError as exc:
            db.rollback()
            apply_domain_error(exc, form)
        else:
            db.commit()
            flash(success, "success")
            return redirect(url_for("bank.lead", lead_id=lead_id))
    return _render_lead(db, db.get(Lead, item.id), **{form_key: form})


@bp.post("/leads/<int:lead_id>/approve")
@roles_required(*BANK_ROLES)
def approve(lead_id: int):
    def act(db, form):
        try:
            leads.approve(db, current_user, lead_id, amount_yuan=financing.wan_to_yuan(form.amount_wan.data),
                          rate_pct=form.rate_pct.data, term_months=form.term_months.data,
                          conditions=form.conditions.data or "", confirm_over=bool(form.confirm_over.data))
        except DomainError as exc:
            form.over_asked = exc.msgid == leads.OVER_ASKED
            raise
    return _form_action(lead_id, ApproveForm(), "approve_form", act, gettext("已审批通过，授信方案已发送给企业"))


@bp.post("/leads/<int:lead_id>/decline")
@roles_required(*BANK_ROLES)
def decline(lead_id: int):
    def act(db, form):
        leads.decline(db, current_user, lead_id, form.code.data, form.note.data or "")
    return _form_action(lead_id, DeclineForm(), "decline_form", act, gettext("已记录拒绝原因，企业将看到原因和建议"))


@bp.post("/leads/<int:lead_id>/disburse")
@roles_required(*BANK_ROLES)
def disburse(lead_id: int):
    def act(db, form):
        leads.disburse(db, current_user, lead_id, financing.wan_to_yuan(form.amount_wan.data),
                       form.disbursed_on.data)
    return _form_action(lead_id, DisburseForm(), "disburse_form", act, gettext("已登记放款"))


@bp.post("/leads/<int:lead_id>/disbursement")
@roles_required(*BANK_ROLES)
def correct_disbursement(lead_id: int):
    def act(db, form):
        leads.correct_disbursement(db, current_user, lead_id, financing.wan_to_yuan(form.amount_wan.data),
                                   form.disbursed_on.data, form.reason.data or "")
    return _form_action(lead_id, CorrectDisbursementForm(), "correct_form", act,
                        gettext("已更正放款登记，原记录保留在办理记录中"))


@bp.route("/managers", methods=["GET", "POST"])
@roles_required("bank_admin")
def managers():
    db = session()
    form = CreateUserForm()
    form.role.choices = labelled({role: ROLES[role] for role in ("bank_manager", "bank_admin")})
    form.bank_id.choices = named([(current_user.bank_id, current_user.bank.name)], None)
    form.township_id.choices = [SelectChoice("", "—")]
    if form.validate_on_submit():
        try:
            accounts.create_user(db, form.username.data, form.password.data, form.role.data,
                                 display_name=form.display_name.data or "", bank_id=current_user.bank_id,
                                 phone=form.phone.data or "", actor=current_user)
        except DomainError as exc:
            db.rollback()
            apply_domain_error(exc, form)
        else:
            db.commit()
            flash(gettext("账户已创建"), "success")
            return redirect(url_for("bank.managers"))
    users = db.scalars(select(User).where(User.bank_id == current_user.bank_id, people())
                      .order_by(User.username)).all()
    return render_template("bank/managers.html", users=users, form=form)

"""Referrals of unmatched requests: the list (township officials: their township; district: all) and one
referral with its progress form (contacted, resolved with or without financing) and history."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from ...domain.firms.records import search_clause
from ...domain.outcomes import referrals
from ...domain.requests import financing
from ...models import FinancingRequest, Firm, History, Referral, Township
from ...models.referrals import REFERRAL_STATES, REFERRAL_TARGETS
from .. import nav
from ..common import apply_sort, found_or_abort, paginate, roles_required, run_form_action, session
from ..fields import labelled
from .forms import ReferralForm

bp = Blueprint("referrals", __name__, url_prefix="/referrals")
nav.add("township", "referrals.index", "转介跟进", "signpost-split")
nav.add("district", "referrals.index", "转介跟进", "signpost-split")


@bp.app_context_processor
def _labels():
    return {"REFERRAL_STATES": REFERRAL_STATES, "REFERRAL_TARGETS": REFERRAL_TARGETS}


@bp.get("/")
@roles_required(*referrals.HANDLER_ROLES)
def index():
    query = referrals.visible_referrals(current_user).join(FinancingRequest, FinancingRequest.id == Referral.request_id) \
        .join(Firm, Firm.id == FinancingRequest.firm_id)
    state = request.args.get("state", "open_all")
    if state == "open_all":
        query = query.where(Referral.state.in_(("open", "contacted")))
    elif state in REFERRAL_STATES:
        query = query.where(Referral.state == state)
    target = request.args.get("target", "")
    if target in REFERRAL_TARGETS:
        query = query.where(Referral.target == target)
    request_id = request.args.get("request", type=int)
    if request_id:
        query = query.where(Referral.request_id == request_id)
    township_id = request.args.get("township", type=int)
    if township_id and current_user.role == "district":
        query = query.where(Referral.township_id == township_id)
    clause = search_clause(request.args.get("q", ""))
    if clause is not None:
        query = query.where(clause)
    query = apply_sort(query, {"created": Referral.created_at, "state": Referral.state, "target": Referral.target,
                               "firm": Firm.name, "amount": FinancingRequest.amount}, "-created")
    page = paginate(query, current_app.config["PAGE_SIZE"])
    townships = session().scalars(select(Township).order_by(Township.id)).all() \
        if current_user.role == "district" else []
    return render_template("referrals/index.html", page=page, state=state, target=target, townships=townships)


def _render(db, ref: Referral, form: ReferralForm, status: int = 200):
    history = db.scalars(select(History).where(History.entity == "referral", History.entity_id == ref.id)
                         .order_by(History.at, History.id)).all()
    siblings = [r for r in referrals.for_request(db, ref.request_id) if r.id != ref.id]
    return render_template("referrals/show.html", ref=ref, req=ref.request, form=form, history=history,
                           siblings=siblings), status


@bp.route("/<int:referral_id>", methods=["GET", "POST"])
@roles_required(*referrals.HANDLER_ROLES)
def show(referral_id: int):
    db = session()
    ref = found_or_abort(referrals.get_referral_for, db, current_user, referral_id)
    form = ReferralForm()
    form.state.choices = [SelectChoice("", gettext("请选择"))] + labelled(dict(referrals.next_states(ref)))
    if form.validate_on_submit():
        def act():
            amount = financing.wan_to_yuan(form.amount_wan.data) if form.amount_wan.data is not None else None
            referrals.update(db, current_user, referral_id, form.state.data, form.note.data or "", amount)

        done = run_form_action(db, form, act, gettext("已登记转介进展"), url_for("referrals.show", referral_id=referral_id))
        if done:
            return done
    return _render(db, db.get(Referral, referral_id), form, 422 if form.errors else 200)

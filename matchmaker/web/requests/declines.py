"""Resubmitting a fixable decline: the firm (or its township) states what it fixed and the request goes back
to the bank that declined it; plus the extra context the request page shows after outcomes."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from ...domain.outcomes import ratings, referrals
from ...domain.requests import declines, financing
from ...models import FinancingRequest, Lead, User
from ..common import found_or_abort, roles_required, run_form_action, session
from ..i18n import with_data
from ..outcomes.forms import ResubmitForm

bp = Blueprint("declines", __name__, url_prefix="/requests")


def request_extras(db, actor: User, req: FinancingRequest) -> dict:
    """What the request page shows after outcomes: advice on declines, who can be rated, referrals."""
    rated = ratings.ratings_by_lead(db, req.id) if actor.role in ("enterprise", "township", "district") else {}
    return {
        "advice": {lead.id: declines.advice(lead) for lead in req.leads if lead.state == "declined"},
        "resubmittable": {lead.id for lead in req.leads if declines.can_resubmit(actor, lead)},
        "resubmitted": {lead.id: again.id for lead in req.leads
                        if lead.state == "declined" and (again := declines.resubmission_of(lead)) is not None},
        "rated": rated,
        "rateable": {lead.id for lead in ratings.rateable_leads(db, actor, req, rated)},
        "referrals": referrals.for_request(db, req.id) if actor.role != "bank_manager" else [],
        "can_handle_referrals": actor.role in referrals.HANDLER_ROLES,
    }


@bp.route("/<int:request_id>/leads/<int:lead_id>/resubmit", methods=["GET", "POST"])
@roles_required("enterprise", "township")
def resubmit(request_id: int, lead_id: int):
    db = session()
    req = found_or_abort(financing.get_request_for, db, current_user, request_id)
    lead = db.get(Lead, lead_id)
    if lead is None or lead.request_id != req.id:
        abort(404)
    back = url_for("requests.show", request_id=req.id)
    if not declines.can_resubmit(current_user, lead):
        flash(gettext("该拒绝不可补正，或已重新提交过"), "warning")
        return redirect(back)
    form = ResubmitForm()
    if form.validate_on_submit():
        done = run_form_action(db, form, lambda: declines.resubmit(
            db, current_user, lead_id, form.statement.data, claim_workdays=current_app.config["CLAIM_WORKDAYS"]),
            with_data(gettext("已重新提交给%(bank)s，请等待银行认领"), bank=lead.bank.name), back)
        if done:
            return done
    status = 422 if form.errors else 200
    return render_template("declines/resubmit.html", form=form, lead=lead, req=req,
                           tip=declines.advice(lead)), status

"""Ratings: the firm rates a bank it dealt with (one rating per lead); the bank's record with its averages,
comments and first loans, for the bank's admin (own bank) and the district (every bank)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from ...domain.outcomes import ratings
from ...models import Bank, Lead, Rating, User
from .. import nav
from ..common import apply_sort, paginate, roles_required, run_form_action, session
from ..i18n import with_data
from .forms import RatingForm

bp = Blueprint("ratings", __name__, url_prefix="/ratings")
nav.add("district", "ratings.banks", "银行服务评价", "star")
nav.add("bank_admin", "ratings.index", "服务评价", "star")


@bp.route("/leads/<int:lead_id>", methods=["GET", "POST"])
@roles_required("enterprise")
def rate(lead_id: int):
    db = session()
    lead = db.get(Lead, lead_id)
    if lead is None:
        abort(404)
    if lead.request.firm_id != current_user.firm_id:
        abort(403)
    back = url_for("requests.show", request_id=lead.request_id)
    if db.scalar(select(Rating.id).where(Rating.lead_id == lead_id)) is not None:
        flash(gettext("已评价过该银行的这次服务"), "info")
        return redirect(back)
    if not ratings.is_rateable(lead):
        flash(gettext("对接结束（放款到账、被拒绝或已释放）后才能评价该银行"), "warning")
        return redirect(back)
    form = RatingForm()
    if lead.manager_id is None:
        del form.manager_score
    if form.validate_on_submit():
        done = run_form_action(db, form, lambda: ratings.rate(
            db, current_user, lead_id, bank_score=form.bank_score.data,
            manager_score=form.manager_score.data if "manager_score" in form else None,
            comment=form.comment.data or ""), with_data(gettext("感谢评价！已记录对%(bank)s的评价"), bank=lead.bank.name), back)
        if done:
            return done
    status = 422 if form.errors else 200
    manager = db.get(User, lead.manager_id) if lead.manager_id else None
    return render_template("ratings/rate.html", form=form, lead=lead, req=lead.request, manager=manager), status


@bp.get("/")
@roles_required("bank_admin", "district")
def index():
    if current_user.role == "bank_admin":
        return redirect(url_for("ratings.bank", bank_id=current_user.bank_id))
    return redirect(url_for("ratings.banks"))


@bp.get("/banks")
@roles_required("district")
def banks():
    rows = ratings.banks_overview(session())
    key = request.args.get("sort", "-score")
    column = {"score": "avg_bank", "manager": "avg_manager", "count": "count", "first": "first_loans"}.get(
        key.lstrip("-"))
    if column:
        rows.sort(key=lambda r: (r[column] is not None, r[column] or 0), reverse=key.startswith("-"))
    return render_template("ratings/banks.html", rows=rows)


@bp.get("/banks/<int:bank_id>")
@roles_required("bank_admin", "district")
def bank(bank_id: int):
    db = session()
    item = db.get(Bank, bank_id)
    if item is None:
        abort(404)
    if not ratings.can_see_record(current_user, bank_id):
        abort(403)
    query = apply_sort(ratings.bank_ratings(bank_id), {"created": Rating.created_at, "score": Rating.bank_score},
                       "-created")
    page = paginate(query, current_app.config["PAGE_SIZE"])
    return render_template("ratings/bank.html", bank=item, summary=ratings.bank_summary(db, bank_id), page=page)

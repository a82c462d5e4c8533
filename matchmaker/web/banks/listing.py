"""上市后备资源库: the district keeps the listing reserve pool and sees it as a pipeline by stage."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from ...domain.banks import listing, targets
from ...domain.core.errors import DomainError
from ...models.firms import INDUSTRIES
from .. import i18n, nav
from ..common import roles_required, run_form, session
from .forms import ActionForm, ListingForm
from .helpers import fail

bp = Blueprint("listing", __name__, url_prefix="/listing")
nav.add("district", "listing.index", "上市后备库", "graph-up-arrow")


@bp.get("/")
@roles_required("district")
def index():
    db = session()
    tier = request.args.get("tier") or None
    industry = request.args.get("industry") or None
    if (tier and tier not in listing.TIERS) or (industry and industry not in INDUSTRIES):
        abort(404)
    stages = listing.pipeline(db, tier, industry)
    g = targets.goals(db)
    return render_template("listing/index.html", stages=stages, labels=listing.STAGES, tiers=listing.TIERS,
                           tier_short=listing.TIER_SHORT,
                           markets=listing.MARKETS, industries=INDUSTRIES, tier=tier, industry=industry,
                           counts=listing.goal_counts(db, g["start_year"], g["end_year"]), goals=g,
                           move_form=ActionForm(formdata=None))


def _save(form: ListingForm, candidate_id: int | None):
    return run_form(form, lambda db: listing.save(
        db, current_user, name=form.name.data, tier=form.tier.data, stage=form.stage.data,
        industry=form.industry.data, market=form.market.data or "", joint_stock_on=form.joint_stock_on.data,
        listed_on=form.listed_on.data, owner=form.owner.data or "", note=form.note.data or "",
        candidate_id=candidate_id))


@bp.route("/new", methods=["GET", "POST"])
@roles_required("district")
def new():
    form = ListingForm()
    if form.validate_on_submit():
        row = _save(form, None)
        if row is not None:
            flash(i18n.with_data(gettext("%(name)s 已纳入上市后备资源库"), name=row.name), "success")
            return redirect(url_for("listing.index"))
    return render_template("listing/edit.html", form=form, row=None, history=[], stages=listing.STAGES), \
        (422 if form.errors else 200)


@bp.route("/<int:candidate_id>", methods=["GET", "POST"])
@roles_required("district")
def edit(candidate_id: int):
    db = session()
    try:
        row = listing.get(db, candidate_id)
    except DomainError as exc:
        return fail(exc)
    form = ListingForm(obj=row) if request.method == "GET" else ListingForm()
    if form.validate_on_submit():
        saved = _save(form, candidate_id)
        if saved is not None:
            flash(gettext("已保存"), "success")
            return redirect(url_for("listing.edit", candidate_id=candidate_id))
    return render_template("listing/edit.html", form=form, row=row, history=listing.history(db, candidate_id),
                           stages=listing.STAGES), \
        (422 if form.errors else 200)


@bp.post("/<int:candidate_id>/move")
@roles_required("district")
def move(candidate_id: int):
    db = session()
    form = ActionForm()
    step = request.form.get("step", type=int)
    if not form.validate_on_submit() or step not in (1, -1):
        abort(400)
    try:
        row = listing.move(db, current_user, candidate_id, step)
    except DomainError as exc:
        db.rollback()
        fail(exc)
    else:
        db.commit()
        flash(i18n.with_data(gettext("%(name)s：现为“%(stage)s”阶段", name="%(name)s", stage=gettext(listing.STAGES[row.stage])),
                             name=row.name), "success")
    return redirect(url_for("listing.index", **{k: v for k, v in request.args.items() if k in ("tier", "industry")}))

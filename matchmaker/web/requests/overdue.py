"""The overdue list: claimed leads escalated for missing the contact or decision deadline — the district sees
all, a township its firms', a bank its own."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ...domain.requests import sweep
from ...models import Bank, FinancingRequest, Firm, Lead, LeadEscalation, Township, User
from ...models.clocks import ESCALATION_KINDS
from .. import nav
from ..common import apply_sort, paginate, roles_required, session

bp = Blueprint("overdue", __name__, url_prefix="/overdue")
ROLES = ("township", "district", "bank_manager", "bank_admin")
for _role in ROLES:
    nav.add(_role, "overdue.index", "超期督办", "alarm")


@bp.get("/")
@roles_required(*ROLES)
def index():
    db = session()
    query = (sweep.visible_escalations(current_user).join(Bank, Bank.id == Lead.bank_id)
             .options(contains_eager(LeadEscalation.lead).contains_eager(Lead.bank),
                      contains_eager(LeadEscalation.lead).contains_eager(Lead.request).contains_eager(
                          FinancingRequest.firm).joinedload(Firm.township)))
    show = request.args.get("show", "open")
    if show != "all":
        query = query.where(sweep.still_overdue_clause())
    if request.args.get("kind") in ESCALATION_KINDS:
        query = query.where(LeadEscalation.kind == request.args["kind"])
    if current_user.role == "district":
        if request.args.get("township", type=int):
            query = query.where(Firm.township_id == request.args.get("township", type=int))
        if request.args.get("bank", type=int):
            query = query.where(Lead.bank_id == request.args.get("bank", type=int))
    query = apply_sort(query, {"created": LeadEscalation.created_at, "due": LeadEscalation.due_on,
                               "bank": Bank.seq, "firm": Firm.name, "kind": LeadEscalation.kind}, "due")
    page = paginate(query, current_app.config["PAGE_SIZE"])
    district = current_user.role == "district"
    manager_ids = {e.lead.manager_id for e in page.items if e.lead.manager_id}
    managers = dict(db.execute(select(User.id, User.display_name).where(User.id.in_(manager_ids))).all()) \
        if manager_ids else {}
    return render_template(
        "overdue/index.html", page=page, show=show, kinds=ESCALATION_KINDS, managers=managers,
        counts=sweep.counts_by_kind(db, current_user),
        townships=db.scalars(select(Township).order_by(Township.id)).all() if district else [],
        banks=db.scalars(select(Bank).order_by(Bank.seq)).all() if district else [])

"""The township official's pages: their township's firms and requests, filing on a firm's behalf."""
from flask import Blueprint, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from ...domain.firms import records as firm_rules
from ...domain.requests import dashboard as figures
from ...domain.requests import financing
from ...models import FinancingRequest, Firm, Lead
from ..common import apply_sort, paginate, roles_required, session

bp = Blueprint("township", __name__, url_prefix="/township")
OPEN_STATES = ("submitted", "routed", "offered", "accepted", "unmatched")


@bp.get("/")
@roles_required("township")
def dashboard():
    db = session()
    tid = current_user.township_id
    attention = db.scalars(financing.visible_requests(current_user)
                           .where(FinancingRequest.state.in_(("unmatched", "offered", "routed")))
                           .options(joinedload(FinancingRequest.firm),
                                    selectinload(FinancingRequest.leads).joinedload(Lead.bank))
                           .order_by(FinancingRequest.updated_at.desc()).limit(15)).all()
    firm_count = db.scalar(select(func.count(Firm.id)).where(Firm.township_id == tid))
    return render_template("township/dashboard.html", states=figures.requests_by_state(db, tid),
                           amounts=figures.amounts(db, tid), attention=attention, firm_count=firm_count)


def filtered_firms(query):
    """Apply the firm list's search box and filters from the query string."""
    clause = firm_rules.search_clause(request.args.get("q", ""))
    if clause is not None:
        query = query.where(clause)
    if request.args.get("first_loan") == "1":
        query = query.where(Firm.has_bank_loan.is_(False))
    if request.args.get("open") == "1":
        query = query.where(exists().where(FinancingRequest.firm_id == Firm.id,
                                           FinancingRequest.state.in_(OPEN_STATES)))
    if request.args.get("industry"):
        query = query.where(Firm.industry == request.args["industry"])
    return apply_sort(query, {"name": Firm.name, "industry": Firm.industry, "founded": Firm.founded_year}, "name")


@bp.get("/firms")
@roles_required("township")
def firms():
    page = paginate(filtered_firms(firm_rules.visible_firms(current_user)), current_app.config["PAGE_SIZE"])
    return render_template("firms/index.html", page=page, show_township=False)

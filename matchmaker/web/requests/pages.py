"""Financing requests: list, file (enterprise, or township on a firm's behalf), detail with "why this bank",
offers side by side and the history; accept an offer, confirm funds, withdraw."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import or_, select
from wtforms import SelectChoice

from ...domain.core.errors import DomainError
from ...domain.core.limits import contains
from ...domain.firms.records import search_clause
from ...domain.portrait import access as portrait_access
from ...domain.requests import financing
from ...models import Bank, FinancingRequest, Firm, History, Lead, ProductKind, Township
from ...text import N_
from ..common import apply_domain_error, apply_sort, found_or_abort, paginate, roles_required, run_action, session
from ..fields import named
from . import reasons
from .declines import request_extras
from .forms import RequestForm
from .products import firm_for_check, run_check

bp = Blueprint("requests", __name__, url_prefix="/requests")
bp.record_once(reasons.register)
ALL_ROLES = ("enterprise", "bank_manager", "bank_admin", "township", "district")
FILERS = ("enterprise", "township", "district")


@bp.get("/")
@roles_required(*ALL_ROLES)
def index():
    db = session()
    township_id = request.args.get("township", type=int)
    q = (request.args.get("q") or "").strip()
    # the firm is joined only for a filter or an order on it: counting every request joined to its firm was most
    # of the district's list (the page's own rows get their firm through the relationship's join)
    on_firm = (township_id and current_user.role == "district") or q \
        or request.args.get("sort", "").lstrip("-") == "firm"
    query = financing.visible_requests(current_user)
    if on_firm and current_user.role != "township":  # the township's visible_requests joins it already
        query = query.join(Firm, Firm.id == FinancingRequest.firm_id)
    state = request.args.get("state", "")
    if state:
        query = query.where(FinancingRequest.state == state)
    if township_id and current_user.role == "district":
        query = query.where(Firm.township_id == township_id)
    bank_id = request.args.get("bank", type=int)
    if bank_id and current_user.role == "district":
        query = query.where(FinancingRequest.id.in_(select(Lead.request_id).where(Lead.bank_id == bank_id)))
    if q:
        query = query.where(or_(search_clause(q), contains(FinancingRequest.purpose, q)))
    query = apply_sort(query, {
        "created": FinancingRequest.created_at, "amount": FinancingRequest.amount,
        "term": FinancingRequest.term_months, "state": FinancingRequest.state, "firm": Firm.name,
    }, "-created")
    page = paginate(query, current_app.config["PAGE_SIZE"])
    townships = db.scalars(select(Township).order_by(Township.id)).all() if current_user.role == "district" else []
    banks = db.scalars(select(Bank).order_by(Bank.seq)).all() if current_user.role == "district" else []
    return render_template("requests/index.html", page=page, townships=townships, banks=banks)


def _firm_choices(db) -> list[SelectChoice]:
    if current_user.role == "township":
        firms = db.scalars(select(Firm).where(Firm.township_id == current_user.township_id).order_by(Firm.name))
    else:
        firms = db.scalars(select(Firm).order_by(Firm.name).limit(2000))
    return named(((f.id, f.name) for f in firms), N_("请选择企业"))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*FILERS)
def new():
    db = session()
    form = RequestForm()
    kinds = db.scalars(select(ProductKind).order_by(ProductKind.name))
    form.products_of_interest.choices = named(((k.code, k.name) for k in kinds), None)  # the policy's names: data
    on_behalf = current_user.role != "enterprise"
    if on_behalf:
        form.firm_id.choices = _firm_choices(db)
        if request.method == "GET" and request.args.get("firm_id", type=int):
            form.firm_id.data = request.args.get("firm_id", type=int)
    else:
        form.firm_id.choices = named([(current_user.firm_id, current_user.firm.name)], None)
    check = run_check(db, firm_for_check(db, request.form.get("firm_id")), request.form) \
        if request.method == "POST" else None
    if request.form.get("check"):  # "检查可申请产品" without JavaScript: show the verdicts, keep what was typed
        return render_template("requests/new.html", form=form, on_behalf=on_behalf, check=check,
                               consent_text=portrait_access.CONSENT_TEXT)
    if form.validate_on_submit():
        firm_id = form.firm_id.data if on_behalf else current_user.firm_id
        firm = db.get(Firm, firm_id) if firm_id else None
        if firm is None:
            form.firm_id.errors.append(gettext("请选择企业"))
        else:
            try:
                req = financing.file_request(
                    db, current_user, firm, amount_yuan=financing.wan_to_yuan(form.amount_wan.data),
                    term_months=form.term_months.data, purpose=form.purpose.data, collateral=form.collateral.data,
                    products_of_interest=form.products_of_interest.data or [],
                    linked_project=form.linked_project.data or "", renewal=form.renewal.data,
                    submit=not form.save_draft.data,
                    claim_workdays=current_app.config["CLAIM_WORKDAYS"])
            except DomainError as exc:
                db.rollback()
                apply_domain_error(exc, form)
            else:
                if form.portrait_consent.data and current_user.role in ("enterprise", "township"):
                    portrait_access.grant(db, current_user, req)  # 授权查询, recorded with its time
                db.commit()
                if req.state == "draft":
                    flash(gettext("草稿已保存，可稍后提交"), "info")
                elif req.state == "routed":
                    flash(gettext("需求已提交，已推送给 %(n)d 家银行", n=len(req.leads)), "success")
                else:
                    flash(gettext("需求已提交，但暂时没有符合条件的银行产品，镇街金融辅导队将跟进"), "warning")
                return redirect(url_for("requests.show", request_id=req.id))
    return render_template("requests/new.html", form=form, on_behalf=on_behalf, check=check,
                           consent_text=portrait_access.CONSENT_TEXT)


@bp.get("/<int:request_id>")
@roles_required(*ALL_ROLES)
def show(request_id: int):
    db = session()
    req = found_or_abort(financing.get_request_for, db, current_user, request_id)
    if current_user.is_bank:
        lead = next(lead for lead in req.leads if lead.bank_id == current_user.bank_id)
        return redirect(url_for("bank.lead", lead_id=lead.id))
    history = db.scalars(select(History).where(History.request_id == req.id).order_by(History.at, History.id)).all()
    can_act = financing.can_file_for(current_user, req.firm) and current_user.role != "district"
    lead_banks = {lead.id: lead.bank.name for lead in req.leads}
    history = [reasons.ShownHistory(row) for row in history]
    return render_template("requests/show.html", req=req, history=history, can_act=can_act, lead_banks=lead_banks,
                           shown_leads=[reasons.ShownLead(lead) for lead in req.leads],
                           offers=financing.offers_of(req), **request_extras(db, current_user, req))


def _post_action(request_id: int, action, success: str):
    return run_action(action, success, url_for("requests.show", request_id=request_id))


@bp.post("/<int:request_id>/submit")
@roles_required("enterprise", "township")
def submit(request_id: int):
    def act(db):
        req = financing.get_request_for(db, current_user, request_id)
        financing.submit_request(db, current_user, req, claim_workdays=current_app.config["CLAIM_WORKDAYS"])
    return _post_action(request_id, act, gettext("需求已提交"))


@bp.post("/<int:request_id>/offers/<int:offer_id>/accept")
@roles_required("enterprise", "township")
def accept(request_id: int, offer_id: int):
    def act(db):
        req = financing.get_request_for(db, current_user, request_id)
        if offer_id not in {o.id for o in financing.offers_of(req)}:
            raise DomainError("授信方案与需求不符")
        financing.accept_offer(db, current_user, offer_id)
    return _post_action(request_id, act, gettext("已接受授信方案，请等待银行放款"))


@bp.post("/<int:request_id>/confirm")
@roles_required("enterprise", "township")
def confirm(request_id: int):
    return _post_action(request_id, lambda db: financing.confirm_funded(db, current_user, request_id),
                        gettext("已确认资金到账"))


@bp.post("/<int:request_id>/withdraw")
@roles_required("enterprise", "township")
def withdraw(request_id: int):
    return _post_action(request_id, lambda db: financing.withdraw(db, current_user, request_id),
                        gettext("需求已撤回"))

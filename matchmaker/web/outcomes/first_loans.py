"""首贷培植 board: township officials see their township's cases, banks the cases they cultivate, the district
all; each case has a stage and an owner; first loans are counted per bank."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from ...domain.firms.records import search_clause
from ...domain.outcomes import first_loans
from ...models import Bank, FinancingRequest, Firm, FirstLoanCase, History, Township
from ...models.first_loans import FIRST_LOAN_STAGES
from ...text import N_
from .. import nav
from ..common import apply_sort, found_or_abort, paginate, roles_required, run_form_action, session
from ..fields import bank_choices
from .forms import FirstLoanCaseForm

bp = Blueprint("first_loans", __name__, url_prefix="/first-loans")
for _role in first_loans.VIEW_ROLES:
    nav.add(_role, "first_loans.board", "首贷培植", "flower1")


@bp.app_context_processor
def _labels():
    return {"FIRST_LOAN_STAGES": FIRST_LOAN_STAGES}


@bp.get("/")
@roles_required(*first_loans.VIEW_ROLES)
def board():
    db = session()
    base = first_loans.visible_cases(current_user)
    township_id = request.args.get("township", type=int) if current_user.role == "district" else None
    bank_id = request.args.get("bank", type=int) if current_user.role in ("district", "township") else None
    if township_id:
        base = base.where(FirstLoanCase.township_id == township_id)
    if bank_id:
        base = base.where(FirstLoanCase.bank_id == bank_id)
    if request.args.get("mine") == "1":
        base = base.where(FirstLoanCase.owner_id == current_user.id)
    counts = first_loans.stage_counts(db, base)
    query = base.join(Firm, Firm.id == FirstLoanCase.firm_id)
    stage = request.args.get("stage", "")
    if stage in FIRST_LOAN_STAGES:
        query = query.where(FirstLoanCase.stage == stage)
    clause = search_clause(request.args.get("q", ""))
    if clause is not None:
        query = query.where(clause)
    query = apply_sort(query, {"updated": FirstLoanCase.updated_at, "firm": Firm.name, "stage": FirstLoanCase.stage,
                               "first": FirstLoanCase.first_loan_on}, "-updated")
    page = paginate(query, current_app.config["PAGE_SIZE"])
    per_bank = first_loans.first_loans_by_bank(
        db, bank_id=current_user.bank_id if current_user.is_bank else bank_id,
        township_id=current_user.township_id if current_user.role == "township" else township_id)
    townships = db.scalars(select(Township).order_by(Township.id)).all() if current_user.role == "district" else []
    banks = db.scalars(select(Bank).order_by(Bank.seq)).all() if current_user.role in ("district", "township") else []
    return render_template("first_loans/board.html", page=page, counts=counts, stage=stage, per_bank=per_bank,
                           townships=townships, banks=banks)


@bp.post("/identify")
@roles_required("township", "district")
def identify():
    db = session()
    tid = current_user.township_id if current_user.role == "township" else None
    made = first_loans.identify(db, tid, current_user)
    db.commit()
    flash(gettext("已从企业库识别 %(n)s 家首贷培植对象", n=made) if made else gettext("没有新的首贷户需要识别"),
          "success" if made else "info")
    return redirect(url_for("first_loans.board"))


def _owner_choices(db, case: FirstLoanCase, bank_id) -> list[SelectChoice]:
    """The blank choice, then each candidate by name (data) and role (translated)."""
    users = first_loans.owner_candidates(db, case, bank_id)
    return [SelectChoice("", gettext("未指定"))] + [
        SelectChoice(u.id, gettext("%(name)s（%(role)s）", name=u.display_name or u.username, role=gettext(u.role_label)),
                     render_kw={"data-user": ""}) for u in users]


@bp.route("/<int:case_id>", methods=["GET", "POST"])
@roles_required(*first_loans.VIEW_ROLES)
def show(case_id: int):
    db = session()
    case = found_or_abort(first_loans.get_case_for, db, current_user, case_id)
    form = FirstLoanCaseForm(obj=case if request.method == "GET" else None)
    bank_for_owners = current_user.bank_id if current_user.is_bank else (
        form.bank_id.data if request.method == "POST" else case.bank_id)
    if current_user.is_bank:
        del form.bank_id
    else:
        form.bank_id.choices = bank_choices(N_("未指定"))
    form.owner_id.choices = _owner_choices(db, case, bank_for_owners)
    if form.validate_on_submit():
        done = run_form_action(db, form, lambda: first_loans.update_case(
            db, current_user, case_id, stage=form.stage.data, owner_id=form.owner_id.data,
            bank_id=form.bank_id.data if "bank_id" in form else None, note=form.note.data or ""),
            gettext("已保存"), url_for("first_loans.show", case_id=case_id))
        if done:
            return done
    history = db.scalars(select(History).where(History.entity == "first_loan", History.entity_id == case.id)
                         .order_by(History.at, History.id)).all()
    reqs = db.scalars(select(FinancingRequest).where(FinancingRequest.firm_id == case.firm_id)
                      .order_by(FinancingRequest.created_at.desc())).all() if not current_user.is_bank else []
    return render_template("first_loans/show.html", case=case, form=form, history=history, requests=reqs), \
        (422 if form.errors else 200)

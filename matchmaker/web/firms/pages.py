"""Who acts for a firm: the claimant's waiting page, the township's and district's review queue of claims and
township moves, the business licence for those reviewers, the firm page with its change history and claim
codes, and the firm admin's colleague accounts."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from flask_login import current_user

from ...config import files_dir
from ...domain.accounts import control, passwords
from ...domain.core.changes import FIELD_LABELS
from ...domain.core.errors import DomainError
from ...domain.firms import claims, records, township_moves
from ...models import FirmClaim, Township
from .. import nav
from ..common import found_or_abort, parse_id, roles_required, run_action, run_form, session
from ..i18n import error_text, with_data
from .forms import ClaimCodeForm, ColleagueForm, RejectForm

bp = Blueprint("firms", __name__, url_prefix="/firms")
nav.add("township", "firms.queue", "认领与变更审核", "patch-check")
nav.add("district", "firms.queue", "认领与变更审核", "patch-check")
nav.GROUPS["district"].setdefault("firms", nav.GROUPS["district"]["district.firms"])
nav.GROUPS["township"].setdefault("firms", nav.GROUPS["township"]["township.firms"])

# what a claimant may open before the claim is approved
WAITING_ENDPOINTS = {"firms.claim", "auth.logout", "account.password", "static", "health.healthz"}


def claims_dir() -> Path:
    """Licences live in the files folder (or CLAIM_LICENCE_DIR), never under static/: only `licence` below
    serves them."""
    configured = current_app.config.get("CLAIM_LICENCE_DIR")
    return Path(configured) if configured else files_dir(current_app) / "claim_licences"


@bp.before_app_request
def _claimant_waits():
    """An account whose claim is not approved has no firm: it sees only its waiting page."""
    if (current_user.is_authenticated and current_user.role == "enterprise" and current_user.firm_id is None
            and request.endpoint not in WAITING_ENDPOINTS):
        return redirect(url_for("firms.claim"))
    return None


@bp.route("/claim", methods=["GET", "POST"])
@roles_required("enterprise")
def claim():
    """The claimant's page: 待镇街审核, the reason if turned down, and the claim code box."""
    if current_user.firm_id is not None:
        return redirect(url_for("enterprise.dashboard"))
    db = session()
    form = ClaimCodeForm()
    if form.validate_on_submit() and run_form(form, lambda db: claims.redeem_code(db, current_user,
                                                                                   form.claim_code.data)):
        flash(gettext("认领已通过，欢迎使用"), "success")
        return redirect(url_for("enterprise.dashboard"))
    return render_template("firms/claim.html", claim=claims.claim_of(db, current_user), form=form)


@bp.get("/claims")
@roles_required("township", "district")
def queue():
    db = session()
    pending = db.scalars(claims.queue(current_user)).unique().all()
    moves = db.scalars(township_moves.queue(current_user)).all()
    townships = dict(db.query(Township.id, Township.name).all())
    return render_template("firms/claims.html", claims=pending, moves=moves, townships=townships,
                           reject_form=RejectForm())


@bp.get("/claims/<int:claim_id>/licence")
@roles_required("township", "district")
def licence(claim_id: int):
    row: FirmClaim = found_or_abort(claims.get_claim_for, session(), current_user, claim_id)
    path = claims.licence_path(claims_dir(), row)
    if path is None or not path.is_file():
        abort(404, gettext("该申请没有营业执照文件"))
    response = send_file(path, mimetype=row.licence_type, download_name=f"licence-{row.id}{path.suffix}",
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/claims/<int:claim_id>/approve")
@roles_required("township", "district")
def approve_claim(claim_id: int):
    return run_action(lambda db: claims.approve(db, current_user, claim_id), gettext("认领已通过，申请人现可代表该企业办理"),
                      url_for("firms.queue"))


@bp.post("/claims/<int:claim_id>/reject")
@roles_required("township", "district")
def reject_claim(claim_id: int):
    form = RejectForm()
    if not form.validate_on_submit():
        flash(gettext("；").join(str(e) for errors in form.errors.values() for e in errors) or gettext("请填写驳回理由"), "danger")
        return redirect(url_for("firms.queue"))
    return run_action(lambda db: claims.reject(db, current_user, claim_id, form.reason.data), gettext("认领申请已驳回"),
                      url_for("firms.queue"))


@bp.post("/moves/<int:move_id>/approve")
@roles_required("township", "district")
def approve_move(move_id: int):
    return run_action(lambda db: township_moves.approve(db, current_user, move_id), gettext("镇街变更已通过"),
                      url_for("firms.queue"))


@bp.post("/moves/<int:move_id>/reject")
@roles_required("township", "district")
def reject_move(move_id: int):
    form = RejectForm()
    if not form.validate_on_submit():
        flash(gettext("；").join(str(e) for errors in form.errors.values() for e in errors) or gettext("请填写驳回理由"), "danger")
        return redirect(url_for("firms.queue"))
    return run_action(lambda db: township_moves.reject(db, current_user, move_id, form.reason.data),
                      gettext("镇街变更申请已驳回"), url_for("firms.queue"))


def _show(firm_id: int, code: str | None = None, status: int = 200):
    db = session()
    firm = found_or_abort(records.get_firm_for, db, current_user, firm_id)
    return render_template(
        "firms/show.html", firm=firm, users=records.firm_users(db, firm.id),
        admin_id=records.firm_admin_id(db, firm.id), history=records.firm_history(db, firm.id),
        move=township_moves.pending_move(db, firm.id), code=claims.format_code(code) if code else None,
        code_days=claims.CODE_DAYS, may_issue=current_user.role == "township" and not records.has_account(db, firm.id),
        FIELD_LABELS=FIELD_LABELS, ACCOUNT_EVENTS=control.ACCOUNT_EVENTS), status


@bp.get("/<firm_id>")
@roles_required("township", "district")
def show(firm_id):
    fid = parse_id(firm_id)
    if fid is None:
        abort(404)
    return _show(fid)


@bp.post("/<int:firm_id>/claim-code")
@roles_required("township")
def issue_code(firm_id: int):
    db = session()
    try:
        code = claims.issue_code(db, current_user, firm_id)
    except DomainError as exc:
        db.rollback()
        if exc.status in (403, 404):
            abort(exc.status, error_text(exc))
        flash(error_text(exc), "danger")
        return redirect(url_for("firms.show", firm_id=firm_id))
    db.commit()
    return _show(firm_id, code=code)


@bp.route("/colleagues", methods=["GET", "POST"])
@roles_required("enterprise")
def colleagues():
    db = session()
    is_admin = claims.is_firm_admin(db, current_user)
    form = ColleagueForm()
    if is_admin and form.validate_on_submit() and run_form(form, lambda db: claims.add_colleague(
            db, current_user, username=form.username.data, password=form.password.data,
            display_name=form.display_name.data or "", phone=form.phone.data or "")):
        flash(with_data(gettext("账户 %(name)s 已添加"), name=form.username.data), "success")
        return redirect(url_for("firms.colleagues"))
    if request.method == "POST" and not is_admin:
        abort(403, gettext("只有本企业的管理员可以添加同事账户"))
    return render_template("firms/colleagues.html", users=records.firm_users(db, current_user.firm_id),
                           admin_id=records.firm_admin_id(db, current_user.firm_id), is_admin=is_admin, form=form,
                           min_password=passwords.MIN_LENGTH)

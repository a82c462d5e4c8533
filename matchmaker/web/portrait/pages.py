"""The firm portrait: one page per firm (the firm itself, its township, the district, and a bank holding a
claimed lead with the firm's consent — that view is logged), the firm's "谁看过我的画像", consent on an
existing request, the district's score weights, and the computed next step after a decline."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from ...domain.core.errors import DomainError
from ...domain.portrait import access, next_step
from ...domain.portrait import portrait as portraits
from ...domain.portrait import score as scoring
from ...domain.requests import financing
from ...models import Lead
from ...models.portrait import CONSENT_TEXT
from .. import nav
from ..common import found_or_abort, roles_required, run_action, run_form_action, session
from ..i18n import error_text
from .forms import PortraitWeightsForm

bp = Blueprint("portrait", __name__, url_prefix="/portrait")
nav.add("enterprise", "portrait.mine", "我的画像", "person-vcard")
nav.add("district", "portrait.weights", "画像权重", "sliders2")
nav.GROUPS["district"].setdefault("portrait.weights", ("设置", "gear"))  # beside 推荐权重
ALL_ROLES = ("enterprise", "bank_manager", "bank_admin", "township", "district")


@bp.app_context_processor
def portrait_helpers() -> dict:
    """For other rooms' pages: may the current user open this firm's portrait; a request's consent."""
    def portrait_allowed(firm) -> bool:
        return current_user.is_authenticated and access.can_view(session(), current_user, firm)

    def portrait_consent(request_id: int):
        return access.consent_for(session(), request_id)

    # the authorisation text in the reader's language (the stored consent keeps the Chinese text the firm agreed to)
    return {"portrait_allowed": portrait_allowed, "portrait_consent": portrait_consent,
            "consent_text": gettext(CONSENT_TEXT)}


@bp.get("/")
@roles_required("enterprise")
def mine():
    return redirect(url_for("portrait.show", firm_id=current_user.firm_id))


@bp.get("/firms/<int:firm_id>")
@roles_required(*ALL_ROLES)
def show(firm_id: int):
    db = session()
    try:
        firm = access.open_portrait(db, current_user, firm_id)
    except DomainError as exc:
        abort(exc.status, error_text(exc))
    db.commit()  # the bank's view is logged even if the page fails to render later
    data = portraits.build(db, firm)
    own_side = current_user.role in ("enterprise", "township", "district")
    return render_template(
        "portrait/show.html", p=data, own_side=own_side,
        views=access.views_of(db, firm.id) if own_side else [],
        consents=access.consents_of(db, firm.id) if own_side else [],
        steps=next_step.for_firm(db, firm, data.leads) if own_side else [])


@bp.post("/requests/<int:request_id>/consent")
@roles_required("enterprise", "township")
def consent(request_id: int):
    def act(db):
        req = financing.get_request_for(db, current_user, request_id)
        access.grant(db, current_user, req)
    return run_action(act, gettext("已授权：认领该需求的银行可查看企业画像，每次查看都会留痕"),
                      url_for("requests.show", request_id=request_id))


@bp.get("/leads/<int:lead_id>/next")
@roles_required("enterprise", "township", "district")
def next_for_lead(lead_id: int):
    db = session()
    lead = db.get(Lead, lead_id)
    if lead is None:
        abort(404)
    req = found_or_abort(financing.get_request_for, db, current_user, lead.request_id)
    step = next_step.next_step(db, lead)
    if step is None:
        abort(404)
    return render_template("portrait/next_step.html", step=step, req=req, lead=lead)


@bp.route("/weights", methods=["GET", "POST"])
@roles_required("district")
def weights():
    db = session()
    current = scoring.current_weights(db)
    form = PortraitWeightsForm() if request.method == "POST" else PortraitWeightsForm(formdata=None, data=current)
    if form.validate_on_submit():
        done = run_form_action(
            db, form, lambda: scoring.save_weights(db, current_user, {k: getattr(form, k).data for k in scoring.PARTS}),
            gettext("画像评分权重已保存"), url_for("portrait.weights"))
        if done:
            return done
    status = 422 if request.method == "POST" else 200
    return render_template("portrait/weights.html", form=form, current=current, labels=scoring.PARTS,
                           total=sum(current.values())), status

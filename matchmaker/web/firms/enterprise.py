"""The enterprise's own pages: its start page and the firm profile."""
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ...domain.core.errors import DomainError
from ...domain.firms import records as firms
from ...domain.firms import township_moves
from ...domain.requests import financing
from ...domain.whitelists.lists import entries_for_firm
from ...models import FinancingRequest
from ..common import apply_domain_error, roles_required, session
from ..fields import township_choices
from ..i18n import with_data
from ..requests.forms import ProfileForm

bp = Blueprint("enterprise", __name__, url_prefix="/enterprise")


@bp.get("/")
@roles_required("enterprise")
def dashboard():
    db = session()
    reqs = db.scalars(financing.visible_requests(current_user).order_by(FinancingRequest.created_at.desc())
                      .options(selectinload(FinancingRequest.leads)).limit(10)).all()
    return render_template("enterprise/dashboard.html", firm=current_user.firm, requests=reqs)


@bp.route("/profile", methods=["GET", "POST"])
@roles_required("enterprise")
def profile():
    db = session()
    firm = current_user.firm
    form = ProfileForm(obj=firm)
    form.township_id.choices = township_choices()
    form.description.render_kw = {"data-user": ""}  # the firm's own text, shown back in the textarea
    pending = township_moves.pending_move(db, firm.id)
    if not form.is_submitted() and pending is not None:
        form.township_id.data = pending.to_township_id  # saving again keeps the request; the old township withdraws it
    if not form.is_submitted() and firm.existing_bank_debt is not None:
        form.existing_debt_wan.data = Decimal(firm.existing_bank_debt) / 10000
    if form.validate_on_submit():
        try:
            values = {k: getattr(form, k).data for k in firms.PROFILE_FIELDS}
            values["tax_credit_grade"] = values["tax_credit_grade"] or None
            debt = form.existing_debt_wan.data
            values["existing_bank_debt"] = financing.wan_to_yuan(debt) if debt is not None else None
            move = township_moves.save_profile(db, current_user, firm, form.name.data, **values)
        except DomainError as exc:
            db.rollback()
            apply_domain_error(exc, form)
        else:
            db.commit()
            flash(with_data(gettext("企业资料已保存；迁至%(township)s的申请待该镇街审核，审核通过前所属镇街不变"),
                            township=move.to_township.name) if move else gettext("企业资料已保存"), "success")
            return redirect(url_for("enterprise.profile"))
    memberships = entries_for_firm(db, firm.id)
    return render_template("enterprise/profile.html", form=form, firm=firm, memberships=memberships,
                           move=township_moves.pending_move(db, firm.id))

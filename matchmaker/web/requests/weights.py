"""The district sets the weights of the routing score's parts ("why this bank")."""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from ...domain.requests import routing
from .. import nav
from ..common import roles_required, run_form_action, session
from .product_forms import WeightsForm

bp = Blueprint("weights", __name__, url_prefix="/district/weights")
nav.add("district", "weights.edit", "推荐权重", "sliders")


@bp.route("/", methods=["GET", "POST"])
@roles_required("district")
def edit():
    db = session()
    current = routing.current_weights(db)
    form = WeightsForm() if request.method == "POST" else WeightsForm(formdata=None, data=current)
    if form.validate_on_submit():
        done = run_form_action(
            db, form, lambda: routing.save_weights(db, current_user, {k: getattr(form, k).data
                                                                     for k in routing.WEIGHT_LABELS}),
            gettext("推荐权重已保存，之后提交的需求按新权重推荐"), url_for("weights.edit"))
        if done:
            return done
    status = 422 if request.method == "POST" else 200
    return render_template("weights/edit.html", form=form, current=current, labels=routing.WEIGHT_LABELS,
                           total=sum(current.values())), status

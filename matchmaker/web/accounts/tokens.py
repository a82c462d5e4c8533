"""Pages to manage API tokens (a bank admin its bank's, the district the district's; a new token is shown once)
and a bank's webhook URLs with their deliveries."""
from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_babel import gettext
from flask_login import current_user
from wtforms import SelectChoice

from ...domain.api import tokens, webhooks
from ...models import utcnow
from ...models.api import SCOPES, WEBHOOK_EVENTS
from ...models.notifications import OUTBOX_STATES
from .. import nav
from ..common import roles_required, run_action, run_form, session
from ..fields import labelled
from .token_forms import TokenForm, WebhookForm

bp = Blueprint("tokens", __name__, url_prefix="/api-tokens")
nav.add("bank_admin", "tokens.index", "接口令牌", "key")
nav.add("district", "tokens.index", "接口令牌", "key")
nav.add("bank_admin", "tokens.webhook_list", "回调地址", "broadcast")
nav.GROUPS["bank_admin"].setdefault("tokens", ("本行管理", "bank"))
nav.GROUPS["district"].setdefault("tokens", ("设置", "gear"))


def _scope_choices(owner: str) -> list[SelectChoice]:
    """Each scope the owner may grant, named by what it allows (the list of tokens shows the codes the API
    documentation names)."""
    return labelled({s: SCOPES[s] for s in tokens.allowed_scopes(owner)})


@bp.route("/", methods=["GET", "POST"])
@roles_required("bank_admin", "district")
def index():
    db = session()
    owner, _ = tokens.owner_of(current_user)
    form = TokenForm()
    form.scopes.choices = _scope_choices(owner)
    raw = None
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            made = run_form(form, lambda db: tokens.create(db, current_user, form.name.data, form.scopes.data,
                                                           form.days.data))
            if made is not None:
                raw, status = made[1], 200
                form = TokenForm(formdata=None)
                form.scopes.choices = _scope_choices(owner)
    return render_template("tokens/index.html", form=form, raw=raw, tokens=tokens.listed(db, current_user),
                           now=utcnow(), scopes=SCOPES), status


@bp.post("/<int:token_id>/revoke")
@roles_required("bank_admin", "district")
def revoke(token_id: int):
    return run_action(lambda db: tokens.revoke(db, current_user, token_id), gettext("令牌已撤销，立即失效"),
                      url_for("tokens.index"))


def _webhook_form() -> WebhookForm:
    form = WebhookForm()
    form.events.choices = labelled(WEBHOOK_EVENTS)
    return form


@bp.route("/webhooks", methods=["GET", "POST"])
@roles_required("bank_admin")
def webhook_list():
    db = session()
    form = _webhook_form()
    secret, status = None, 200
    if form.is_submitted():
        status = 422
        if form.validate():
            made = run_form(form, lambda db: webhooks.register(db, current_user, form.url.data, form.events.data))
            if made is not None:
                secret, status = made[1], 200
    return render_template("tokens/webhooks.html", form=form, secret=secret,
                           endpoints=webhooks.endpoints_of(db, current_user),
                           deliveries=webhooks.deliveries(db, current_user), events=WEBHOOK_EVENTS,
                           states=OUTBOX_STATES), status


@bp.post("/webhooks/<int:endpoint_id>/deactivate")
@roles_required("bank_admin")
def webhook_deactivate(endpoint_id: int):
    return run_action(lambda db: webhooks.deactivate(db, current_user, endpoint_id), gettext("回调地址已停用"),
                      url_for("tokens.webhook_list"))

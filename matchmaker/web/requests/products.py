"""The product catalogue: a bank admin creates and edits their bank's products and rules, the district sees (and
may edit) every bank's; and the check a firm runs while filling in a request ("which products can I get?")."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from ...domain.core.errors import DomainError
from ...domain.core.limits import contains
from ...domain.core.workdays import local_date
from ...domain.requests import financing
from ...domain.requests import products as catalogue
from ...domain.requests.eligibility import RequestFacts
from ...models import Bank, Firm, Product, ProductKind, Township
from ...models.products import COLLATERAL_KINDS
from ...text import N_
from .. import nav
from ..common import apply_sort, found_or_abort, paginate, parse_id, roles_required, run_form_action, session
from ..fields import bank_choices, named, product_kind_choices
from ..i18n import data as user_data
from ..i18n import locale, number, with_data
from .product_forms import ProductForm

bp = Blueprint("products", __name__)
EDITORS = ("bank_admin", "district")
FILERS = ("enterprise", "township", "district")
SORTS = {"name": Product.name, "bank": Bank.seq, "kind": Product.kind_code, "max_amount": Product.max_amount,
         "max_term": Product.max_term_months}

nav.add("district", "products.district_list", "产品目录", "box-seam", position=4)


def _townships(db) -> dict[int, str]:
    return dict(db.execute(select(Township.id, Township.name)).all())


def _list(template_bank: Bank | None):
    db = session()
    query = catalogue.visible_products(current_user)
    if current_user.role == "district" and request.args.get("bank", type=int):
        query = query.where(Product.bank_id == request.args.get("bank", type=int))
    if request.args.get("kind"):
        query = query.where(Product.kind_code == request.args["kind"])
    if request.args.get("active") in ("1", "0"):
        query = query.where(Product.active.is_(request.args["active"] == "1"))
    q = (request.args.get("q") or "").strip()
    if q:
        query = query.where(contains(Product.name, q))
    page = paginate(apply_sort(query, SORTS, "bank" if template_bank is None else "name"),
                    current_app.config["PAGE_SIZE"])
    names = _townships(db)
    summaries = {p.id: catalogue.summary_parts(p, names, locale()) for p in page.items}
    return render_template("products/index.html", page=page, summaries=summaries, bank=template_bank,
                           banks=db.scalars(select(Bank).order_by(Bank.seq)).all() if template_bank is None else [],
                           kinds=db.scalars(select(ProductKind).order_by(ProductKind.name)).all())


@bp.get("/bank/products")
@roles_required("bank_admin")
def bank_list():
    return _list(current_user.bank)


@bp.get("/district/products")
@roles_required("district")
def district_list():
    return _list(None)


def _form(product: Product | None = None) -> ProductForm:
    if request.method == "GET" and product is not None:
        data = catalogue.ProductInput.from_product(product)
        form = ProductForm(formdata=None, bank_id=product.bank_id, name=data.name, kind_code=data.kind_code,
                           min_amount_wan=Decimal(data.min_amount) / 10000,
                           max_amount_wan=Decimal(data.max_amount) / 10000,
                           min_term_months=data.min_term, max_term_months=data.max_term, collateral=data.collateral,
                           first_loan_only=data.first_loan_only, min_firm_age_years=data.min_firm_age,
                           high_tech_only=data.high_tech_only, required_whitelists=data.required_whitelists,
                           preferred_whitelists=data.preferred_whitelists, industries=data.industries,
                           townships=data.townships, min_tax_grade=data.min_tax_grade or "",
                           max_debt_wan=(Decimal(data.max_existing_debt) / 10000
                                         if data.max_existing_debt is not None else None),
                           rate_note=data.rate_note, description=data.description, active=data.active)
    else:
        form = ProductForm()
    form.kind_code.choices = product_kind_choices(N_("请选择"))  # the policy's product names: data
    # checkbox labels cannot carry an attribute: each town's name is marked as data inside its label
    form.townships.choices = [SelectChoice(t_id, user_data(name)) for t_id, name in
                              session().execute(select(Township.id, Township.name).order_by(Township.id))]
    form.bank_id.choices = bank_choices() if current_user.role == "district" else named(
        [(current_user.bank_id, current_user.bank.name)], None)
    return form


def _input(form: ProductForm) -> catalogue.ProductInput:
    return catalogue.ProductInput(
        name=form.name.data or "", kind_code=form.kind_code.data or "",
        min_amount=financing.wan_to_yuan(form.min_amount_wan.data or 0), max_amount=financing.wan_to_yuan(
            form.max_amount_wan.data), min_term=form.min_term_months.data, max_term=form.max_term_months.data,
        collateral=form.collateral.data or [], bank_id=form.bank_id.data if current_user.role == "district" else None,
        first_loan_only=form.first_loan_only.data, active=form.active.data, rate_note=form.rate_note.data or "",
        description=form.description.data or "", required_whitelists=form.required_whitelists.data or [],
        preferred_whitelists=form.preferred_whitelists.data or [], industries=form.industries.data or [],
        townships=form.townships.data or [], min_firm_age=form.min_firm_age_years.data,
        high_tech_only=form.high_tech_only.data, min_tax_grade=form.min_tax_grade.data or None,
        max_existing_debt=(financing.wan_to_yuan(form.max_debt_wan.data)
                           if form.max_debt_wan.data is not None else None))


def _back() -> str:
    return url_for("products.district_list" if current_user.role == "district" else "products.bank_list")


def _save(product: Product | None):
    db = session()
    form = _form(product)
    if form.validate_on_submit():
        def action():
            try:
                catalogue.save_product(db, current_user, _input(form), product)
            except DomainError as exc:
                if exc.field == "amount_wan":  # from wan_to_yuan: fractions of a 元
                    exc.field = "max_amount_wan"
                raise
        done = run_form_action(db, form, action, with_data(gettext("产品“%(name)s”已保存，新的准入条件立即用于推荐"),
                                                           name=(form.name.data or "").strip()), _back())
        if done:
            return done
    status = 422 if request.method == "POST" else 200
    return render_template("products/form.html", form=form, product=product, back=_back()), status


@bp.route("/products/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new():
    return _save(None)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit(product_id: int):
    return _save(found_or_abort(catalogue.get_product_for, session(), current_user, product_id))


# The firm's check while filling in a request --------------------------------------------------------------------

def firm_for_check(db, firm_id) -> Firm | None:
    """The firm a request is being filled in for (the enterprise's own; else the chosen one, if allowed)."""
    if current_user.role == "enterprise":
        return current_user.firm
    firm_key = parse_id(firm_id)
    firm = db.get(Firm, firm_key) if firm_key is not None else None
    if firm is not None and not financing.can_file_for(current_user, firm):
        abort(403, gettext("无权为该企业查询"))
    return firm


def run_check(db, firm: Firm | None, values) -> dict:
    """Evaluate every product for the typed values; returns what the panel shows (or what is missing)."""
    if firm is None:
        return {"ok": False, "message": gettext("请先选择企业")}
    try:
        amount = financing.wan_to_yuan(values.get("amount_wan") or "")
        term = int(str(values.get("term_months") or "").strip())
    except (DomainError, ValueError, ArithmeticError):  # ArithmeticError: "Infinity" and the like
        return {"ok": False, "message": gettext("填写申请金额和期限后即可查看可申请的产品")}
    if not 0 < amount <= financing.MAX_AMOUNT_WAN * 10000 or not 1 <= term <= financing.MAX_TERM_MONTHS:
        return {"ok": False, "message": gettext("申请金额应在0–%(max)s万元之间，期限应在1–360个月之间",
                                                max=number(financing.MAX_AMOUNT_WAN, 0))}
    collateral = values.get("collateral") or "none"
    if collateral not in COLLATERAL_KINDS:
        collateral = "none"
    interests = frozenset(values.getlist("products_of_interest") if hasattr(values, "getlist") else ())
    checks = catalogue.check_products(db, firm, RequestFacts(amount, term, collateral, interests), local_date())
    eligible = [c for c in checks if c.eligible]
    return {"ok": True, "firm": firm.name, "eligible_count": len(eligible), "checked": len(checks),
            "banks": len({c.product.bank_id for c in eligible}), "checks": checks}


@bp.get("/products/check")
@roles_required(*FILERS)
def check():
    """JSON for the request form: each product eligible or not, with every rule's reason (and the panel HTML)."""
    db = session()
    result = run_check(db, firm_for_check(db, request.args.get("firm_id")), request.args)
    html = render_template("products/_check.html", check=result)
    checks = result.pop("checks", [])
    return jsonify({**result, "products": [c.as_dict() for c in checks], "html": html})

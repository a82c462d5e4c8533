"""Banks' products and their eligibility rules: who may see and edit them, validation, a readable summary of
the rules, and checking a firm's draft request against every product with the evaluator routing uses."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ...models import Bank, Firm, Product, ProductKind, Township, User
from ...models.firms import INDUSTRIES
from ...models.products import COLLATERAL_KINDS
from ...text import N_
from ..core.access import get_allowed
from ..core.changes import record_changes, record_event
from ..core.errors import DomainError, Forbidden
from ..core.money import wan_text
from ..core.translate import translator
from ..core.visibility import visible_to
from . import financing, routing
from .eligibility import GRADE_RANK, WHITELIST_LABELS, FirmFacts, ProductCheck, ProductRules, RequestFacts, evaluate

MAX_FIRM_AGE_YEARS = 100


@dataclass
class ProductInput:
    """A product as typed on the form (money already in 元)."""

    name: str
    kind_code: str
    min_amount: int
    max_amount: int
    min_term: int
    max_term: int
    collateral: list[str]
    bank_id: int | None = None
    first_loan_only: bool = False
    active: bool = True
    rate_note: str = ""
    description: str = ""
    required_whitelists: list[str] = field(default_factory=list)
    preferred_whitelists: list[str] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)
    townships: list[int] = field(default_factory=list)
    min_firm_age: int | None = None
    high_tech_only: bool = False
    min_tax_grade: str | None = None
    max_existing_debt: int | None = None

    @classmethod
    def from_product(cls, p: Product) -> "ProductInput":
        r = ProductRules.from_product(p)
        return cls(name=p.name, kind_code=p.kind_code, min_amount=r.min_amount, max_amount=r.max_amount,
                   min_term=r.min_term, max_term=r.max_term, collateral=sorted(r.collateral), bank_id=p.bank_id,
                   first_loan_only=r.first_loan_only, active=bool(p.active), rate_note=p.rate_note or "",
                   description=p.description or "", required_whitelists=sorted(r.required_whitelists),
                   preferred_whitelists=sorted(r.preferred_whitelists), industries=sorted(r.industries),
                   townships=sorted(r.townships), min_firm_age=r.min_firm_age or None,
                   high_tech_only=r.high_tech_only, min_tax_grade=r.min_tax_grade,
                   max_existing_debt=r.max_existing_debt)

    def rules_json(self) -> dict:
        """The `Product.rules` JSON: only the rules that are set."""
        rules: dict = {}
        for key in ("required_whitelists", "preferred_whitelists", "industries"):
            if getattr(self, key):
                rules[key] = sorted(set(getattr(self, key)))
        if self.townships:
            rules["townships"] = sorted(set(self.townships))
        if self.min_firm_age:
            rules["min_firm_age_years"] = self.min_firm_age
        if self.high_tech_only:
            rules["high_tech_only"] = True
        if self.min_tax_grade:
            rules["min_tax_grade"] = self.min_tax_grade
        if self.max_existing_debt is not None:
            rules["max_existing_debt"] = self.max_existing_debt
        return rules


def visible_products(actor: User) -> Select:
    return visible_to(actor, select(Product).join(Bank, Bank.id == Product.bank_id), Product.id,
                      bank=Product.bank_id == actor.bank_id)


def can_edit(actor: User, product: Product | None = None) -> bool:
    if actor.role == "district":
        return True
    return actor.role == "bank_admin" and (product is None or product.bank_id == actor.bank_id)


def get_product_for(session: Session, actor: User, product_id: int) -> Product:
    return get_allowed(session, Product, product_id, lambda product: can_edit(actor, product), missing=N_("产品不存在"),
                       refused=N_("无权修改该产品"))


def _check_codes(values, allowed, field_name: str, what: str) -> None:
    """`what` is a marked msgid (the field's name), translated with the message."""
    bad = [v for v in values if v not in allowed]
    if bad:
        raise DomainError("未知的%(label)s：%(codes)s", field=field_name, label=what, codes=", ".join(map(str, bad)))


def validate(session: Session, data: ProductInput, product: Product | None, bank_id: int) -> None:
    """Every rule of the form; each error names the form field it belongs to."""
    name = (data.name or "").strip()
    if not name:
        raise DomainError("请填写产品名称", field="name")
    if len(name) > 100:
        raise DomainError("产品名称不超过100字", field="name")
    clash = session.scalar(select(Product.id).where(Product.bank_id == bank_id, Product.name == name))
    if clash is not None and (product is None or clash != product.id):
        raise DomainError("本行已有同名产品", field="name")
    if session.get(ProductKind, data.kind_code or "") is None:
        raise DomainError("请选择产品类别", field="kind_code")
    if data.min_amount < 0:
        raise DomainError("最低额度不能为负数", field="min_amount_wan")
    if data.max_amount <= 0:
        raise DomainError("最高额度必须大于0", field="max_amount_wan")
    if data.min_amount > data.max_amount:
        raise DomainError("最低额度不能高于最高额度", field="min_amount_wan")
    if not 1 <= data.min_term <= financing.MAX_TERM_MONTHS:
        raise DomainError("期限应在1–%(max)s个月之间", field="min_term_months", max=financing.MAX_TERM_MONTHS)
    if not 1 <= data.max_term <= financing.MAX_TERM_MONTHS:
        raise DomainError("期限应在1–%(max)s个月之间", field="max_term_months", max=financing.MAX_TERM_MONTHS)
    if data.min_term > data.max_term:
        raise DomainError("最短期限不能长于最长期限", field="min_term_months")
    if not data.collateral:
        raise DomainError("请至少选择一种接受的担保方式（信用贷款选“无抵押（信用）”）", field="collateral")
    _check_codes(data.collateral, COLLATERAL_KINDS, "collateral", N_("担保方式"))
    _check_codes(data.required_whitelists, WHITELIST_LABELS, "required_whitelists", N_("白名单"))
    _check_codes(data.preferred_whitelists, WHITELIST_LABELS, "preferred_whitelists", N_("白名单"))
    _check_codes(data.industries, INDUSTRIES, "industries", N_("行业"))
    townships = set(session.scalars(select(Township.id)))
    _check_codes(data.townships, townships, "townships", N_("镇街"))
    if data.min_firm_age is not None and not 0 <= data.min_firm_age <= MAX_FIRM_AGE_YEARS:
        raise DomainError("成立年限应在0–%(max)s年之间", field="min_firm_age_years", max=MAX_FIRM_AGE_YEARS)
    if data.min_tax_grade and data.min_tax_grade not in GRADE_RANK:
        raise DomainError("请选择纳税信用等级", field="min_tax_grade")
    if data.max_existing_debt is not None and data.max_existing_debt < 0:
        raise DomainError("负债上限不能为负数", field="max_debt_wan")
    if len(data.rate_note or "") > 100:
        raise DomainError("利率说明不超过100字", field="rate_note")


def save_product(session: Session, actor: User, data: ProductInput, product: Product | None = None) -> Product:
    """Create or update a product with its rules. A bank admin works on their own bank's products only; the
    district on any bank's."""
    if not can_edit(actor, product):
        raise Forbidden("无权修改该产品")
    if actor.role == "district":
        bank_id = data.bank_id if product is None else (data.bank_id or product.bank_id)
        if bank_id is None or session.get(Bank, bank_id) is None:
            raise DomainError("请选择银行", field="bank_id")
    else:
        bank_id = actor.bank_id
    validate(session, data, product, bank_id)
    before = snapshot(session, product) if product is not None else None
    if product is None:
        product = Product(bank_id=bank_id)
        session.add(product)
    product.bank_id = bank_id
    product.name = data.name.strip()
    product.kind_code = data.kind_code
    product.min_amount, product.max_amount = data.min_amount, data.max_amount
    product.min_term_months, product.max_term_months = data.min_term, data.max_term
    product.collateral = sorted(set(data.collateral))
    product.first_loan_only = bool(data.first_loan_only)
    product.active = bool(data.active)
    product.rate_note = (data.rate_note or "").strip()
    product.description = (data.description or "").strip()
    product.rules = data.rules_json()
    session.flush()
    if before is None:
        record_event(session, actor, "product", product.id, "created", product.name)
    else:
        record_changes(session, actor, "product", product.id, before, snapshot(session, product))
    return product


def snapshot(session: Session, product: Product) -> dict:
    """A product's terms and rules as its history shows them."""
    bank = session.get(Bank, product.bank_id)
    return {"bank": bank.name if bank else None, "name": product.name, "kind_code": product.kind_code,
            "min_amount": product.min_amount, "max_amount": product.max_amount,
            "min_term_months": product.min_term_months, "max_term_months": product.max_term_months,
            "collateral": sorted(product.collateral or []), "first_loan_only": bool(product.first_loan_only),
            "active": bool(product.active), "rate_note": product.rate_note or "",
            "description": product.description or "", "rules": product.rules or {}}


def rules_summary(product: Product, township_names: dict[int, str] | None = None,
                  locale: str | None = None) -> list[str]:
    """The product's conditions beyond amount and term, one short phrase each, in `locale` (None: Chinese).
    Town names are data: the phrase naming them is built from its parts (`summary_parts` gives them apart)."""
    return [text for text, _names in summary_parts(product, township_names, locale)]


def summary_parts(product: Product, township_names: dict[int, str] | None = None,
                  locale: str | None = None) -> list[tuple[str, str]]:
    """(phrase, names) per condition: `names` is user data to show after the phrase (the towns), else ""."""
    _ = translator(locale)
    r = ProductRules.from_product(product, township_names)
    sep = _(N_("、"))

    def labels(codes, glossary):
        return sep.join(_(glossary.get(k, k)) for k in sorted(codes))

    out = []
    if r.first_loan_only:
        out.append((_(N_("仅限首贷企业")), ""))
    if r.min_firm_age:
        out.append((_(N_("成立满%(years)s年"), years=r.min_firm_age), ""))
    if r.high_tech_only:
        out.append((_(N_("仅限高新技术企业")), ""))
    if r.required_whitelists:
        out.append((_(N_("须列入白名单：%(names)s"), names=labels(r.required_whitelists, WHITELIST_LABELS)), ""))
    if r.industries:
        out.append((_(N_("行业：%(names)s"), names=labels(r.industries, INDUSTRIES)), ""))
    if r.townships:
        out.append((_(N_("镇街：")), r.township_names))
    if r.min_tax_grade:
        out.append((_(N_("纳税信用%(grade)s级及以上（须核验）") if r.tax_grade_verified else N_("纳税信用%(grade)s级及以上"),
                      grade=r.min_tax_grade), ""))
    if r.max_existing_debt is not None:
        out.append((_(N_("现有贷款≤%(amount)s万元"), amount=wan_text(r.max_existing_debt, 0)), ""))
    if r.preferred_whitelists:
        out.append((_(N_("优先：%(names)s"), names=labels(r.preferred_whitelists, WHITELIST_LABELS)), ""))
    return out


def check_products(session: Session, firm: Firm, req: RequestFacts, today: date | None = None) -> list[ProductCheck]:
    """Every active product of an active bank, evaluated for this firm and draft request: eligible first."""
    kinds = routing.firm_whitelist_kinds(session, [firm.id]).get(firm.id, frozenset())
    facts = FirmFacts.from_firm(firm, kinds, routing.firm_verified_grades(session, [firm.id]).get(firm.id))
    townships = dict(session.execute(select(Township.id, Township.name)).all())
    rows = session.scalars(select(Product).join(Bank, Bank.id == Product.bank_id)
                           .where(Product.active.is_(True), Bank.active.is_(True)).order_by(Bank.seq, Product.id))
    checks = [ProductCheck(rules, p.bank.name, p.kind.name, evaluate(rules, facts, req, today))
              for p in rows for rules in (ProductRules.from_product(p, townships),)]
    return sorted(checks, key=lambda c: (not c.eligible, len(c.failed)))

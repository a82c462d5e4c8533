"""The next step after a decline, computed: for a fixable decline, the products of other banks the firm is
eligible for now, and for products it just misses, the one change to the request that makes it eligible (each
change checked by re-running the rules); for a decline the firm cannot fix, the referral that fits."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Bank, Lead, Product, Township
from ...models.products import COLLATERAL_KINDS
from ...models.referrals import REFERRAL_TARGETS
from ...text import N_, Phrase
from ..outcomes.referrals import targets_for
from ..requests import declines
from ..requests.eligibility import ProductCheck, ProductRules, RequestFacts, evaluate

CHANGEABLE = ("amount", "term", "collateral")  # what the firm can change on its own request
COLLATERAL_ORDER = ("guarantee", "property", "equipment", "receivables", "patent", "trademark", "equity")
REFERRAL_WHY = {  # marked labels: shown with |t
    "guarantee": N_("由区政府性融资担保公司提供担保后，可再向银行申请（政银保贷）"),
    "bridge_fund": N_("到期续贷可申请应急转贷资金过桥，避免抽贷断贷"),
    "counselling": N_("镇街金融辅导队帮助梳理资料、修复征信、对接合适的银行"),
}


@dataclass
class Change:
    """One change to the request and what it becomes, e.g. 金额降至 300 万元以内 → 农行·政银保贷."""

    text: Phrase
    values: dict                 # the request fields to change: amount (元), term_months, collateral
    product_id: int
    product: str
    bank: str
    bank_id: int


@dataclass
class NextStep:
    lead: Lead
    label: str
    fixable: bool
    eligible: list[ProductCheck] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    referrals: list[tuple[str, str]] = field(default_factory=list)   # (target label, why): marked labels


def one_change(check: ProductCheck, req: RequestFacts) -> tuple[Phrase, dict, RequestFacts] | None:
    """The single change to the request that fixes the product's only failing rule, or None."""
    failed = check.failed
    if len(failed) != 1 or failed[0].rule not in CHANGEABLE:
        return None
    p = check.product
    rule = failed[0].rule
    if rule == "amount":
        if req.amount > p.max_amount:
            return (Phrase(N_("金额降至 %(amount)s以内"), amount=p.max_amount), {"amount": p.max_amount},
                    replace(req, amount=p.max_amount))
        return (Phrase(N_("金额提高到 %(amount)s"), amount=p.min_amount), {"amount": p.min_amount},
                replace(req, amount=p.min_amount))
    if rule == "term":
        term = min(max(req.term_months, p.min_term), p.max_term)
        return Phrase(N_("期限调整为 %(months)s 个月"), months=term), {"term_months": term}, replace(req, term_months=term)
    kind = next((k for k in COLLATERAL_ORDER if k in p.collateral), None)
    if kind is None:
        return None
    verb = Phrase(N_("提供担保")) if kind == "guarantee" else Phrase(N_("提供%(kind_label)s"),
                                                                     kind_label=COLLATERAL_KINDS[kind])
    return verb, {"collateral": kind}, replace(req, collateral=kind)


def catalogue(session: Session) -> list[tuple[ProductRules, str, str]]:
    """Every active product of an active bank as (rules, bank name, kind name), read once per page."""
    townships = dict(session.execute(select(Township.id, Township.name)).all())
    rows = session.scalars(select(Product).join(Bank, Bank.id == Product.bank_id)
                           .where(Product.active.is_(True), Bank.active.is_(True)).order_by(Bank.seq, Product.id))
    return [(ProductRules.from_product(p, townships), p.bank.name, p.kind.name) for p in rows]


def next_step(session: Session, lead: Lead, products: list | None = None, firm_facts=None) -> NextStep | None:
    """What the firm can do after this declined lead (None when the lead was not declined). `products` and
    `firm_facts` may be passed when computing several leads of one firm."""
    tip = declines.advice(lead)
    if tip is None:
        return None
    req = lead.request
    step = NextStep(lead, tip.label, tip.fixable)
    if not tip.fixable:
        step.referrals = [(REFERRAL_TARGETS[t], REFERRAL_WHY[t]) for t in targets_for(req)]
        return step
    facts = RequestFacts.from_request(req)
    tried = {x.bank_id for x in req.leads}
    firm_facts = firm_facts or _firm_facts(session, req.firm)
    best_change: dict[tuple, Change] = {}
    for rules, bank_name, kind_name in (products if products is not None else catalogue(session)):
        if rules.bank_id in tried:
            continue
        check = ProductCheck(rules, bank_name, kind_name, evaluate(rules, firm_facts, facts))
        if check.eligible:
            step.eligible.append(check)
            continue
        found = one_change(check, facts)
        if found is None:
            continue
        text, values, changed = found
        if not all(r.passed for r in evaluate(rules, firm_facts, changed)):
            continue  # never suggest a change the rules would not accept
        best_change.setdefault((text, rules.kind_code), Change(text, values, rules.id, rules.name, bank_name,
                                                               rules.bank_id))
    step.eligible.sort(key=lambda c: c.bank_name)
    step.changes = list(best_change.values())[:8]
    step.eligible = step.eligible[:8]
    return step


def _firm_facts(session: Session, firm):
    from ..requests import routing
    from ..requests.eligibility import FirmFacts
    kinds = routing.firm_whitelist_kinds(session, [firm.id]).get(firm.id, frozenset())
    return FirmFacts.from_firm(firm, kinds, routing.firm_verified_grades(session, [firm.id]).get(firm.id))


def for_firm(session: Session, firm, leads: list[Lead]) -> list[NextStep]:
    """Next steps for the firm's declined leads whose request is still live (newest first, at most three). The
    catalogue and the firm's facts are read once whatever the number of leads (the page's cost stays flat)."""
    live = [lead for lead in sorted(leads, key=lambda x: x.id, reverse=True)
            if lead.state == "declined" and lead.request.state in declines.RESUBMIT_REQUEST_STATES]
    products, firm_facts = catalogue(session), _firm_facts(session, firm)
    steps = []
    for lead in live[:3]:
        step = next_step(session, lead, products, firm_facts)
        if step is not None:
            steps.append(step)
    return steps

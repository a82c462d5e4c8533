"""Product eligibility: one evaluator applies a product's rules to a firm and a request and says, rule by
rule, whether it passed and why. `is_eligible` is the fast path used when ranking."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..models import Firm, FinancingRequest, Product
from ..models.products import COLLATERAL_KINDS


@dataclass(frozen=True, slots=True)
class ProductRules:
    id: int
    bank_id: int
    kind_code: str
    name: str
    min_amount: int
    max_amount: int
    min_term: int
    max_term: int
    collateral: frozenset[str]
    first_loan_only: bool
    preferred_whitelists: frozenset[str]

    @classmethod
    def from_product(cls, p: Product) -> "ProductRules":
        rules = p.rules or {}
        return cls(
            id=p.id, bank_id=p.bank_id, kind_code=p.kind_code, name=p.name,
            min_amount=int(p.min_amount or 0), max_amount=int(p.max_amount),
            min_term=int(p.min_term_months or 1), max_term=int(p.max_term_months),
            collateral=frozenset(p.collateral or ()), first_loan_only=bool(p.first_loan_only),
            preferred_whitelists=frozenset(rules.get("preferred_whitelists", ())),
        )


@dataclass(frozen=True, slots=True)
class FirmFacts:
    id: int
    township_id: int | None
    has_bank_loan: bool
    industry: str
    founded_year: int | None
    tax_credit_grade: str | None
    whitelist_kinds: frozenset[str] = frozenset()

    @classmethod
    def from_firm(cls, f: Firm, whitelist_kinds: frozenset[str] = frozenset()) -> "FirmFacts":
        return cls(f.id, f.township_id, bool(f.has_bank_loan), f.industry, f.founded_year,
                   f.tax_credit_grade, frozenset(whitelist_kinds))


@dataclass(frozen=True, slots=True)
class RequestFacts:
    amount: int  # 元
    term_months: int
    collateral: str
    interests: frozenset[str]

    @classmethod
    def from_request(cls, r: FinancingRequest) -> "RequestFacts":
        return cls(int(r.amount), int(r.term_months), r.collateral or "none",
                   frozenset(r.products_of_interest or ()))


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule: str
    passed: bool
    reason: str


def _wan(yuan: int) -> str:
    return f"{yuan / 10000:,.0f}万元" if yuan % 10000 == 0 else f"{yuan / 10000:,.2f}万元"


def evaluate(p: ProductRules, firm: FirmFacts, req: RequestFacts, today: date | None = None) -> list[RuleResult]:
    """Every rule of the product, passed or failed, with a reason a firm can read."""
    results = [
        RuleResult("amount", p.min_amount <= req.amount <= p.max_amount,
                   f"额度范围 {_wan(p.min_amount)}–{_wan(p.max_amount)}"),
        RuleResult("term", p.min_term <= req.term_months <= p.max_term,
                   f"期限范围 {p.min_term}–{p.max_term} 个月"),
        RuleResult("collateral", _collateral_ok(p, req),
                   "接受的担保方式：" + "、".join(COLLATERAL_KINDS.get(c, c) for c in sorted(p.collateral))),
    ]
    if p.first_loan_only:
        results.append(RuleResult("first_loan", not firm.has_bank_loan, "仅限从未获得过银行贷款的企业（首贷）"))
    return results


def _collateral_ok(p: ProductRules, req: RequestFacts) -> bool:
    return req.collateral in p.collateral or "none" in p.collateral


def is_eligible(p: ProductRules, firm: FirmFacts, req: RequestFacts) -> bool:
    """Same verdict as all(evaluate(...)), without building messages."""
    if not (p.min_amount <= req.amount <= p.max_amount and p.min_term <= req.term_months <= p.max_term):
        return False
    if not _collateral_ok(p, req):
        return False
    if p.first_loan_only and firm.has_bank_loan:
        return False
    return True

"""Product eligibility: one evaluator applies a product's rules to a firm and a request and says, rule by
rule, whether it passed and why. `is_eligible` is the fast path used when ranking; it gives the same verdict as
all(r.passed for r in evaluate(...)).

A product's rules are data: the columns of `Product` (amount and term ranges, collateral accepted, first-loan
only) and its `rules` JSON, whose keys are listed in RULE_KEYS.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from ...models import FinancingRequest, Firm, Product
from ...models.firms import INDUSTRIES
from ...models.products import COLLATERAL_KINDS
from ...models.whitelists import WHITELIST_KINDS as WHITELIST_LABELS
from ..core.money import wan_text
from ..core.workdays import local_date

GRADE_RANK = {"A": 5, "B": 4, "M": 3, "C": 2, "D": 1}  # tax credit grades, best first
RULE_KEYS = {
    "required_whitelists": "须列入的白名单（任一）",
    "preferred_whitelists": "优先的白名单（加分，不是门槛）",
    "industries": "限定行业",
    "townships": "限定镇街（镇街 id）",
    "min_firm_age_years": "成立年限下限（年）",
    "high_tech_only": "仅限高新技术企业",
    "min_tax_grade": "纳税信用等级下限（A>B>M>C>D）",
    "tax_grade_verified": "纳税信用等级须经税务名单核验（不认自报）",
    "max_existing_debt": "现有银行贷款余额上限（元）",
}
RULE_LABELS = {
    "amount": "金额", "term": "期限", "collateral": "担保方式", "first_loan": "首贷", "firm_age": "成立年限",
    "whitelist": "名单与资质", "high_tech": "高新技术企业", "industry": "行业", "township": "镇街",
    "tax_grade": "纳税信用", "debt": "现有负债",
}


def _codes(value) -> frozenset[str]:
    if not isinstance(value, (list, tuple, set, frozenset)):
        return frozenset()
    return frozenset(str(v) for v in value if v not in (None, ""))


def _ints(value) -> frozenset[int]:
    out = set()
    for v in value if isinstance(value, (list, tuple, set, frozenset)) else ():
        try:
            out.add(int(v))
        except (TypeError, ValueError):
            continue
    return frozenset(out)


def _int_or(value, default):
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


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
    required_whitelists: frozenset[str] = frozenset()
    industries: frozenset[str] = frozenset()
    townships: frozenset[int] = frozenset()
    min_firm_age: int = 0
    high_tech_only: bool = False
    min_tax_grade: str | None = None
    max_existing_debt: int | None = None  # 元
    township_names: str = ""
    tax_grade_verified: bool = False

    @classmethod
    def from_product(cls, p: Product, township_names: Mapping[int, str] | None = None) -> "ProductRules":
        rules = p.rules if isinstance(p.rules, dict) else {}
        townships = _ints(rules.get("townships"))
        grade = rules.get("min_tax_grade")
        names = township_names or {}
        return cls(
            id=p.id, bank_id=p.bank_id, kind_code=p.kind_code, name=p.name,
            min_amount=int(p.min_amount or 0), max_amount=int(p.max_amount),
            min_term=int(p.min_term_months or 1), max_term=int(p.max_term_months),
            collateral=frozenset(p.collateral or ()), first_loan_only=bool(p.first_loan_only),
            preferred_whitelists=_codes(rules.get("preferred_whitelists")),
            required_whitelists=_codes(rules.get("required_whitelists")),
            industries=_codes(rules.get("industries")),
            townships=townships,
            min_firm_age=max(0, _int_or(rules.get("min_firm_age_years"), 0)),
            high_tech_only=bool(rules.get("high_tech_only")),
            min_tax_grade=grade if grade in GRADE_RANK else None,
            max_existing_debt=_int_or(rules.get("max_existing_debt"), None),
            township_names="、".join(names.get(t, f"#{t}") for t in sorted(townships)),
            tax_grade_verified=bool(rules.get("tax_grade_verified")),
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
    existing_debt: int | None = None  # 元; None = not given
    verified_grade: str | None = None  # on the newest tax bureau list (核验); it wins over the declared one

    @classmethod
    def from_firm(cls, f: Firm, whitelist_kinds: frozenset[str] = frozenset(),
                  verified_grade: str | None = None) -> "FirmFacts":
        return cls(f.id, f.township_id, bool(f.has_bank_loan), f.industry, f.founded_year,
                   f.tax_credit_grade, frozenset(whitelist_kinds), f.existing_bank_debt, verified_grade)

    @property
    def grade(self) -> str | None:
        """The grade rules use: the verified one if the tax list has the firm, else the self-declared one."""
        return self.verified_grade or self.tax_credit_grade

    @property
    def grade_text(self) -> str:
        if self.verified_grade:
            return f"企业为 {self.verified_grade} 级（税务名单核验）"
        return f"企业为 {self.tax_credit_grade} 级（自报，未经核验）" if self.tax_credit_grade else "企业资料未填写纳税信用等级"

    @property
    def debt(self) -> int | None:
        """Known bank debt in 元: a firm that never borrowed owes nothing; otherwise what it declared."""
        if self.existing_debt is not None:
            return self.existing_debt
        return None if self.has_bank_loan else 0


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

    @property
    def label(self) -> str:
        return RULE_LABELS.get(self.rule, self.rule)


def _wan(yuan: int) -> str:
    return f"{wan_text(yuan, 0)}万元" if yuan % 10000 == 0 else f"{wan_text(yuan)}万元"


def _labels(codes, labels: Mapping[str, str]) -> str:
    return "、".join(labels.get(c, c) for c in sorted(codes)) or "无"


def _collateral_ok(p: ProductRules, req: RequestFacts) -> bool:
    return req.collateral in p.collateral or "none" in p.collateral


def _grade_ok(p: ProductRules, firm: FirmFacts) -> bool:
    grade = firm.verified_grade if p.tax_grade_verified else firm.grade
    return GRADE_RANK.get(grade or "", 0) >= GRADE_RANK[p.min_tax_grade]


def _debt_ok(p: ProductRules, firm: FirmFacts) -> bool:
    debt = firm.debt
    return debt is not None and debt <= p.max_existing_debt


def _age_ok(p: ProductRules, firm: FirmFacts, year: int) -> bool:
    return firm.founded_year is not None and year - firm.founded_year >= p.min_firm_age


def evaluate(p: ProductRules, firm: FirmFacts, req: RequestFacts, today: date | None = None) -> list[RuleResult]:
    """Every rule the product sets, passed or failed, with a reason a firm can read (requirement; the firm's
    own value)."""
    year = (today or local_date()).year
    offered = COLLATERAL_KINDS.get(req.collateral, req.collateral)
    results = [
        RuleResult("amount", p.min_amount <= req.amount <= p.max_amount,
                   f"额度 {_wan(p.min_amount)}–{_wan(p.max_amount)}；本次申请 {_wan(req.amount)}"),
        RuleResult("term", p.min_term <= req.term_months <= p.max_term,
                   f"期限 {p.min_term}–{p.max_term} 个月；本次申请 {req.term_months} 个月"),
        RuleResult("collateral", _collateral_ok(p, req),
                   f"接受的担保方式：{_labels(p.collateral, COLLATERAL_KINDS)}；企业提供：{offered}"),
    ]
    if p.first_loan_only:
        results.append(RuleResult("first_loan", not firm.has_bank_loan,
                                  "仅限从未获得过银行贷款的企业（首贷）；企业"
                                  + ("曾获得银行贷款" if firm.has_bank_loan else "从未获得银行贷款")))
    if p.min_firm_age:
        have = (f"企业成立于 {firm.founded_year} 年（满 {year - firm.founded_year} 年）"
                if firm.founded_year is not None else "企业资料未填写成立年份")
        results.append(RuleResult("firm_age", _age_ok(p, firm, year), f"须成立满 {p.min_firm_age} 年；{have}"))
    if p.required_whitelists:
        hit = firm.whitelist_kinds & p.required_whitelists
        results.append(RuleResult(
            "whitelist", bool(hit),
            f"须列入以下名单或具备以下资质之一：{_labels(p.required_whitelists, WHITELIST_LABELS)}；企业"
            + (f"已列入：{_labels(hit, WHITELIST_LABELS)}" if hit else "未列入其中任何一类")))
    if p.high_tech_only:
        ok = "high_tech" in firm.whitelist_kinds
        results.append(RuleResult("high_tech", ok, "仅限高新技术企业；企业" + ("在" if ok else "不在") + "高新技术企业名单中"))
    if p.industries:
        results.append(RuleResult(
            "industry", firm.industry in p.industries,
            f"限以下行业：{_labels(p.industries, INDUSTRIES)}；企业行业：{INDUSTRIES.get(firm.industry, firm.industry)}"))
    if p.townships:
        ok = firm.township_id in p.townships
        results.append(RuleResult("township", ok, f"限以下镇街：{p.township_names or '指定镇街'}；企业所在镇街"
                                  + ("在其中" if ok else "不在其中")))
    if p.min_tax_grade:
        need = "经税务名单核验的" if p.tax_grade_verified else ""
        results.append(RuleResult("tax_grade", _grade_ok(p, firm),
                                  f"{need}纳税信用等级须为 {p.min_tax_grade} 级及以上（A>B>M>C>D）；{firm.grade_text}"))
    if p.max_existing_debt is not None:
        debt = firm.debt
        have = f"企业现有 {_wan(debt)}" if debt is not None else "企业资料未填写现有银行贷款余额"
        results.append(RuleResult("debt", _debt_ok(p, firm),
                                  f"现有银行贷款余额不超过 {_wan(p.max_existing_debt)}；{have}"))
    return results


def is_eligible(p: ProductRules, firm: FirmFacts, req: RequestFacts, today: date | None = None) -> bool:
    """Same verdict as all(evaluate(...)), without building messages (cheap checks first)."""
    if not (p.min_amount <= req.amount <= p.max_amount and p.min_term <= req.term_months <= p.max_term):
        return False
    if not _collateral_ok(p, req):
        return False
    if p.first_loan_only and firm.has_bank_loan:
        return False
    if p.industries and firm.industry not in p.industries:
        return False
    if p.townships and firm.township_id not in p.townships:
        return False
    if p.required_whitelists and not (firm.whitelist_kinds & p.required_whitelists):
        return False
    if p.high_tech_only and "high_tech" not in firm.whitelist_kinds:
        return False
    if p.min_tax_grade and not _grade_ok(p, firm):
        return False
    if p.max_existing_debt is not None and not _debt_ok(p, firm):
        return False
    if p.min_firm_age and not _age_ok(p, firm, (today or local_date()).year):
        return False
    return True


def request_passes(p: ProductRules, req: RequestFacts) -> bool:
    """The rules on the request alone (amount, term, collateral): with `firm_passes`, the verdict of `is_eligible`."""
    return (p.min_amount <= req.amount <= p.max_amount and p.min_term <= req.term_months <= p.max_term
            and _collateral_ok(p, req))


def firm_passes(p: ProductRules, firm: FirmFacts, year: int) -> bool:
    """The rules on the firm alone (first loan, industry, township, white lists, tax grade, debt, age)."""
    return not ((p.first_loan_only and firm.has_bank_loan)
                or (p.industries and firm.industry not in p.industries)
                or (p.townships and firm.township_id not in p.townships)
                or (p.required_whitelists and not (firm.whitelist_kinds & p.required_whitelists))
                or (p.high_tech_only and "high_tech" not in firm.whitelist_kinds)
                or (p.min_tax_grade and not _grade_ok(p, firm))
                or (p.max_existing_debt is not None and not _debt_ok(p, firm))
                or (p.min_firm_age and not _age_ok(p, firm, year)))


@dataclass(frozen=True)
class ProductCheck:
    """One product's verdict for a firm and a draft request."""

    product: ProductRules
    bank_name: str
    kind_name: str
    results: list[RuleResult]

    @property
    def eligible(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed]

    def as_dict(self) -> dict:
        return {"product_id": self.product.id, "product": self.product.name, "bank_id": self.product.bank_id,
                "bank": self.bank_name, "kind": self.kind_name, "eligible": self.eligible,
                "rules": [{"rule": r.rule, "label": r.label, "passed": r.passed, "reason": r.reason}
                          for r in self.results]}

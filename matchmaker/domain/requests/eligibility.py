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
from ...text import N_
from ..core.money import wan_text
from ..core.workdays import local_date

GRADE_RANK = {"A": 5, "B": 4, "M": 3, "C": 2, "D": 1}  # tax credit grades, best first
RULE_KEYS = {
    "required_whitelists": N_("须列入的白名单（任一）"),
    "preferred_whitelists": N_("优先的白名单（加分，不是门槛）"),
    "industries": N_("限定行业"),
    "townships": N_("限定镇街（镇街 id）"),
    "min_firm_age_years": N_("成立年限下限（年）"),
    "high_tech_only": N_("仅限高新技术企业"),
    "min_tax_grade": N_("纳税信用等级下限（A>B>M>C>D）"),
    "tax_grade_verified": N_("纳税信用等级须经税务名单核验（不认自报）"),
    "max_existing_debt": N_("现有银行贷款余额上限（元）"),
}
RULE_LABELS = {
    "amount": N_("金额"), "term": N_("期限"), "collateral": N_("担保方式"), "first_loan": N_("首贷"),
    "firm_age": N_("成立年限"),
    "whitelist": N_("名单与资质"), "high_tech": N_("高新技术企业"), "industry": N_("行业"), "township": N_("镇街"),
    "tax_grade": N_("纳税信用"), "debt": N_("现有负债"),
}


# --- reasons a reader sees ("why this bank", "why not this product") -------------------------------------------
# A reason is kept as what to say, not as text: a list of segments [msgid, values] (joined by "；"), so a lead
# routed while one reader used Chinese reads in English for another later. A value is a name or number as it is
# (user data: shown marked), or {"t": msgid} (a glossary label, translated), {"ts": [msgid, …]} (labels joined by
# "、", "无" when none), {"wan": yuan} (an amount), {"says": [msgid, values]} (a nested sentence). `reason_text`
# writes it; the Chinese text is also stored beside it (`reason`) for the API, exports and logs.
SEGMENT_SEP = N_("；")
LIST_SEP = N_("、")
NONE_TEXT = N_("无")


def says(msgid: str, **values) -> list:
    """One segment of a reason: a Chinese msgid with named placeholders and its values (JSON-safe)."""
    return [msgid, values]


def _wan(yuan: int) -> str:
    return f"{wan_text(yuan, 0)}万元" if yuan % 10000 == 0 else f"{wan_text(yuan)}万元"


def _plain(text: str, **values) -> str:
    return text % values if values else text


def reason_text(segments, gettext=None, data=str, money=_wan, fill=_plain) -> str:
    """The reason `segments` ([[msgid, values], …]) as text: in Chinese by default; the web passes its gettext,
    its `data` marker for names, its money format and a `fill` that escapes (matchmaker/web/requests/reasons.py)."""
    tr = gettext or (lambda msgid: msgid)

    def value(v):
        if isinstance(v, dict):
            if "t" in v:
                return tr(v["t"])
            if "ts" in v:
                return tr(LIST_SEP).join(tr(m) for m in v["ts"]) if v["ts"] else tr(NONE_TEXT)
            if "wan" in v:
                return money(v["wan"])
            if "says" in v:
                return one(v["says"])
        return data(v) if isinstance(v, str) else str(v)

    def one(segment):
        msgid, values = segment
        return fill(tr(msgid), **{k: value(v) for k, v in (values or {}).items()})

    texts = [one(segment) for segment in segments or ()]
    if not texts:
        return ""
    joined = texts[0]
    for text in texts[1:]:
        joined = fill("%(a)s" + tr(SEGMENT_SEP) + "%(b)s", a=joined, b=text)
    return joined


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
    def grade_says(self) -> list:
        if self.verified_grade:
            return says(N_("企业为 %(grade)s 级（税务名单核验）"), grade=self.verified_grade)
        if self.tax_credit_grade:
            return says(N_("企业为 %(grade)s 级（自报，未经核验）"), grade=self.tax_credit_grade)
        return says(N_("企业资料未填写纳税信用等级"))

    @property
    def grade_text(self) -> str:
        return reason_text([self.grade_says])

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
    why: list  # the reason's segments (`says`): requirement; the firm's own value

    @property
    def label(self) -> str:
        return RULE_LABELS.get(self.rule, self.rule)

    @property
    def reason(self) -> str:
        """The reason in Chinese (tests, the API); pages write `why` in the reader's language."""
        return reason_text(self.why)


def _labels(codes, labels: Mapping[str, str]) -> dict:
    return {"ts": [labels.get(c, c) for c in sorted(codes)]}


def _rule(rule: str, passed: bool, msgid: str, **values) -> RuleResult:
    return RuleResult(rule, bool(passed), [says(msgid, **values)])


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
    offered = COLLATERAL_KINDS.get(req.collateral)
    results = [
        _rule("amount", p.min_amount <= req.amount <= p.max_amount, N_("额度 %(low)s–%(high)s；本次申请 %(amount)s"),
              low={"wan": p.min_amount}, high={"wan": p.max_amount}, amount={"wan": req.amount}),
        _rule("term", p.min_term <= req.term_months <= p.max_term,
              N_("期限 %(low)s–%(high)s 个月；本次申请 %(term)s 个月"), low=p.min_term, high=p.max_term,
              term=req.term_months),
        _rule("collateral", _collateral_ok(p, req), N_("接受的担保方式：%(accepted)s；企业提供：%(offered)s"),
              accepted=_labels(p.collateral, COLLATERAL_KINDS),
              offered={"t": offered} if offered else req.collateral),
    ]
    if p.first_loan_only:
        results.append(_rule("first_loan", not firm.has_bank_loan,
                             N_("仅限从未获得过银行贷款的企业（首贷）；企业曾获得银行贷款") if firm.has_bank_loan
                             else N_("仅限从未获得过银行贷款的企业（首贷）；企业从未获得银行贷款")))
    if p.min_firm_age:
        have = (says(N_("企业成立于 %(year)s 年（满 %(age)s 年）"), year=firm.founded_year,
                     age=year - firm.founded_year)
                if firm.founded_year is not None else says(N_("企业资料未填写成立年份")))
        results.append(_rule("firm_age", _age_ok(p, firm, year), N_("须成立满 %(years)s 年；%(have)s"),
                             years=p.min_firm_age, have={"says": have}))
    if p.required_whitelists:
        hit = firm.whitelist_kinds & p.required_whitelists
        needed = _labels(p.required_whitelists, WHITELIST_LABELS)
        if hit:
            results.append(_rule("whitelist", True, N_("须列入以下名单或具备以下资质之一：%(lists)s；企业已列入：%(hit)s"),
                                 lists=needed, hit=_labels(hit, WHITELIST_LABELS)))
        else:
            results.append(_rule("whitelist", False,
                                 N_("须列入以下名单或具备以下资质之一：%(lists)s；企业未列入其中任何一类"), lists=needed))
    if p.high_tech_only:
        ok = "high_tech" in firm.whitelist_kinds
        results.append(_rule("high_tech", ok, N_("仅限高新技术企业；企业在高新技术企业名单中") if ok
                             else N_("仅限高新技术企业；企业不在高新技术企业名单中")))
    if p.industries:
        industry = INDUSTRIES.get(firm.industry)
        results.append(_rule("industry", firm.industry in p.industries, N_("限以下行业：%(allowed)s；企业行业：%(industry)s"),
                             allowed=_labels(p.industries, INDUSTRIES),
                             industry={"t": industry} if industry else (firm.industry or "")))
    if p.townships:
        ok = firm.township_id in p.townships
        names = p.township_names or {"t": N_("指定镇街")}
        results.append(_rule("township", ok, N_("限以下镇街：%(names)s；企业所在镇街在其中") if ok
                             else N_("限以下镇街：%(names)s；企业所在镇街不在其中"), names=names))
    if p.min_tax_grade:
        need = (N_("经税务名单核验的纳税信用等级须为 %(grade)s 级及以上（A>B>M>C>D）；%(have)s") if p.tax_grade_verified
                else N_("纳税信用等级须为 %(grade)s 级及以上（A>B>M>C>D）；%(have)s"))
        results.append(_rule("tax_grade", _grade_ok(p, firm), need, grade=p.min_tax_grade,
                             have={"says": firm.grade_says}))
    if p.max_existing_debt is not None:
        debt = firm.debt
        have = (says(N_("企业现有 %(debt)s"), debt={"wan": debt}) if debt is not None
                else says(N_("企业资料未填写现有银行贷款余额")))
        results.append(_rule("debt", _debt_ok(p, firm), N_("现有银行贷款余额不超过 %(limit)s；%(have)s"),
                             limit={"wan": p.max_existing_debt}, have={"says": have}))
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
                "rules": [{"rule": r.rule, "label": r.label, "passed": r.passed, "reason": r.reason, "why": r.why}
                          for r in self.results]}

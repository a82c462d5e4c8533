"""One definition per figure the district signs. Each function computes one figure of the bank tracking from
values, and its docstring quotes the policy line (市中区金融服务实体经济工作方案, 枣市中金稳办〔2021〕1号) or the
bulletin column it implements. Routing's 目标差距, the dashboard, `/targets/`, the bulletins, their .xlsx files and
the drill-downs all call these functions; nothing else in the code computes these figures.

Percentages are text with two decimals (exact decimal rounding, half up), None when a figure cannot be computed
(no report, no target, nothing to divide by): the pages show "—" for None, never 0.

The per-lead figures (推送, 按时认领, 超时, 获批, 放款, 白名单企业, 首贷, 满意度) are classified once per lead by
`platform_figures.LeadFacts.metrics` and counted with the rate and average functions below."""
from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from ...text import N_
from ..core.translate import text as translated

CENT = Decimal("0.01")
YI = 10**8


def _q(value: Decimal, places: Decimal = CENT) -> str:
    return str(value.quantize(places, rounding=ROUND_HALF_UP))


def pct(part: int | Decimal | None, whole: int | Decimal | None) -> str | None:
    """part ÷ whole in % (two decimals), None without a part or a whole: the one way every rate is rounded."""
    if part is None or not whole:
        return None
    return _q(Decimal(part) * 100 / Decimal(whole))


def ldr(loans: int | None, deposits: int | None) -> Decimal | None:
    """存贷比 (附件：各银行存贷比目标): 各项贷款余额 ÷ 各项存款余额 in % (two decimals), None without deposits."""
    if loans is None or not deposits:
        return None
    return (Decimal(loans) * 100 / Decimal(deposits)).quantize(CENT, rounding=ROUND_HALF_UP)


def industrial_balance(report) -> int | None:
    """工业贷款余额 (月通报「工业贷款余额」列): the bank's newest reported version for the month, in 元."""
    return None if report is None else report.industrial_loans


def target_completion(balance: int | None, target: int | None) -> str | None:
    """目标完成率 (月通报「目标完成率」列; 方案：各银行工业贷款余额达到附件目标): the reported industrial-loan
    balance ÷ the year's target balance, in %. Routing's 目标差距 and `/targets/` show this same number."""
    return pct(balance, target)


def schedule_value(base, target, month_no: int, places: Decimal | None = None):
    """序时进度 (月通报「序时进度」列): where the bank should stand at the end of month `month_no` on a straight line
    from last December's figure (`base`) to this December's target; the target itself without a base. Integers
    (元) by default, `places` for a ratio such as the LDR."""
    if base is None:
        return target
    value = Decimal(base) + (Decimal(target) - Decimal(base)) * month_no / 12
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP)) if places is None else value.quantize(
        places, rounding=ROUND_HALF_UP)


def schedule_completion(balance: int | None, expected: int | None) -> str | None:
    """序时完成率 (月通报「序时完成率」列, ranks the banks): the balance ÷ its 序时进度 value, in %."""
    return pct(balance, expected)


def gap_to_target(balance: int, target: int) -> int:
    """距目标差额 (月通报「距目标」列): how much industrial lending is still missing for the year's target (元, 0
    once the target is met)."""
    return max(0, target - balance)


def target_gap_share(completion: str | None, neutral: float) -> float:
    """Routing's 目标差距 part (0–1): the share of the year's target still missing, 1 − 目标完成率 (0 once met);
    `neutral` when the completion is unknown (no report or no target this year)."""
    if completion is None:
        return neutral
    return float(max(Decimal(0), 1 - Decimal(completion) / 100))


def growth_pct(now: int | None, before: int | None) -> str | None:
    """增速 (月通报「工业贷款增速」「各项贷款增速」列): growth from `before` to `now` in %, None without both or
    from zero."""
    if now is None or not before:
        return None
    return _q((Decimal(now) - Decimal(before)) * 100 / Decimal(before))


def growth_goal(industrial_now, industrial_before, loans_now, loans_before) -> dict:
    """方案：“确保工业贷款增速高于贷款平均增速” — industrial-loan growth against total-loan growth over the same
    span (year on year, or since the base December); `met` is None when either growth cannot be computed."""
    ind, loans = growth_pct(industrial_now, industrial_before), growth_pct(loans_now, loans_before)
    met = None if ind is None or loans is None else Decimal(ind) > Decimal(loans)
    return {"industrial": ind, "loans": loans, "met": met}


def reporting(rows: list[dict], locale: str | None = None) -> dict:
    """报送完整度 (月通报「已报送银行」; 方案：各银行按月报送数据): of the banks in `rows` (progress rows, one per
    active bank), which reported the month. Every district total and rate is over `reported_rows` only, and is
    shown with `text` ("19 / 22 家已报送") and the `missing` banks named beside it."""
    reported = [r for r in rows if r["report_id"] is not None]
    missing = [r["name"] for r in rows if r["report_id"] is None]
    return {"reported": len(reported), "banks": len(rows), "missing": missing, "complete": not missing,
            "text": translated(locale, N_("%(reported)s / %(banks)s 家已报送"), reported=len(reported), banks=len(rows)),
            "reported_rows": reported}


def district_completion(rows: list[dict]) -> dict:
    """全区目标完成率 (月通报「全区合计」行): the industrial-loan balances of the banks that reported and have a target
    for the year ÷ the targets of those same banks — never a partial sum over all banks' targets. `target_all` is
    every bank's target, for saying how much of the whole the figure covers."""
    both = [r for r in rows if r["report_id"] is not None and r["target_industrial"] is not None]
    balance = sum(r["industrial_loans"] for r in both)
    target = sum(r["target_industrial"] for r in both)
    return {"balance": balance, "target": target, "banks": len(both),
            "target_all": sum(r["target_industrial"] or 0 for r in rows),
            "pct": target_completion(balance, target) if both else None}


def base_figures(entered, reported) -> dict | None:
    """基期数 (方案：以2020年末为基数): a bank's base-period industrial-loan and total-loan balances (元) — the
    figures the district entered (`BankBase`), else the bank's own report for the base month, else None. `source`
    says which (录入 / 报表)."""
    if entered is not None:
        return {"industrial_loans": entered.industrial_loans, "loans": entered.loans, "source": N_("录入")}
    if reported is not None:
        return {"industrial_loans": reported.industrial_loans, "loans": reported.loans, "source": N_("报表")}
    return None


def increase_since_base(rows: list[dict]) -> dict:
    """三年新增工业贷款 (方案：三年新增工业贷款53亿元以上): the reported industrial-loan balances minus the same banks'
    base-period balances, over the banks that have both; `complete` only when every bank has both, so a partial
    increase is never read against the whole district's goal."""
    both = [r for r in rows if r["report_id"] is not None and r.get("base")]
    now = sum(r["industrial_loans"] for r in both)
    base = sum(r["base"]["industrial_loans"] for r in both)
    return {"now": now, "base": base, "increase": now - base if both else None, "banks": len(both),
            "complete": bool(rows) and len(both) == len(rows),
            "missing": [r["name"] for r in rows if not (r["report_id"] is not None and r.get("base"))]}


def in_time_rate(in_time: int, overdue: int) -> str | None:
    """按时认领率 (月通报「按时率」列; 方案：银行在规定时限内响应企业融资需求): leads claimed by their claim deadline ÷
    leads claimed in time or overdue (claimed late, unclaimed past the deadline, expired), in %."""
    return pct(in_time, in_time + overdue)


def workdays_to(cal, routed_on: date, done_on: date) -> int:
    """认领/决定用时 (月通报「认领（工作日）」「决定（工作日）」列): working days after the routing day up to and
    including the day of the claim or decision (Beijing dates, China's calendar with the district's overrides)."""
    return cal.workdays_between(routed_on, done_on)


def average(total: int | float, count: int, places: str = "0.1") -> str | None:
    """The mean of `count` values summing to `total` (one decimal by default; 满意度 two), None for none."""
    if not count:
        return None
    return _q(Decimal(str(total)) / count, Decimal(places))


def beijing_day(moment: datetime) -> date:
    """The Beijing date of a stored naive-UTC instant: the day a lead belongs to for every figure above."""
    from ..core.workdays import local_date

    return local_date(moment)

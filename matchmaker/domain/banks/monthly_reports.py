"""Banks' monthly figures (月度报送): the figures and their units, checks, and versions (a correction is a new
version). Deadlines and reminders: `report_deadlines`; the .xlsx template and its upload: `report_xlsx`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from ...models import MonthlyReport, User, utcnow
from ...text import N_
from ..core import settings
from ..core.errors import Conflict, DomainError, Forbidden
from .periods import add_months, local_date, month_key
from .wording import Label, Message, message

EARLIEST_MONTH = date(2020, 1, 1)
DEFAULT_DEADLINE_WORKDAYS = 5  # the 5th working day of the following month
DEFAULT_JUMP_PCT = 30


@dataclass(frozen=True)
class Figure:
    name: str
    label: str
    unit: str  # key of UNITS
    balance: bool  # a balance at month end (checked for jumps) or the month's flow
    help: str = ""


@dataclass(frozen=True)
class Unit:
    label: str
    yuan: int  # 元 per unit
    places: int  # decimals that keep the value exact to the 元


UNITS = {"yi": Unit(N_("亿元"), 10**8, 8), "wan": Unit(N_("万元"), 10**4, 4), "count": Unit(N_("户"), 1, 0)}
FIGURES: tuple[Figure, ...] = (
    Figure("deposits", N_("各项存款余额"), "yi", True, N_("月末余额")),
    Figure("loans", N_("各项贷款余额"), "yi", True, N_("月末余额")),
    Figure("industrial_loans", N_("工业贷款余额"), "yi", True, N_("月末余额，不得大于各项贷款余额")),
    Figure("new_industrial_loans", N_("当月新发放工业贷款"), "wan", False, N_("当月累计发放额")),
    Figure("first_loan_count", N_("当月首贷户数"), "count", False, N_("当月首次获得银行贷款的企业户数")),
    Figure("first_loan_amount", N_("当月首贷金额"), "wan", False, N_("当月首贷发放额")),
    Figure("ip_pledge_loans", N_("知识产权质押贷款余额"), "wan", True, N_("专利权、商标权、股权质押，月末余额")),
    Figure("green_loans", N_("绿色贷款余额"), "wan", True, N_("月末余额")),
    Figure("kechuang_loans", N_("科创贷余额"), "wan", True, N_("月末余额")),
    Figure("zhengyinbao_loans", N_("政银保贷余额"), "wan", True, N_("月末余额")),
    Figure("supply_chain_bills", N_("供应链票据余额"), "wan", True, N_("月末余额")),
)
FIGURE_BY_NAME = {f.name: f for f in FIGURES}
MAX_YUAN = 10**16  # 1 亿亿元: far above any bank's balance, well inside a BigInteger column
MAX_COUNT = 10**9  # inside an Integer column
POLICY_PRODUCTS = ("ip_pledge_loans", "green_loans", "kechuang_loans", "zhengyinbao_loans", "supply_chain_bills")
SOURCES = {"form": N_("网页填报"), "upload": N_("Excel上传"), "api": N_("接口报送"), "demo": N_("演示数据")}
TYPED_SOURCES = ("form", "upload", "api")  # what a bank admin's submission may say; "demo" is only the demo builder's


class ReportInvalid(DomainError):
    """Some figures are refused; `errors` maps each figure to its message (a DomainError: `wording.render`),
    which does not repeat the figure's label (it is shown beside the field)."""

    status = 422

    def __init__(self, errors: dict[str, Message | DomainError]):
        super().__init__("；".join(f"{FIGURE_BY_NAME[name].label}：{e}" for name, e in errors.items()))
        self.errors = errors


class NeedsConfirmation(DomainError):
    """A figure moved more than the set percentage from last month: submit again with confirmation."""

    status = 422

    def __init__(self, warnings: list[Message]):
        super().__init__("；".join(warnings), field="confirm_jump")
        self.warnings = warnings


class UploadRefused(DomainError):
    """An uploaded file was refused as a whole; `errors` (DomainErrors: `wording.render`) names each bad cell by
    row and column."""

    status = 422

    def __init__(self, errors: list[Message | DomainError]):
        super().__init__("上传的报表有误，未保存任何数据：%(errors)s", field="file",
                         errors="；".join(str(e) for e in errors))
        self.errors = errors


# Settings --------------------------------------------------------------------------------------------------------

def deadline_workdays(session: Session) -> int:
    value = settings.get(session, "report_deadline_workdays")
    return int(value) if value is not None else DEFAULT_DEADLINE_WORKDAYS


def jump_pct(session: Session) -> int:
    value = settings.get(session, "report_jump_pct")
    return int(value) if value is not None else DEFAULT_JUMP_PCT


def save_settings(session: Session, deadline_days: int, jump: int) -> None:
    if not 1 <= deadline_days <= 20:
        raise DomainError("报送期限应为次月第1–20个工作日", field="deadline_workdays")
    if not 1 <= jump <= 1000:
        raise DomainError("异动提示比例应在1–1000%之间", field="jump_pct")
    settings.put(session, "report_deadline_workdays", int(deadline_days))
    settings.put(session, "report_jump_pct", int(jump))


# Units -------------------------------------------------------------------------------------------------------------

def to_yuan(figure: Figure, value) -> int:
    """A value typed in the figure's unit -> integer 元 (or a count), exact; raises DomainError."""
    unit = UNITS[figure.unit]
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise DomainError("“%(value)s”不是数字", field=figure.name, value=value) from None
    if not amount.is_finite():
        raise DomainError("“%(value)s”不是数字", field=figure.name, value=value)
    if amount < 0:
        raise DomainError("不能为负数", field=figure.name)
    scaled = amount * unit.yuan
    if scaled != scaled.to_integral_value():
        if figure.unit == "count":
            raise DomainError("户数应为整数", field=figure.name)
        raise DomainError("最多精确到元（%(unit)s最多%(places)s位小数）", field=figure.name, unit=Label(unit.label),
                          places=unit.places)
    if scaled > (MAX_COUNT if figure.unit == "count" else MAX_YUAN):
        raise DomainError("数值过大，请核对单位（%(unit)s）", field=figure.name, unit=Label(unit.label))
    return int(scaled)


def from_yuan(figure: Figure, yuan: int | None) -> Decimal | None:
    """Stored 元 -> the figure's unit, exact and without trailing zeros."""
    if yuan is None:
        return None
    value = Decimal(int(yuan)) / UNITS[figure.unit].yuan
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def values_of(report: MonthlyReport | None) -> dict[str, int] | None:
    return None if report is None else {f.name: getattr(report, f.name) for f in FIGURES}


def convert(raw: dict[str, object]) -> dict[str, int]:
    """Typed values (Decimal or text, in each figure's unit) -> 元; every bad figure reported at once."""
    values, errors = {}, {}
    for figure in FIGURES:
        value = raw.get(figure.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors[figure.name] = message(N_("请填写"))
            continue
        try:
            values[figure.name] = to_yuan(figure, value)
        except DomainError as exc:
            errors[figure.name] = exc
    if errors:
        raise ReportInvalid(errors)
    errors = consistency_errors(values)
    if errors:
        raise ReportInvalid(errors)
    return values


def consistency_errors(values: dict[str, int]) -> dict[str, Message]:
    errors = {}
    if values["industrial_loans"] > values["loans"]:
        errors["industrial_loans"] = message(N_("不能大于各项贷款余额"))
    if values["first_loan_amount"] > 0 and values["first_loan_count"] == 0:
        errors["first_loan_count"] = message(N_("填写了首贷金额时户数不能为0"))
    return errors


# Versions ------------------------------------------------------------------------------------------------------------

def versions(session: Session, bank_id: int, month: date) -> list[MonthlyReport]:
    return list(session.scalars(select(MonthlyReport).where(MonthlyReport.bank_id == bank_id,
                                                            MonthlyReport.month == month)
                                .order_by(MonthlyReport.version)))


def latest(session: Session, months: list[date], bank_ids: list[int] | None = None
           ) -> dict[tuple[int, date], MonthlyReport]:
    """The newest version of each bank's report for each of `months`: {(bank_id, month): report}. The report's
    bank and submitter are not joined in (the figures are what callers read: routing asks at every load of its
    context); they load from the session when read."""
    if not months:
        return {}
    newest = (select(MonthlyReport.bank_id, MonthlyReport.month, func.max(MonthlyReport.version).label("v"))
              .where(MonthlyReport.month.in_(months)).group_by(MonthlyReport.bank_id, MonthlyReport.month))
    if bank_ids is not None:
        newest = newest.where(MonthlyReport.bank_id.in_(bank_ids))
    newest = newest.subquery()
    rows = session.scalars(select(MonthlyReport).join(
        newest, (MonthlyReport.bank_id == newest.c.bank_id) & (MonthlyReport.month == newest.c.month)
        & (MonthlyReport.version == newest.c.v)).options(lazyload("*")))
    return {(r.bank_id, r.month): r for r in rows}


def first_month(session: Session) -> date | None:
    """The earliest month any bank has reported."""
    return session.scalar(select(func.min(MonthlyReport.month)))


def latest_one(session: Session, bank_id: int, month: date) -> MonthlyReport | None:
    return latest(session, [month], [bank_id]).get((bank_id, month))


def jumps(session: Session, bank_id: int, month: date, values: dict[str, int], pct: int) -> dict[str, Message]:
    """Balances that moved more than `pct` % from last month's figures (flows are not compared): name -> text."""
    previous = latest_one(session, bank_id, add_months(month, -1))
    if previous is None:
        return {}
    out = {}
    for figure in FIGURES:
        before, now = getattr(previous, figure.name), values[figure.name]
        if not figure.balance or before == 0 and now == 0:
            continue
        if before == 0:
            out[figure.name] = message(N_("%(label)s由上月的0变为%(now)s%(unit)s"), label=Label(figure.label),
                                       now=from_yuan(figure, now), unit=Label(UNITS[figure.unit].label))
            continue
        change = (Decimal(now - before) / Decimal(before) * 100).quantize(Decimal("0.1"))
        if abs(change) > pct:
            text = (N_("%(label)s较上月增长%(change)s%%（%(before)s → %(now)s%(unit)s），超过%(pct)s%%") if change > 0
                    else N_("%(label)s较上月下降%(change)s%%（%(before)s → %(now)s%(unit)s），超过%(pct)s%%"))
            out[figure.name] = message(text, label=Label(figure.label), change=abs(change),
                                       before=from_yuan(figure, before), now=from_yuan(figure, now),
                                       unit=Label(UNITS[figure.unit].label), pct=pct)
    return out


def check_month(month: date, today: date) -> None:
    if month < EARLIEST_MONTH:
        raise DomainError("只能报送%(month)s及以后的月份", field="month", month=month_key(EARLIEST_MONTH))
    if month >= date(today.year, today.month, 1):
        raise DomainError("%(year)s年%(month)s月尚未结束，月末后再报送", field="month", year=month.year,
                          month=month.month)


def can_view(actor: User, bank_id: int) -> bool:
    return actor.role == "district" or (actor.role == "bank_admin" and actor.bank_id == bank_id)


def submit(session: Session, actor: User, bank_id: int, month: date, raw: dict[str, object], *,
           confirm: bool = False, note: str = "", source: str = "form", today: date | None = None
           ) -> MonthlyReport:
    """Save the month's figures as a new version. Refuses bad figures, asks for confirmation of large jumps,
    and requires a reason for a correction."""
    if actor.role != "bank_admin" or actor.bank_id != bank_id:
        raise Forbidden("只有本行的支行管理员可以报送本行数据")
    today = today or local_date(utcnow())
    check_month(month, today)
    values = convert(raw)
    current = latest_one(session, bank_id, month)
    note = (note or "").strip()
    if current is not None:
        if values_of(current) == values:
            raise DomainError("数据与当前版本完全相同，无需更正")
        if not note:
            raise DomainError("更正已报送的数据时，请填写更正说明", field="note")
    if len(note) > 500:
        raise DomainError("说明不超过500字", field="note")
    # a jump already confirmed in the current version is not asked about again unless that figure changes
    found = jumps(session, bank_id, month, values, jump_pct(session))
    carried = current is not None and current.jump_confirmed
    warnings = [text for name, text in found.items() if not carried or values[name] != getattr(current, name)]
    if warnings and not confirm:
        raise NeedsConfirmation(warnings)
    report = MonthlyReport(bank_id=bank_id, month=month, version=(current.version + 1) if current else 1,
                           source=source if source in TYPED_SOURCES else "form", note=note,
                           jump_confirmed=bool(found), submitted_by_id=actor.id, submitted_at=utcnow(), **values)
    session.add(report)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict("该月报表刚刚被他人更新，请刷新页面后核对再提交") from None
    return report


def changed_fields(reports: list[MonthlyReport]) -> list[set[str]]:
    """For each version, the figures that differ from the version before it."""
    out, before = [], None
    for report in reports:
        now = values_of(report)
        out.append(set() if before is None else {k for k in now if now[k] != before[k]})
        before = now
    return out

"""Banks' monthly figures (月度报送): the figures and their units, checks, versions (a correction is a new
version), the .xlsx template and its upload, the deadline in working days, who has not reported, reminders."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Bank, MonthlyReport, Notification, User, utcnow
from . import notifications, settings
from .errors import Conflict, DomainError, Forbidden, NotFound
from .periods import add_months, calendar, local_date, month_key, parse_month

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


UNITS = {"yi": Unit("亿元", 10**8, 8), "wan": Unit("万元", 10**4, 4), "count": Unit("户", 1, 0)}
FIGURES: tuple[Figure, ...] = (
    Figure("deposits", "各项存款余额", "yi", True, "月末余额"),
    Figure("loans", "各项贷款余额", "yi", True, "月末余额"),
    Figure("industrial_loans", "工业贷款余额", "yi", True, "月末余额，不得大于各项贷款余额"),
    Figure("new_industrial_loans", "当月新发放工业贷款", "wan", False, "当月累计发放额"),
    Figure("first_loan_count", "当月首贷户数", "count", False, "当月首次获得银行贷款的企业户数"),
    Figure("first_loan_amount", "当月首贷金额", "wan", False, "当月首贷发放额"),
    Figure("ip_pledge_loans", "知识产权质押贷款余额", "wan", True, "专利权、商标权、股权质押，月末余额"),
    Figure("green_loans", "绿色贷款余额", "wan", True, "月末余额"),
    Figure("kechuang_loans", "科创贷余额", "wan", True, "月末余额"),
    Figure("zhengyinbao_loans", "政银保贷余额", "wan", True, "月末余额"),
    Figure("supply_chain_bills", "供应链票据余额", "wan", True, "月末余额"),
)
FIGURE_BY_NAME = {f.name: f for f in FIGURES}
MAX_YUAN = 10**16  # 1 亿亿元: far above any bank's balance, well inside a BigInteger column
MAX_COUNT = 10**9  # inside an Integer column
POLICY_PRODUCTS = ("ip_pledge_loans", "green_loans", "kechuang_loans", "zhengyinbao_loans", "supply_chain_bills")
SOURCES = {"form": "网页填报", "upload": "Excel上传", "demo": "演示数据"}
TYPED_SOURCES = ("form", "upload")  # what a bank admin's submission may say; "demo" is only the demo builder's


class ReportInvalid(DomainError):
    """Some figures are refused; `errors` maps each figure to its message."""

    status = 422

    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(errors.values()))
        self.errors = errors


class NeedsConfirmation(DomainError):
    """A figure moved more than the set percentage from last month: submit again with confirmation."""

    status = 422

    def __init__(self, warnings: list[str]):
        super().__init__("；".join(warnings), field="confirm_jump")
        self.warnings = warnings


class UploadRefused(DomainError):
    """An uploaded file was refused as a whole; `errors` names each bad cell by row and column."""

    status = 422

    def __init__(self, errors: list[str]):
        super().__init__("上传的报表有误，未保存任何数据：" + "；".join(errors), field="file")
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
        raise DomainError(f"“{value}”不是数字", field=figure.name) from None
    if not amount.is_finite():
        raise DomainError(f"“{value}”不是数字", field=figure.name)
    if amount < 0:
        raise DomainError("不能为负数", field=figure.name)
    scaled = amount * unit.yuan
    if scaled != scaled.to_integral_value():
        if figure.unit == "count":
            raise DomainError("户数应为整数", field=figure.name)
        raise DomainError(f"最多精确到元（{unit.label}最多{unit.places}位小数）", field=figure.name)
    if scaled > (MAX_COUNT if figure.unit == "count" else MAX_YUAN):
        raise DomainError(f"数值过大，请核对单位（{unit.label}）", field=figure.name)
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
            errors[figure.name] = f"{figure.label}：请填写"
            continue
        try:
            values[figure.name] = to_yuan(figure, value)
        except DomainError as exc:
            errors[figure.name] = f"{figure.label}：{exc.message}"
    if errors:
        raise ReportInvalid(errors)
    errors = {name: f"{FIGURE_BY_NAME[name].label}：{message}" for name, message in consistency_errors(values).items()}
    if errors:
        raise ReportInvalid(errors)
    return values


def consistency_errors(values: dict[str, int]) -> dict[str, str]:
    errors = {}
    if values["industrial_loans"] > values["loans"]:
        errors["industrial_loans"] = "不能大于各项贷款余额"
    if values["first_loan_amount"] > 0 and values["first_loan_count"] == 0:
        errors["first_loan_count"] = "填写了首贷金额时户数不能为0"
    return errors


# Versions ------------------------------------------------------------------------------------------------------------

def versions(session: Session, bank_id: int, month: date) -> list[MonthlyReport]:
    return list(session.scalars(select(MonthlyReport).where(MonthlyReport.bank_id == bank_id,
                                                            MonthlyReport.month == month)
                                .order_by(MonthlyReport.version)))


def latest(session: Session, months: list[date], bank_ids: list[int] | None = None
           ) -> dict[tuple[int, date], MonthlyReport]:
    """The newest version of each bank's report for each of `months`: {(bank_id, month): report}."""
    if not months:
        return {}
    newest = (select(MonthlyReport.bank_id, MonthlyReport.month, func.max(MonthlyReport.version).label("v"))
              .where(MonthlyReport.month.in_(months)).group_by(MonthlyReport.bank_id, MonthlyReport.month))
    if bank_ids is not None:
        newest = newest.where(MonthlyReport.bank_id.in_(bank_ids))
    newest = newest.subquery()
    rows = session.scalars(select(MonthlyReport).join(
        newest, (MonthlyReport.bank_id == newest.c.bank_id) & (MonthlyReport.month == newest.c.month)
        & (MonthlyReport.version == newest.c.v)))
    return {(r.bank_id, r.month): r for r in rows}


def first_month(session: Session) -> date | None:
    """The earliest month any bank has reported."""
    return session.scalar(select(func.min(MonthlyReport.month)))


def latest_one(session: Session, bank_id: int, month: date) -> MonthlyReport | None:
    return latest(session, [month], [bank_id]).get((bank_id, month))


def jumps(session: Session, bank_id: int, month: date, values: dict[str, int], pct: int) -> dict[str, str]:
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
            out[figure.name] = f"{figure.label}由上月的0变为{from_yuan(figure, now)}{UNITS[figure.unit].label}"
            continue
        change = (Decimal(now - before) / Decimal(before) * 100).quantize(Decimal("0.1"))
        if abs(change) > pct:
            out[figure.name] = (f"{figure.label}较上月{'增长' if change > 0 else '下降'}{abs(change)}%"
                                f"（{from_yuan(figure, before)} → {from_yuan(figure, now)}"
                                f"{UNITS[figure.unit].label}），超过{pct}%")
    return out


def check_month(month: date, today: date) -> None:
    if month < EARLIEST_MONTH:
        raise DomainError(f"只能报送{month_key(EARLIEST_MONTH)}及以后的月份", field="month")
    if month >= date(today.year, today.month, 1):
        raise DomainError(f"{month.year}年{month.month}月尚未结束，月末后再报送", field="month")


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


# Deadline, status, reminders -----------------------------------------------------------------------------------

def deadline(session: Session, month: date) -> date:
    """The month's reporting deadline: the Nth working day of the following month (N is a setting)."""
    return _due(calendar(session), month, deadline_workdays(session))


def _due(cal, month: date, workdays: int) -> date:
    return cal.add_workdays(add_months(month, 1) - timedelta(days=1), workdays)


STATUS_LABELS = {"on_time": "按时报送", "late": "逾期报送", "overdue": "逾期未报", "pending": "待报送"}


@dataclass
class BankStatus:
    bank: Bank
    state: str
    first_at: datetime | None
    report: MonthlyReport | None
    version_count: int
    reminded_at: datetime | None = None

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.state]


def status(session: Session, month: date, today: date | None = None, link: str = "") -> tuple[date, list[BankStatus]]:
    """Each active bank's reporting status for `month`, and the deadline."""
    today = today or local_date(utcnow())
    due = deadline(session, month)
    firsts = dict(session.execute(select(MonthlyReport.bank_id, func.min(MonthlyReport.submitted_at))
                                  .where(MonthlyReport.month == month).group_by(MonthlyReport.bank_id)).all())
    counts = dict(session.execute(select(MonthlyReport.bank_id, func.count())
                                  .where(MonthlyReport.month == month).group_by(MonthlyReport.bank_id)).all())
    newest = latest(session, [month])
    reminded = last_reminders(session, link) if link else {}
    out = []
    for bank in session.scalars(select(Bank).where(Bank.active.is_(True)).order_by(Bank.seq)):
        first = firsts.get(bank.id)
        out.append(BankStatus(bank, _state(first, due, today), first, newest.get((bank.id, month)),
                              counts.get(bank.id, 0),
                              reminded.get(bank.id)))
    return due, out


def last_reminders(session: Session, link: str) -> dict[int, datetime]:
    """When each bank's users were last reminded about the report at `link`."""
    rows = session.execute(select(User.bank_id, func.max(Notification.created_at)).join(
        User, User.id == Notification.user_id).where(Notification.kind == "report", Notification.link == link)
        .group_by(User.bank_id)).all()
    return {bank_id: at for bank_id, at in rows if bank_id is not None}


def remind(session: Session, month: date, link: str, bank_ids: list[int] | None = None,
           today: date | None = None) -> list[Bank]:
    """Remind the administrators of every bank that has not reported `month` (or of `bank_ids` among them);
    refuses a month that has not ended, which the banks cannot report yet."""
    today = today or local_date(utcnow())
    check_month(month, today)
    due, rows = status(session, month, today)
    missing = [r.bank for r in rows if r.report is None and (bank_ids is None or r.bank.id in bank_ids)]
    for bank in missing:
        admins = list(session.scalars(select(User.id).where(User.bank_id == bank.id, User.role == "bank_admin",
                                                            User.active.is_(True))))
        title = f"请报送{month.year}年{month.month}月统计数据"
        body = f"{bank.name}尚未报送{month.year}年{month.month}月月度统计数据，报送截止日为{due.isoformat()}。"
        if admins:
            notifications.notify(session, "report", title, body=body, link=link, user_ids=admins)
        else:
            notifications.notify(session, "report", title, body=body, link=link, bank_id=bank.id)
    return missing


def bank_months(session: Session, bank_id: int, today: date, count: int = 24) -> list[dict]:
    """The bank's last `count` reportable months, newest first, with status and version count."""
    current = date(today.year, today.month, 1)
    months = [m for m in (add_months(current, -i) for i in range(1, count + 1)) if m >= EARLIEST_MONTH]
    newest = latest(session, months, [bank_id])
    firsts = {m: (n, at) for m, n, at in session.execute(
        select(MonthlyReport.month, func.count(), func.min(MonthlyReport.submitted_at))
        .where(MonthlyReport.bank_id == bank_id, MonthlyReport.month.in_(months)).group_by(MonthlyReport.month))}
    cal, workdays = calendar(session), deadline_workdays(session)
    out = []
    for m in months:
        due = _due(cal, m, workdays)
        count_, first = firsts.get(m, (0, None))
        state = _state(first, due, today)
        out.append({"month": m, "key": month_key(m), "report": newest.get((bank_id, m)), "versions": count_,
                    "deadline": due, "state": state, "label": STATUS_LABELS[state]})
    return out


def _state(first: datetime | None, due: date, today: date) -> str:
    if first is not None:
        return "on_time" if local_date(first) <= due else "late"
    return "overdue" if today > due else "pending"


def get_bank(session: Session, actor: User, bank_id: int) -> Bank:
    bank = session.get(Bank, bank_id)
    if bank is None:
        raise NotFound("银行不存在")
    if not can_view(actor, bank_id):
        raise Forbidden("无权查看该银行的报送数据")
    return bank


# The .xlsx template and its upload -------------------------------------------------------------------------------

TEMPLATE_SHEET = "月度报送"
FIRST_FIGURE_ROW = 5  # 1-based row of the first figure in the template


def template_xlsx(bank: Bank, month: date, values: dict[str, int] | None = None) -> bytes:
    """The bank's template for `month` (optionally pre-filled), to fill in and upload."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    font = {"font_name": "宋体", "font_size": 11}
    title = book.add_format({**font, "bold": True, "font_size": 14})
    head = book.add_format({**font, "bold": True, "bg_color": "#DDE7F3", "border": 1})
    cell = book.add_format({**font, "border": 1})
    number = book.add_format({**font, "border": 1, "bg_color": "#FFF9DB", "num_format": "0.########"})
    muted = book.add_format({**font, "font_color": "#666666"})
    sheet = book.add_worksheet(TEMPLATE_SHEET)
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 28)
    sheet.set_column(2, 2, 18)
    sheet.set_column(3, 3, 40)
    sheet.write(0, 0, "市中区银行业金融机构月度统计报送表", title)
    sheet.write(1, 0, "银行", head)
    sheet.write_string(1, 1, bank.name, cell)
    sheet.write(2, 0, "月份", head)
    sheet.write_string(2, 1, month_key(month), cell)
    for col, text in enumerate(("项目", "单位", "数值", "说明")):
        sheet.write(3, col, text, head)
    for i, figure in enumerate(FIGURES):
        row = FIRST_FIGURE_ROW - 1 + i
        sheet.write(row, 0, figure.label, cell)
        sheet.write(row, 1, UNITS[figure.unit].label, cell)
        value = from_yuan(figure, values[figure.name]) if values else None
        if value is None:
            sheet.write_blank(row, 2, None, number)
        else:
            sheet.write_number(row, 2, value, number)
        sheet.write(row, 3, figure.help, cell)
        sheet.data_validation(row, 2, row, 2, {
            "validate": "integer" if figure.unit == "count" else "decimal", "criteria": ">=", "value": 0,
            "error_message": "请填写不小于0的数字"})
    last = FIRST_FIGURE_ROW + len(FIGURES)
    sheet.write(last, 0, "填写说明：只填C列黄色单元格；金额按所列单位填写，余额为月末数；请勿修改银行、月份和项目名称。", muted)
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 1)
    book.close()
    return buffer.getvalue()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m")
    return str(value).strip()


def _cell_number(figure: Figure, value, where: str, errors: list[str]) -> Decimal | None:
    label = f"{where}（{figure.label}）"
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.append(f"{label}：未填写")
        return None
    if isinstance(value, bool) or isinstance(value, datetime | date):
        errors.append(f"{label}：“{_cell_text(value)}”不是数字")
        return None
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip().replace(",", ""))
        to_yuan(figure, amount)
    except InvalidOperation:
        errors.append(f"{label}：“{value}”不是数字")
        return None
    except DomainError as exc:
        errors.append(f"{label}：{exc.message}")
        return None
    return amount


def _rows_by_label(data: bytes) -> dict[str, tuple[int, tuple]]:
    """The first four cells of each of the first 200 rows, by the text in column A (its first row only)."""
    from openpyxl import load_workbook

    by_label: dict[str, tuple[int, tuple]] = {}
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book[TEMPLATE_SHEET] if TEMPLATE_SHEET in book.sheetnames else book.worksheets[0]
            for rowno, row in enumerate(sheet.iter_rows(min_row=1, max_row=200, max_col=4, values_only=True),
                                        start=1):
                row = tuple(row) + (None,) * (4 - len(row))
                label = _cell_text(row[0])
                if label and label not in by_label:
                    by_label[label] = (rowno, row)
        finally:
            book.close()
    except Exception:  # openpyxl raises many kinds (when opening or reading rows) for a file that is not .xlsx
        raise UploadRefused(["文件不是有效的 Excel（.xlsx）文件，请使用本页提供的模板"]) from None
    return by_label


def parse_xlsx(data: bytes, bank: Bank, month: date, bank_names: dict[str, int] | None = None) -> dict[str, Decimal]:
    """Read a filled-in template. Every bad cell (text in a number, negative, wrong month, another bank's name,
    missing row) is named by row and column; any error refuses the whole file."""
    by_label = _rows_by_label(data)
    errors: list[str] = []
    bank_row = by_label.get("银行")
    if bank_row is None:
        errors.append("缺少“银行”一行（A列应为“银行”，B列为银行名称）")
    else:
        named = _cell_text(bank_row[1][1])
        if named != bank.name:
            other = "，这是其他银行的报表" if bank_names and named in bank_names else ""
            errors.append(f"第{bank_row[0]}行B列（银行）：“{named}”不是本行“{bank.name}”{other}")
    month_row = by_label.get("月份")
    if month_row is None:
        errors.append("缺少“月份”一行（A列应为“月份”，B列为 YYYY-MM）")
    else:
        text = _cell_text(month_row[1][1])
        try:
            found = parse_month(text)
        except DomainError:
            errors.append(f"第{month_row[0]}行B列（月份）：“{text}”不是 YYYY-MM 格式的月份")
        else:
            if found != month:
                errors.append(f"第{month_row[0]}行B列（月份）：文件中为 {month_key(found)}，与报送月份 "
                              f"{month_key(month)} 不符")
    values: dict[str, Decimal] = {}
    rows: dict[str, int] = {}
    for figure in FIGURES:
        found_row = by_label.get(figure.label)
        if found_row is None:
            errors.append(f"缺少“{figure.label}”一行（A列）")
            continue
        rows[figure.name] = found_row[0]
        amount = _cell_number(figure, found_row[1][2], f"第{found_row[0]}行C列", errors)
        if amount is not None:
            values[figure.name] = amount
    if not errors:
        yuan = {name: to_yuan(FIGURE_BY_NAME[name], v) for name, v in values.items()}
        for name, message in consistency_errors(yuan).items():
            errors.append(f"第{rows[name]}行C列（{FIGURE_BY_NAME[name].label}）：{message}")
    if errors:
        raise UploadRefused(errors)
    return values

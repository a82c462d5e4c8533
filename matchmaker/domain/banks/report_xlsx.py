"""The monthly figures as an .xlsx template (one sheet, one row per figure, in its unit) and reading a filled-in
template back: every bad cell is named by row and column and the whole upload is refused."""
from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from ...models import Bank
from ..core.errors import DomainError
from ..core.sheets import DEFAULT_LIMITS, SheetLimits, check_xlsx, quote
from .monthly_reports import (
    FIGURE_BY_NAME,
    FIGURES,
    UNITS,
    Figure,
    UploadRefused,
    consistency_errors,
    from_yuan,
    to_yuan,
)
from .periods import month_key, parse_month

TEMPLATE_SHEET = "月度报送"


FIRST_FIGURE_ROW = 5  # 1-based row of the first figure in the template


def template_xlsx(bank: Bank, month: date, values: dict[str, int] | None = None) -> bytes:
    """The bank's template for `month` (optionally pre-filled), to fill in and upload."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
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
        errors.append(f"{label}：“{quote(_cell_text(value))}”不是数字")
        return None
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip().replace(",", ""))
        to_yuan(figure, amount)
    except InvalidOperation:
        errors.append(f"{label}：“{quote(value)}”不是数字")
        return None
    except DomainError as exc:
        errors.append(f"{label}：{exc.message}")
        return None
    return amount


def _rows_by_label(data: bytes, limits: SheetLimits) -> dict[str, tuple[int, tuple]]:
    """The first four cells of each of the first 200 rows, by the text in column A (its first row only).
    The file is checked against `limits` before openpyxl opens it."""
    from openpyxl import load_workbook

    try:
        check_xlsx(data, limits)
    except DomainError as exc:
        raise UploadRefused([exc.message]) from None
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


def parse_xlsx(data: bytes, bank: Bank, month: date, bank_names: dict[str, int] | None = None,
               limits: SheetLimits = DEFAULT_LIMITS) -> dict[str, Decimal]:
    """Read a filled-in template. Every bad cell (text in a number, negative, wrong month, another bank's name,
    missing row) is named by row and column; any error refuses the whole file."""
    by_label = _rows_by_label(data, limits)
    errors: list[str] = []
    bank_row = by_label.get("银行")
    if bank_row is None:
        errors.append("缺少“银行”一行（A列应为“银行”，B列为银行名称）")
    else:
        named = _cell_text(bank_row[1][1])
        if named != bank.name:
            other = "，这是其他银行的报表" if bank_names and named in bank_names else ""
            errors.append(f"第{bank_row[0]}行B列（银行）：“{quote(named)}”不是本行“{bank.name}”{other}")
    month_row = by_label.get("月份")
    if month_row is None:
        errors.append("缺少“月份”一行（A列应为“月份”，B列为 YYYY-MM）")
    else:
        text = _cell_text(month_row[1][1])
        try:
            found = parse_month(text)
        except DomainError:
            errors.append(f"第{month_row[0]}行B列（月份）：“{quote(text)}”不是 YYYY-MM 格式的月份")
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

"""The monthly figures as an .xlsx template (one sheet, one row per figure, in its unit) and reading a filled-in
template back: every bad cell is named by row and column and the whole upload is refused."""
from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from ...models import Bank
from ...text import N_
from ..accounts.preferences import LOCALES
from ..core.errors import DomainError
from ..core.sheets import DEFAULT_LIMITS, SheetLimits, check_xlsx, quote
from ..core.translate import translator
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
from .wording import Label, Message, message

TEMPLATE_SHEET = N_("月度报送")
BANK_ROW, MONTH_ROW = N_("银行"), N_("月份")


FIRST_FIGURE_ROW = 5  # 1-based row of the first figure in the template


def _in_every_language(msgid: str) -> set[str]:
    """A label as any language writes it: a template downloaded in English is read back as well."""
    return {translator(locale)(msgid) for locale in LOCALES}


def template_xlsx(bank: Bank, month: date, values: dict[str, int] | None = None, locale: str | None = None) -> bytes:
    """The bank's template for `month` (optionally pre-filled), to fill in and upload; its texts in `locale`."""
    import xlsxwriter

    _ = translator(locale)

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    font = {"font_name": "宋体", "font_size": 11}
    title = book.add_format({**font, "bold": True, "font_size": 14})
    head = book.add_format({**font, "bold": True, "bg_color": "#DDE7F3", "border": 1})
    cell = book.add_format({**font, "border": 1})
    number = book.add_format({**font, "border": 1, "bg_color": "#FFF9DB", "num_format": "0.########"})
    muted = book.add_format({**font, "font_color": "#666666"})
    sheet = book.add_worksheet(_(TEMPLATE_SHEET))
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 28)
    sheet.set_column(2, 2, 18)
    sheet.set_column(3, 3, 40)
    sheet.write(0, 0, _("市中区银行业金融机构月度统计报送表"), title)
    sheet.write(1, 0, _(BANK_ROW), head)
    sheet.write_string(1, 1, bank.name, cell)
    sheet.write(2, 0, _(MONTH_ROW), head)
    sheet.write_string(2, 1, month_key(month), cell)
    for col, text in enumerate((_("项目"), _("单位"), _("数值"), _("说明"))):
        sheet.write(3, col, text, head)
    for i, figure in enumerate(FIGURES):
        row = FIRST_FIGURE_ROW - 1 + i
        sheet.write(row, 0, _(figure.label), cell)
        sheet.write(row, 1, _(UNITS[figure.unit].label), cell)
        value = from_yuan(figure, values[figure.name]) if values else None
        if value is None:
            sheet.write_blank(row, 2, None, number)
        else:
            sheet.write_number(row, 2, value, number)
        sheet.write(row, 3, _(figure.help), cell)
        sheet.data_validation(row, 2, row, 2, {
            "validate": "integer" if figure.unit == "count" else "decimal", "criteria": ">=", "value": 0,
            "error_message": _("请填写不小于0的数字")})
    last = FIRST_FIGURE_ROW + len(FIGURES)
    sheet.write(last, 0, _("填写说明：只填C列黄色单元格；金额按所列单位填写，余额为月末数；请勿修改银行、月份和项目名称。"), muted)
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


def _cell_error(rowno: int, figure: Figure, problem: DomainError) -> DomainError:
    return message(N_("第%(row)s行C列（%(label)s）：%(problem)s"), row=rowno, label=Label(figure.label), problem=problem)


def _cell_number(figure: Figure, value, rowno: int, errors: list[Message]) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.append(_cell_error(rowno, figure, message(N_("未填写"))))
        return None
    if isinstance(value, bool) or isinstance(value, datetime | date):
        errors.append(_cell_error(rowno, figure, message(N_("“%(value)s”不是数字"), value=quote(_cell_text(value)))))
        return None
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip().replace(",", ""))
        to_yuan(figure, amount)
    except InvalidOperation:
        errors.append(_cell_error(rowno, figure, message(N_("“%(value)s”不是数字"), value=quote(value))))
        return None
    except DomainError as exc:
        errors.append(_cell_error(rowno, figure, exc))
        return None
    return amount


def _rows_by_label(data: bytes, limits: SheetLimits) -> dict[str, tuple[int, tuple]]:
    """The first four cells of each of the first 200 rows, by the text in column A (its first row only).
    The file is checked against `limits` before openpyxl opens it."""
    from openpyxl import load_workbook

    try:
        check_xlsx(data, limits)
    except DomainError as exc:
        raise UploadRefused([message(exc.msgid, **exc.params)]) from None
    by_label: dict[str, tuple[int, tuple]] = {}
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            names = [n for n in _in_every_language(TEMPLATE_SHEET) if n in book.sheetnames]
            sheet = book[names[0]] if names else book.worksheets[0]
            for rowno, row in enumerate(sheet.iter_rows(min_row=1, max_row=200, max_col=4, values_only=True),
                                        start=1):
                row = tuple(row) + (None,) * (4 - len(row))
                label = _cell_text(row[0])
                if label and label not in by_label:
                    by_label[label] = (rowno, row)
        finally:
            book.close()
    except Exception:  # openpyxl raises many kinds (when opening or reading rows) for a file that is not .xlsx
        raise UploadRefused([message(N_("文件不是有效的 Excel（.xlsx）文件，请使用本页提供的模板"))]) from None
    return by_label


def parse_xlsx(data: bytes, bank: Bank, month: date, bank_names: dict[str, int] | None = None,
               limits: SheetLimits = DEFAULT_LIMITS) -> dict[str, Decimal]:
    """Read a filled-in template. Every bad cell (text in a number, negative, wrong month, another bank's name,
    missing row) is named by row and column; any error refuses the whole file."""
    by_label = _rows_by_label(data, limits)

    def row_of(msgid: str):
        return next((by_label[t] for t in _in_every_language(msgid) if t in by_label), None)

    errors: list[Message] = []
    bank_row = row_of(BANK_ROW)
    if bank_row is None:
        errors.append(message(N_("缺少“银行”一行（A列应为“银行”，B列为银行名称）")))
    else:
        named = _cell_text(bank_row[1][1])
        if named != bank.name:
            text = (N_("第%(row)s行B列（银行）：“%(named)s”不是本行“%(bank)s”，这是其他银行的报表")
                    if bank_names and named in bank_names else N_("第%(row)s行B列（银行）：“%(named)s”不是本行“%(bank)s”"))
            errors.append(message(text, row=bank_row[0], named=quote(named), bank=bank.name))
    month_row = row_of(MONTH_ROW)
    if month_row is None:
        errors.append(message(N_("缺少“月份”一行（A列应为“月份”，B列为 YYYY-MM）")))
    else:
        text = _cell_text(month_row[1][1])
        try:
            found = parse_month(text)
        except DomainError:
            errors.append(message(N_("第%(row)s行B列（月份）：“%(text)s”不是 YYYY-MM 格式的月份"), row=month_row[0],
                                  text=quote(text)))
        else:
            if found != month:
                errors.append(message(N_("第%(row)s行B列（月份）：文件中为 %(found)s，与报送月份 %(month)s 不符"),
                                      row=month_row[0], found=month_key(found), month=month_key(month)))
    values: dict[str, Decimal] = {}
    rows: dict[str, int] = {}
    for figure in FIGURES:
        found_row = row_of(figure.label)
        if found_row is None:
            errors.append(message(N_("缺少“%(label)s”一行（A列）"), label=Label(figure.label)))
            continue
        rows[figure.name] = found_row[0]
        amount = _cell_number(figure, found_row[1][2], found_row[0], errors)
        if amount is not None:
            values[figure.name] = amount
    if not errors:
        yuan = {name: to_yuan(FIGURE_BY_NAME[name], v) for name, v in values.items()}
        for name, problem in consistency_errors(yuan).items():
            errors.append(_cell_error(rows[name], FIGURE_BY_NAME[name], problem))
    if errors:
        raise UploadRefused(errors)
    return values

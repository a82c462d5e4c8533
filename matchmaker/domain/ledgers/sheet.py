"""The ledger entries behind a figure as an .xlsx file (XlsxWriter, constant memory: rows are written and
flushed as they are read)."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable

from ...models.firms import INDUSTRIES
from ...models.ledgers import LedgerEntry

HEADERS = ("编号", "日期", "政策工具", "事项", "企业", "镇街", "行业", "银行", "金额（元）", "费用（元）", "期限（天）",
           "开立记录", "更正记录", "说明")


def entries_xlsx(entries: Iterable[LedgerEntry]) -> bytes:
    import xlsxwriter

    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False})
        head = book.add_format({"bold": True, "bg_color": "#DDE7F3"})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        sheet = book.add_worksheet("台账")
        for col, text in enumerate(HEADERS):
            sheet.write_string(0, col, text, head)
        row = 0
        for row, e in enumerate(entries, start=1):
            firm = e.firm
            values = (e.id, None, e.instrument.name, e.event_label, firm.name if firm else "",
                      firm.township.name if firm and firm.township else "",
                      INDUSTRIES.get(firm.industry, firm.industry) if firm else "", e.bank.name if e.bank else "",
                      e.amount, e.fee, e.term_days, e.case_id, e.corrects_id, e.note)
            for col, value in enumerate(values):
                if col == 1:
                    sheet.write_datetime(row, col, e.on_date, day)
                elif value is None:
                    sheet.write_blank(row, col, None)
                elif isinstance(value, int):
                    sheet.write_number(row, col, value)
                else:
                    sheet.write_string(row, col, value)
        sheet.autofilter(0, 0, max(row, 1), len(HEADERS) - 1)
        book.close()
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(path)

"""The ledger entries behind a figure as an .xlsx file (XlsxWriter, constant memory: rows are written and
flushed as they are read)."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable

from ...models.firms import INDUSTRIES
from ...models.ledgers import LedgerEntry
from ...text import N_
from ..core.translate import translator

HEADERS = (N_("编号"), N_("日期"), N_("政策工具"), N_("事项"), N_("企业"), N_("镇街"), N_("行业"), N_("银行"),
           N_("金额（元）"), N_("费用（元）"), N_("期限（天）"), N_("开立记录"), N_("更正记录"), N_("说明"))
SHEET = N_("台账")


def entries_xlsx(entries: Iterable[LedgerEntry], locale: str | None = None) -> bytes:
    """The file in `locale` (None: Chinese): headers, sheet name, events and industries; names and notes as
    stored."""
    import xlsxwriter

    _ = translator(locale)

    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False})
        head = book.add_format({"bold": True, "bg_color": "#DDE7F3"})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        sheet = book.add_worksheet(_(SHEET))
        for col, text in enumerate(HEADERS):
            sheet.write_string(0, col, _(text), head)
        row = 0
        for row, e in enumerate(entries, start=1):
            firm = e.firm
            values = (e.id, None, e.instrument.name, _(e.event_label), firm.name if firm else "",
                      firm.township.name if firm and firm.township else "",
                      _(INDUSTRIES.get(firm.industry, firm.industry)) if firm and firm.industry else "",
                      e.bank.name if e.bank else "",
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

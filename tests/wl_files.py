"""Real white-list files for tests: .xlsx written with openpyxl, CSV in the encodings departments use."""
from __future__ import annotations

import csv
import io

import openpyxl


def xlsx(rows: list[list], title: str | None = None, merge: list[str] = (), sheet: str = "名单",
         before: dict[str, list[list]] | None = None) -> bytes:
    """A workbook whose sheet `sheet` holds an optional merged title row then `rows`; `before` adds sheets first."""
    book = openpyxl.Workbook()
    first = book.active
    first.title = sheet
    if before:
        book.remove(first)
        for name, content in before.items():
            ws = book.create_sheet(name)
            for row in content:
                ws.append(row)
        first = book.create_sheet(sheet)
    if title:
        first.append([title])
        first.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(2, len(rows[0]) if rows else 2))
    for row in rows:
        first.append(row)
    for cells in merge:
        first.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)

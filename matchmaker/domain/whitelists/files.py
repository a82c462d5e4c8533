"""Read a white-list file into a grid of cells: .xlsx (python-calamine) or .csv in UTF-8 (with or without BOM),
UTF-16 or GBK/GB18030, detected. Legacy .xls, empty files, missing sheets and files over the limits of
`core.sheets` (checked before calamine opens anything) are refused with a clear message."""
from __future__ import annotations

import csv
import io
import re
from itertools import islice
from typing import Callable, Iterator

from python_calamine import CalamineWorkbook

from ..core.errors import DomainError
from ..core.sheets import DEFAULT_LIMITS, SheetLimits, check_csv_bytes, check_xlsx, read_csv

XLSX_MAGIC = b"PK\x03\x04"
HEAD_ROWS = 21  # what the header search reads (checking.HEADER_SCAN_ROWS and the row after)
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls / .doc


class Grid:
    """Cells of one sheet: rows[i] is Excel row i + 1; merged ranges as (r1, c1, r2, c2), 0-based, inclusive.
    An .xlsx sheet is read row by row (`iter_rows`, `head`) so a 250,000-row sheet is never held as Python lists
    whole; `rows` builds the whole list when asked."""

    def __init__(self, sheet: str, rows: list[list] | None = None, merged=None, sheets=None, source=None,
                 height: int | None = None):
        self.sheet = sheet
        self.merged: list[tuple[int, int, int, int]] = merged or []
        self.sheets: list[str] = sheets or []
        self._rows = rows
        self._source = source  # a calamine sheet
        self.height = len(rows) if rows is not None else (height or 0)

    @property
    def rows(self) -> list[list]:
        if self._rows is None:
            self._rows = list(self.iter_rows())
        return self._rows

    def iter_rows(self) -> Iterator[list]:
        if self._rows is not None:
            return iter(self._rows)
        pad = [""] * self._source.start[1] if self._source.height else []
        rows = self._source.iter_rows()
        return (pad + row for row in rows) if pad else rows

    def head(self, n: int) -> list[list]:
        return list(islice(self.iter_rows(), n))

    def release(self) -> None:
        """Let the reader's memory go (the rows have been read)."""
        self._rows, self._source = [], None


def decode_text(data: bytes) -> str:
    """Text of a CSV: UTF-8 with or without BOM, UTF-16 with BOM, else GBK/GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    encodings = ("utf-16",) if data.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError("无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV，或直接上传 .xlsx", field="file")


def read_csv_rows(text: str, limits: SheetLimits = DEFAULT_LIMITS) -> list[list[str]]:
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        return read_csv(text, dialect, limits)
    except csv.Error:  # e.g. a stray quote that swallows the rest of the file into one huge cell
        raise DomainError("CSV 文件格式有误（引号不成对或单元格过长）：请检查后再导入", field="file") from None


def _is_blank(data: bytes) -> bool:
    return re.match(rb"(?:\xef\xbb\xbf)?\s*\Z", data) is not None  # a match copies nothing of a large file


def read_csv_bytes(data: bytes, limits: SheetLimits = DEFAULT_LIMITS) -> list[list[str]]:
    """The rows of a CSV file, within the limits."""
    check_csv_bytes(data, limits)
    return read_csv_rows(decode_text(data), limits)


def read_grid(data: bytes, filename: str, sheet: str | None = None,
              has_header: Callable[[list[list]], bool] | None = None,
              limits: SheetLimits = DEFAULT_LIMITS) -> Grid:
    """The sheet to import. Without `sheet`, the first sheet where `has_header` finds a header row.
    The file is checked against `limits` before it is read."""
    name = (filename or "").lower()
    if not data or _is_blank(data):
        raise DomainError("文件为空：没有任何内容", field="file")
    if data.startswith(OLE2_MAGIC) or name.endswith(".xls"):
        raise DomainError("不支持旧版 Excel（.xls）文件：请在 Excel 中“另存为” .xlsx 格式后再导入", field="file")
    if data.startswith(XLSX_MAGIC):
        check_xlsx(data, limits)
        return _read_xlsx(data, sheet, has_header)
    if name.endswith((".xlsx", ".xlsm")):
        raise DomainError("文件已损坏或不是有效的 Excel（.xlsx）文件", field="file")
    if not name.endswith((".csv", ".txt", ".tsv")) and name:
        raise DomainError("仅支持 .xlsx 和 .csv 文件", field="file")
    if sheet:
        raise DomainError("CSV 文件没有工作表，请不要填写工作表名称", field="sheet")
    return Grid(sheet="", rows=read_csv_bytes(data, limits))


def _read_xlsx(data: bytes, sheet: str | None, has_header) -> Grid:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(book.sheet_names)
    except Exception:  # noqa: BLE001 - calamine raises its own error types for broken files
        raise DomainError("文件已损坏或不是有效的 Excel（.xlsx）文件", field="file") from None
    listed = "、".join(names)
    if sheet and sheet not in names:
        raise DomainError("工作簿中没有名为“%(sheet)s”的工作表；现有工作表：%(sheets)s", field="sheet", sheet=sheet,
                          sheets=listed)
    first_filled = None
    for candidate in ([sheet] if sheet else names):
        grid = _sheet_grid(book, candidate, names)
        if not any(any(_filled(v) for v in row) for row in grid.iter_rows()):
            continue
        first_filled = first_filled or grid
        if sheet or has_header is None or has_header(grid.head(HEAD_ROWS)):
            return grid
    if first_filled is None:
        if sheet:
            raise DomainError("文件为空：工作表“%(sheet)s”中没有任何数据", field="sheet", sheet=sheet)
        raise DomainError("文件为空：工作簿中没有任何数据", field="file")
    return first_filled


def _sheet_grid(book, name: str, names: list[str]) -> Grid:
    try:
        ws = book.get_sheet_by_name(name)
        merged = [(a[0], a[1], b[0], b[1]) for a, b in (ws.merged_cell_ranges or [])]
        height = ws.end[0] + 1 if ws.height else 0
    except Exception:  # noqa: BLE001
        raise DomainError("无法读取工作表“%(sheet)s”", field="sheet", sheet=name) from None
    return Grid(sheet=name, merged=merged, sheets=names, source=ws, height=height)


def _filled(value) -> bool:
    return value is not None and str(value).strip() != ""

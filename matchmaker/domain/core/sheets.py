"""Limits on uploaded spreadsheets, checked before any reader allocates anything: an .xlsx is opened as a zip and
its parts streamed (declared and real sizes, compression ratio, the sheet's declared dimension, every row and
cell, shared strings) and a CSV is read row by row (size, NUL bytes, columns, cell length, rows). Both the
white-list import and the monthly upload go through here, so a hostile file is refused with a message naming the
limit instead of taking a worker's memory."""
from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Mapping
from copy import copy
from dataclasses import dataclass
from itertools import repeat
from xml.parsers import expat

from .errors import DomainError
from .limits import quote

MIB = 1024 * 1024
CHUNK = 64 * 1024


@dataclass(frozen=True)
class SheetLimits:
    """What one uploaded file may hold. Rows and file size are settings (MATCHMAKER_SHEET_MAX_*)."""

    max_rows: int = 200_000
    max_cols: int = 200
    max_cell_chars: int = 2_000
    max_cells: int = 4_000_000  # rows x columns of a sheet's area: the dense grid a reader builds
    max_file_bytes: int = 32 * MIB
    max_entry_bytes: int = 128 * MIB  # one part of the .xlsx, uncompressed
    max_total_bytes: int = 256 * MIB  # all parts together, uncompressed
    max_ratio: int = 200  # uncompressed / compressed, for parts over RATIO_FLOOR
    max_tag_bytes: int = 1 * MIB  # one XML tag with its attributes

    @property
    def max_row_chars(self) -> int:
        """The longest a CSV row can be while within the column and cell limits (delimiters and quotes too)."""
        return self.max_cols * (self.max_cell_chars * 2 + 3)


RATIO_FLOOR = 1 * MIB
DEFAULT_LIMITS = SheetLimits()

SETTINGS = {  # config key -> SheetLimits field
    "SHEET_MAX_ROWS": "max_rows",
    "SHEET_MAX_COLS": "max_cols",
    "SHEET_MAX_CELL_CHARS": "max_cell_chars",
    "SHEET_MAX_FILE_BYTES": "max_file_bytes",
}


def limits_from(config: Mapping | None) -> SheetLimits:
    """The limits with any SHEET_MAX_* settings applied."""
    if not config:
        return DEFAULT_LIMITS
    return SheetLimits(**{name: int(config[key]) for key, name in SETTINGS.items() if config.get(key)})


def _size(n: int) -> str:
    return f"{n // MIB} MB" if n >= MIB else f"{n // 1024} KB"


def refuse(message: str) -> DomainError:
    return DomainError(message, field="file")


def broken_part(name: str) -> DomainError:
    """A part of the .xlsx that is not well-formed XML."""
    return refuse(f"文件已损坏或不是有效的 Excel（.xlsx）文件（{quote(name)} 无法读取）")


def check_file_size(data: bytes, limits: SheetLimits) -> None:
    if len(data) > limits.max_file_bytes:
        raise refuse(f"文件大小超过上限 {_size(limits.max_file_bytes)}")


# .xlsx -----------------------------------------------------------------------------------------------------------

_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})?\$?(\d{1,7})?$")


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _parse_ref(ref: str) -> tuple[int, int]:
    """(row, column), 1-based, of a reference like "XFD1048576"; 0 for a part that is missing."""
    match = _CELL_REF.match(ref.strip())
    if not match:
        raise refuse(f"工作表中有无效的单元格位置“{quote(ref)}”：文件已损坏")
    letters, digits = match.groups()
    return (int(digits) if digits else 0), (_column_number(letters) if letters else 0)


class _PartScanner:
    """Streams one XML part of the workbook through expat, refusing what is over a limit as soon as it is seen."""

    def __init__(self, name: str, limits: SheetLimits):
        self.name = name
        self.limits = limits
        self.in_sheet_data = False
        self.row = 0
        self.col = 0
        self.max_row = 0
        self.max_col = 0
        self.text_depth = 0  # inside a <c> (a cell) or an <si> (a shared string)
        self.text_chars = 0
        self.strings = 0
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = False
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.chars
        self.parser.StartDoctypeDeclHandler = self.doctype
        self.parser.EntityDeclHandler = self.doctype

    def doctype(self, *args) -> None:
        raise refuse("文件中含有 DTD/实体声明，不是有效的 Excel 文件")

    def start(self, tag: str, attrs: dict) -> None:
        local = tag.rpartition(":")[2]
        if local == "dimension":
            self.check_area(attrs.get("ref", ""), "声明的范围")
        elif local == "sheetData":
            self.in_sheet_data = True
        elif self.in_sheet_data and local == "row":
            self.row = int(attrs["r"]) if str(attrs.get("r", "")).isdigit() else self.row + 1
            self.col = 0
            self.check_rows(self.row)
        elif self.in_sheet_data and local == "c":
            ref = attrs.get("r")
            row, col = _parse_ref(ref) if ref else (self.row, self.col + 1)
            self.col = col or self.col + 1
            self.check_rows(row or self.row)
            self.check_cols(self.col)
        if local == "si":
            self.strings += 1
            if self.strings > self.limits.max_cells:
                raise refuse(f"共享字符串数量超过上限 {self.limits.max_cells} 个")
        if local in ("c", "si", "is"):
            self.text_depth += 1
            if self.text_depth == 1:
                self.text_chars = 0

    def end(self, tag: str) -> None:
        local = tag.rpartition(":")[2]
        if local == "sheetData":
            self.in_sheet_data = False
        elif local in ("c", "si", "is"):
            self.text_depth = max(0, self.text_depth - 1)

    def chars(self, data: str) -> None:
        if self.text_depth:
            self.text_chars += len(data)
            if self.text_chars > self.limits.max_cell_chars:
                raise refuse(f"单元格内容超过上限 {self.limits.max_cell_chars} 个字符"
                             f"（{self.where()}，开头为“{quote(data.strip())}”）")

    def where(self) -> str:
        if self.row:
            return f"第{self.row}行"
        return "共享字符串" if "sharedstrings" in self.name.lower() else self.name

    def check_rows(self, row: int) -> None:
        self.max_row = max(self.max_row, row)
        if row > self.limits.max_rows:
            raise refuse(f"文件行数超过上限 {self.limits.max_rows} 行")
        self.check_cells()

    def check_cols(self, col: int) -> None:
        self.max_col = max(self.max_col, col)
        if col > self.limits.max_cols:
            raise refuse(f"文件列数超过上限 {self.limits.max_cols} 列")
        self.check_cells()

    def check_cells(self) -> None:
        if self.max_row * self.max_col > self.limits.max_cells:
            raise refuse(f"工作表范围（{self.max_row} 行 × {self.max_col} 列）超过上限 "
                         f"{self.limits.max_cells} 个单元格")

    def check_area(self, ref: str, what: str) -> None:
        last = ref.split(":")[-1]
        row, col = _parse_ref(last)
        if row > self.limits.max_rows:
            raise refuse(f"文件行数超过上限 {self.limits.max_rows} 行（工作表{what}为 {quote(ref)}）")
        if col > self.limits.max_cols:
            raise refuse(f"文件列数超过上限 {self.limits.max_cols} 列（工作表{what}为 {quote(ref)}）")
        if row * col > self.limits.max_cells:
            raise refuse(f"工作表范围 {quote(ref)} 超过上限 {self.limits.max_cells} 个单元格")

    def feed(self, chunk: bytes, final: bool = False) -> None:
        try:
            self.parser.Parse(chunk, final)
        except expat.ExpatError:
            raise broken_part(self.name) from None


def _check_entries(book: zipfile.ZipFile, limits: SheetLimits) -> list[zipfile.ZipInfo]:
    """Sizes as the zip's directory declares them, before anything is decompressed."""
    infos = book.infolist()
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise refuse("文件不是有效的 Excel（.xlsx）文件")
    if len(infos) > 10_000:
        raise refuse("文件中的部件过多，不是有效的 Excel 文件")
    total = 0
    for info in infos:
        if info.file_size > limits.max_entry_bytes:
            raise refuse(f"文件解压后过大：其中 {quote(info.filename)} 超过上限 {_size(limits.max_entry_bytes)}")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise refuse(f"文件解压后过大：超过上限 {_size(limits.max_total_bytes)}")
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise refuse(f"文件压缩比异常（超过 {limits.max_ratio} 倍），可能是恶意构造的文件")
    return infos


def _stream(book: zipfile.ZipFile, info: zipfile.ZipInfo, limits: SheetLimits) -> Iterator[bytes]:
    """The part's bytes in chunks, stopping at the limit whatever the directory declared."""
    unbounded = copy(info)
    unbounded.file_size = limits.max_entry_bytes + 1  # so the reader does not stop at a declared size that lies
    read = 0
    with book.open(unbounded) as part:
        while chunk := part.read(CHUNK):
            read += len(chunk)
            if read > limits.max_entry_bytes or read > info.file_size:
                raise refuse(f"文件已损坏或被篡改：{quote(info.filename)} 的实际大小与声明不符或超过上限")
            yield chunk
    if read != info.file_size:
        raise refuse(f"文件已损坏：{quote(info.filename)} 的实际大小与声明不符")


def _check_tags(chunks: Iterator[bytes], limits: SheetLimits) -> Iterator[bytes]:
    """Refuse a tag longer than the limit, which expat would otherwise gather whole in memory."""
    run = 0  # bytes of a tag still open at the end of the previous chunk
    for chunk in chunks:
        if run:
            close = chunk.find(b">")
            run += len(chunk) if close == -1 else close
            if run > limits.max_tag_bytes:
                raise refuse("文件中有异常长的 XML 标签，可能是恶意构造的文件")
            if close == -1:
                yield chunk
                continue
        opened, closed = chunk.rfind(b"<"), chunk.rfind(b">")
        run = len(chunk) - opened if opened > closed else 0
        yield chunk


class _Unusual(Exception):
    """The part is not written the plain way the fast scan reads: the expat scanner reads it instead."""


FAST_PART_BYTES = 1 * MIB  # smaller parts are read by the expat scanner (it is fast enough on them)
_PREFIXED = re.compile(rb"</?[^\s/>]*:")  # a colon in a tag's name, whatever comes before it
_CELL_ROW = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"[\s/>]')
_CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})[0-9]')
_ROW_REF = re.compile(rb'<row r="([0-9]{1,7})"[\s/>]')


# a cell opened otherwise than `<c r="`: without a reference, with another attribute first, or another white space
_ODD_CELL = re.compile(rb'<c(?:[/>]|[\t\n\r]|\s(?!r="))')


def _all_cells_counted(seg: bytes, cells: int) -> bool:
    """Whether every cell opened in seg is one of the `cells` that _CELL_ROW read."""
    return _ODD_CELL.search(seg) is None and seg.count(b'<c r="') == cells


def _largest_number(digits: list[bytes]) -> int:
    """The largest of many runs of at most 7 digits, compared as zero-padded bytes (one C-level pass, no int each)."""
    return int(max(map(bytes.zfill, digits, repeat(7))))


_DIMENSION = re.compile(rb"<dimension[\s/>]")
_DIMENSION_REF = re.compile(rb'<dimension ref="([A-Za-z0-9:$]{1,40})"\s*/>')
_STRING_OPEN = re.compile(rb"<si[\s/>]")


# Expat over a part read from standard input, in a process of its own: it prints what is wrong, if anything.
_EXPAT_CHILD = """
import sys, pyexpat
parser = pyexpat.ParserCreate()
def declared(*args):
    sys.stdout.write("dtd")
    sys.exit(1)
parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = declared
source = sys.stdin.buffer
try:
    while chunk := source.read(65536):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)
except pyexpat.ExpatError:
    sys.stdout.write("broken")
    sys.exit(1)
"""


class _Wellformed:
    """Expat over a part as it streams by, refusing a part that is not well-formed XML or declares a DTD. A large
    part's parse runs in a child process (`beside=True`): expat keeps the interpreter's lock, and the child lets
    it run on the other core while this one scans the same bytes with the expressions. Where no child can be
    started, expat runs here."""

    def __init__(self, name: str, doctype, beside: bool = False):
        self.name, self.doctype = name, doctype
        self.child = None
        if beside:
            try:
                self.child = subprocess.Popen([sys.executable, "-I", "-S", "-c", _EXPAT_CHILD], stdin=subprocess.PIPE,
                                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            except OSError:
                self.child = None
        if self.child is None:
            self.parser = expat.ParserCreate()
            self.parser.StartDoctypeDeclHandler = doctype
            self.parser.EntityDeclHandler = doctype

    def feed(self, chunk: bytes, final: bool = False) -> None:
        if self.child is None:
            try:
                self.parser.Parse(chunk, final)
            except expat.ExpatError:
                raise broken_part(self.name) from None
            return
        try:
            if chunk:
                self.child.stdin.write(chunk)
            if final:
                self.child.stdin.close()
        except BrokenPipeError:  # the child stopped early: what it says is read below
            final = True
        if final:
            said = self.child.stdout.read().decode("ascii", "replace")
            if self.child.wait() != 0:
                if said == "dtd":
                    self.doctype()
                raise broken_part(self.name)


    def close(self) -> None:
        """Stop the child (the scan ended early)."""
        if self.child is not None and self.child.returncode is None:
            self.child.kill()
            self.child.wait()
            for stream in (self.child.stdin, self.child.stdout):
                try:
                    stream.close()
                except OSError:
                    pass


class _FastScanner:
    """The checks of _PartScanner on a large worksheet or shared-strings part, done by regular expressions in C
    rather than a Python call per element (a 250,000-row sheet has millions of elements). It is sound for the
    plain form spreadsheet programs write (no namespace prefixes, `r` the first attribute of every row and cell,
    no "<!" at all: no DTD, entity declaration, comment or CDATA section): the text of a cell lies inside its
    row, and of a shared string before the next one, so a row (or string) spanning at most max_cell_chars bytes
    cannot hold a longer text. The spans are the lengths between the part's start, each `<row ` (or `<si`) and
    the end, split in C. Anything else raises _Unusual and the part is read by the expat scanner, which is exact.
    Expat still parses every byte: the expressions then read well-formed XML (calamine's reader is more lenient:
    it takes a cell's last `r` when there are two, and a tag name with any prefix)."""

    def __init__(self, name: str, limits: SheetLimits, strings: bool):
        self.name, self.limits, self.strings = name, limits, strings
        self.slow = _PartScanner(name, limits)  # its checks and messages
        self.wellformed = _Wellformed(name, self.slow.doctype, beside=True)
        self.carry = b""
        self.offset = 0      # bytes of the part before `carry`
        self.container = b"<sst" if strings else b"<sheetData"
        self.last = None     # offset of the container, then of the last row / shared string opened
        self.count = 0
        self.counted = 0     # rows whose `r` was read

    def feed(self, chunk: bytes, final: bool = False) -> None:
        self.wellformed.feed(chunk, final)
        buf = self.carry + chunk if self.carry else chunk
        cut = len(buf)
        if not final:
            opened = buf.rfind(b"<")
            if opened > buf.rfind(b">"):
                cut = opened  # a tag cut by the chunk: read it with the next one
        self._scan(buf[:cut] if cut < len(buf) else buf)
        self.offset += cut
        self.carry = buf[cut:]
        if final:
            self._gap(self.offset)

    def _gap(self, position: int) -> None:
        if self.last is None or position - self.last > self.limits.max_cell_chars:
            raise _Unusual  # no container, or a long row or string: the exact count decides
        self.last = position

    def _scan(self, seg: bytes) -> None:
        if b"<!" in seg or (b":" in seg and _PREFIXED.search(seg)):  # no colon (most chunks): no prefix to look for
            raise _Unusual
        tag = b"<si" if self.strings else b"<row "
        pieces = seg.split(tag)  # the text before the first opening, between openings, and after the last
        opened = len(pieces) - 1
        if self.last is None:  # spans are measured from <sheetData (<sst): what comes before holds no cell
            at = seg.find(self.container)
            if at != -1 and (not opened or at < len(pieces[0])):
                self.last = self.offset + at
        if self.strings:
            if opened and len(_STRING_OPEN.findall(seg)) != opened:  # another tag that starts alike
                raise _Unusual
        elif seg.count(b"<row") != opened + seg.count(b"<rowBreaks"):  # <row> or <row/>, or a row opened otherwise
            raise _Unusual
        if opened:
            self._gap(self.offset + len(pieces[0]))
            if opened > 1 and max(map(len, pieces[1:-1])) + len(tag) > self.limits.max_cell_chars:
                raise _Unusual  # a long row or string: the exact count decides
            self.last = self.offset + len(seg) - len(pieces[-1]) - len(tag)
            self.count += opened
        if self.strings:
            if self.count > self.limits.max_cells:
                raise refuse(f"共享字符串数量超过上限 {self.limits.max_cells} 个")
            return
        slow = self.slow
        if _DIMENSION.search(seg):
            dims = _DIMENSION_REF.findall(seg)
            if len(dims) != len(_DIMENSION.findall(seg)):
                raise _Unusual
            for ref in dims:
                slow.check_area(ref.decode(), "声明的范围")
        rows = _ROW_REF.findall(seg)
        if len(rows) != self.count - self.counted:
            raise _Unusual
        self.counted = self.count
        cells = _CELL_ROW.findall(seg)
        if not _all_cells_counted(seg, len(cells)):
            raise _Unusual
        if rows:
            slow.check_rows(_largest_number(rows))
        if cells:
            slow.check_rows(_largest_number(cells))
            slow.check_cols(max(_column_number(letters.decode()) for letters in set(_CELL_COLUMN.findall(seg))))


def _scan_part(book: zipfile.ZipFile, info: zipfile.ZipInfo, limits: SheetLimits, before: int, fast: bool) -> int:
    """Stream one part through its scanner; the bytes read so far (`before`: by the parts before it)."""
    name = info.filename.lower()
    xml = name.endswith((".xml", ".rels", ".vml"))
    scanner = None
    if xml:
        strings = name.endswith("sharedstrings.xml")
        fast = fast and info.file_size > FAST_PART_BYTES and (strings or name.startswith("xl/worksheets/"))
        scanner = _FastScanner(info.filename, limits, strings) if fast else _PartScanner(info.filename, limits)
    total = before
    try:
        for chunk in _check_tags(_stream(book, info, limits), limits):
            total += len(chunk)
            if total > limits.max_total_bytes:
                raise refuse(f"文件解压后过大：超过上限 {_size(limits.max_total_bytes)}")
            if scanner:
                scanner.feed(chunk)
        if scanner:
            scanner.feed(b"", final=True)
    finally:
        if isinstance(scanner, _FastScanner):
            scanner.wellformed.close()
    return total


def check_xlsx(data: bytes, limits: SheetLimits = DEFAULT_LIMITS) -> None:
    """Refuse an .xlsx over any limit. Reads every part as a stream: memory stays small whatever the file holds."""
    check_file_size(data, limits)
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise refuse("文件已损坏或不是有效的 Excel（.xlsx）文件") from None
    with book:
        infos = _check_entries(book, limits)
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            try:
                try:
                    total = _scan_part(book, info, limits, total, fast=True)
                except _Unusual:
                    total = _scan_part(book, info, limits, total, fast=False)
            except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, ValueError, RuntimeError):
                raise refuse("文件已损坏或不是有效的 Excel（.xlsx）文件") from None


# CSV -------------------------------------------------------------------------------------------------------------

def check_csv_bytes(data: bytes, limits: SheetLimits = DEFAULT_LIMITS) -> None:
    """What can be told before decoding: size and NUL bytes (UTF-16 files have them by design)."""
    check_file_size(data, limits)
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" in data:
        raise refuse("文件中含有空字符（NUL），不是有效的 CSV 文本文件：请从 Excel 另存为 CSV 或直接上传 .xlsx")


class _Lines:
    """The CSV's lines for csv.reader, refusing a row (its lines since the last row read) too long to be within
    the column and cell limits before it is copied out of the text or split into cells."""

    def __init__(self, text: str, limits: SheetLimits):
        self.text = text
        self.pos = 0
        self.limits = limits
        self.run = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.text):
            raise StopIteration
        end = self.text.find("\n", self.pos)
        end = len(self.text) if end == -1 else end + 1
        self.run += end - self.pos
        if self.run > self.limits.max_row_chars:
            raise refuse(f"文件列数超过上限 {self.limits.max_cols} 列，或单元格内容超过上限 "
                         f"{self.limits.max_cell_chars} 个字符")
        line, self.pos = self.text[self.pos:end], end
        return line


def read_csv(text: str, dialect, limits: SheetLimits = DEFAULT_LIMITS) -> list[list[str]]:
    """The rows of a CSV, each checked as it is read."""
    if "\x00" in text:
        raise refuse("文件中含有空字符（NUL），不是有效的 CSV 文本文件：请从 Excel 另存为 CSV 或直接上传 .xlsx")
    rows: list[list[str]] = []
    lines = _Lines(text, limits)
    reader = csv.reader(lines, dialect)
    for row in reader:
        lines.run = 0
        if len(rows) >= limits.max_rows:
            raise refuse(f"文件行数超过上限 {limits.max_rows} 行")
        if len(row) > limits.max_cols:
            raise refuse(f"文件列数超过上限 {limits.max_cols} 列（第{reader.line_num}行）")
        for cell in row:
            if len(cell) > limits.max_cell_chars:
                raise refuse(f"单元格内容超过上限 {limits.max_cell_chars} 个字符"
                             f"（第{len(rows) + 1}行，开头为“{quote(cell.strip())}”）")
        rows.append(row)
    return rows

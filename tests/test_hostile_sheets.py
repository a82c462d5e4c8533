"""Hostile spreadsheets are refused before anything is allocated, for the white-list import and the monthly upload:
each file is built here as real zip/xlsx or CSV bytes, each refusal names the limit, and the parse stays within a
small, measured amount of memory (tracemalloc) while the app keeps answering."""
from __future__ import annotations

import io
import tracemalloc
import zipfile
from datetime import date

import pytest
from openpyxl import load_workbook

from matchmaker.domain.banks import report_xlsx
from matchmaker.domain.banks.monthly_reports import UploadRefused
from matchmaker.domain.core.errors import DomainError
from matchmaker.domain.core.sheets import SheetLimits, check_xlsx, quote
from matchmaker.domain.whitelists.files import read_grid

from .wl_files import xlsx

# the job queue's consumer threads of one module run on one test worker
pytestmark = pytest.mark.xdist_group("jobs")

PEAK_LIMIT = 50 * 1024 * 1024
GIB = 1024 ** 3

CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 b'<Default Extension="xml" ContentType="application/xml"/>'
                 b'<Override PartName="/xl/workbook.xml" '
                 b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                 b'<Override PartName="/xl/worksheets/sheet1.xml" '
                 b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                 b'<Override PartName="/xl/sharedStrings.xml" '
                 b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                 b'</Types>')
ROOT_RELS = (b'<?xml version="1.0" encoding="UTF-8"?>'
             b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
             b'officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="月度报送" sheetId="1" r:id="rId1"/></sheets></workbook>').encode()
WORKBOOK_RELS = (b'<?xml version="1.0" encoding="UTF-8"?>'
                 b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 b'worksheet" Target="worksheets/sheet1.xml"/>'
                 b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 b'sharedStrings" Target="sharedStrings.xml"/></Relationships>')
SHEET_HEAD = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/' \
             b'spreadsheetml/2006/main">'


ONE_STRING = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
              '<si><t>企业名称</t></si></sst>').encode()


def build_xlsx(sheet_parts, shared_parts=(ONE_STRING,), level: int = 6) -> bytes:
    """An .xlsx whose sheet and shared strings are written from iterables of byte chunks (so a huge part is
    compressed as it is made, never held whole)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/workbook.xml", WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        for name, parts in (("xl/worksheets/sheet1.xml", sheet_parts), ("xl/sharedStrings.xml", shared_parts)):
            with book.open(name, "w") as part:
                for chunk in parts:
                    part.write(chunk)
    return out.getvalue()


def sheet(dimension: str, rows: bytes) -> list[bytes]:
    return [SHEET_HEAD, f'<dimension ref="{dimension}"/>'.encode(), b"<sheetData>", rows, b"</sheetData></worksheet>"]


ONE_CELL = b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'


def repeated(chunk: bytes, total: int):
    for _ in range(total // len(chunk)):
        yield chunk


# The hostile files -----------------------------------------------------------------------------------------------

def dimension_bomb() -> bytes:
    """2 KB: the sheet declares A1:XFD1048576 (17 billion cells) and holds one."""
    return build_xlsx(sheet("A1:XFD1048576", ONE_CELL))


def lying_dimension() -> bytes:
    """The sheet declares A1:A1 but has a cell at XFD1048576."""
    return build_xlsx(sheet("A1", ONE_CELL + b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'))


@pytest.fixture(scope="module")
def huge_shared_string() -> bytes:
    """~5 MB: one shared string of 1 GiB."""
    parts = [b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>',
             *repeated(b"a" * (1 << 20), GIB), b"</t></si></sst>"]
    return build_xlsx(sheet("A1", ONE_CELL), parts, level=1)


def long_shared_string() -> bytes:
    """A 100,000-character shared string: under every size limit, over the cell limit."""
    return build_xlsx(sheet("A1", ONE_CELL), [b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                                               b'main"><si><t>', b"b" * 100_000, b"</t></si></sst>"])


@pytest.fixture(scope="module")
def whitespace_bomb() -> bytes:
    """~2 MB of zip: 300 MB of whitespace inside the sheet data."""
    return build_xlsx([SHEET_HEAD, b"<sheetData>", *repeated(b" " * (1 << 20), 300 * (1 << 20)),
                       b"</sheetData></worksheet>"], level=1)


def small_whitespace_bomb() -> bytes:
    """20 MB of whitespace: under the size limits, but compressed a thousandfold."""
    return build_xlsx([SHEET_HEAD, b"<sheetData>", *repeated(b" " * (1 << 20), 20 * (1 << 20)),
                       b"</sheetData></worksheet>"])


def many_columns_csv() -> bytes:
    return ",".join(f"列{i}" for i in range(1_000_000)).encode() + b"\r\n"


def nul_csv() -> bytes:
    return "企业名称,统一社会信用代码\r\n某某\x00有限公司,\r\n".encode()


XLSX_CASES = {
    "dimension": (dimension_bomb, "文件行数超过上限 200000 行"),
    "lying-dimension": (lying_dimension, "文件行数超过上限 200000 行"),
    "long-string": (long_shared_string, "单元格内容超过上限 2000 个字符"),
    "small-whitespace": (small_whitespace_bomb, "文件压缩比异常"),
}
FIXTURE_CASES = {
    "huge-shared-string": ("huge_shared_string", "文件解压后过大"),
    "whitespace-bomb": ("whitespace_bomb", "文件解压后过大"),
}


def _refused_within_memory(parse, *args, error=DomainError, **kwargs) -> str:
    tracemalloc.start()
    try:
        with pytest.raises(error) as caught:
            parse(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.0f} MB"
    return caught.value.message


def _hostile(request, case: str) -> tuple[bytes, str]:
    if case in XLSX_CASES:
        make, message = XLSX_CASES[case]
        return make(), message
    name, message = FIXTURE_CASES[case]
    return request.getfixturevalue(name), message


ALL_XLSX = [*XLSX_CASES, *FIXTURE_CASES]


def test_the_builder_makes_real_workbooks_that_are_accepted():
    data = build_xlsx(sheet("A1", ONE_CELL))
    check_xlsx(data)
    grid = read_grid(data, "名单.xlsx")
    assert grid.rows == [["企业名称"]]


@pytest.mark.parametrize("case", ALL_XLSX)
def test_a_hostile_xlsx_is_refused_by_the_white_list_reader(request, case):
    data, message = _hostile(request, case)
    refused = _refused_within_memory(read_grid, data, "名单.xlsx")
    assert message in refused
    assert "a" * 40 not in refused and "b" * 40 not in refused


@pytest.mark.parametrize("case", ALL_XLSX)
def test_a_hostile_xlsx_is_refused_by_the_monthly_upload(request, case, bank):
    data, message = _hostile(request, case)
    refused = _refused_within_memory(report_xlsx.parse_xlsx, data, bank, date(2022, 3, 1), error=UploadRefused)
    assert message in refused
    assert "a" * 40 not in refused and "b" * 40 not in refused


@pytest.mark.parametrize("data, message", [
    (many_columns_csv(), "文件列数超过上限 200 列"),
    (nul_csv(), "空字符（NUL）"),
    ("企业名称\r\n".encode() + b"x" * 3000 + b"\r\n", "单元格内容超过上限 2000 个字符"),
    (b"a," * 201 + b"\r\n", "文件列数超过上限 200 列"),
], ids=["million-columns", "nul", "long-cell", "201-columns"])
def test_a_hostile_csv_is_refused_by_the_white_list_reader(data, message):
    refused = _refused_within_memory(read_grid, data, "名单.csv")
    assert message in refused
    assert "x" * 40 not in refused


def test_the_row_limit_counts_real_rows_and_is_a_setting():
    rows = [["企业名称"]] + [[f"企业{i}"] for i in range(60)]
    limits = SheetLimits(max_rows=50)
    for data, name in ((xlsx(rows), "名单.xlsx"), ("\r\n".join(r[0] for r in rows).encode(), "名单.csv")):
        with pytest.raises(DomainError, match="文件行数超过上限 50 行"):
            read_grid(data, name, limits=limits)
        assert len(read_grid(data, name, limits=SheetLimits(max_rows=61)).rows) == 61


def test_a_dimension_over_the_column_or_cell_limits_is_refused():
    with pytest.raises(DomainError, match="文件列数超过上限 200 列"):
        check_xlsx(build_xlsx(sheet("A1:GT10", ONE_CELL)))
    with pytest.raises(DomainError, match="超过上限 4000000 个单元格"):
        check_xlsx(build_xlsx(sheet("A1:GR199999", ONE_CELL)))
    check_xlsx(build_xlsx(sheet("A1:GR10", ONE_CELL)))


def test_a_part_larger_than_it_declares_is_refused():
    data = bytearray(build_xlsx(sheet("A1", ONE_CELL)))
    book = zipfile.ZipFile(io.BytesIO(bytes(data)))
    assert book.getinfo("xl/worksheets/sheet1.xml").file_size > 10
    # the central directory header (46 bytes before the name) holds the uncompressed size at offset 24
    position = data.find(b"xl/worksheets/sheet1.xml", book.start_dir) - 46
    assert data[position:position + 4] == b"PK\x01\x02"
    data[position + 24:position + 28] = (10).to_bytes(4, "little")
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml").file_size == 10
    with pytest.raises(DomainError, match="实际大小与声明不符"):
        check_xlsx(bytes(data))


def test_a_quoted_cell_is_cut_short():
    assert quote("x" * 100) == "x" * 30 + "…"
    assert quote("短") == "短"


def test_a_text_figure_is_quoted_short_in_the_monthly_upload(bank):
    book = load_workbook(io.BytesIO(report_xlsx.template_xlsx(bank, date(2022, 3, 1))))
    book[report_xlsx.TEMPLATE_SHEET]["C5"] = "巨" * 1500
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(UploadRefused) as caught:
        report_xlsx.parse_xlsx(out.getvalue(), bank, date(2022, 3, 1))
    message = caught.value.message
    assert "巨" * 30 + "…" in message and "巨" * 31 not in message


# The same files through the pages: a clear 422 and the app still answers ----------------------------------------

def _import(client, data, filename, worker):
    """Upload; the check job (run by the test's worker) refuses the file; its page says why (422)."""
    response = client.post("/whitelists/import", data={"kind": "above_scale", "batch": "2023", "sheet": "",
                                                       "file": (io.BytesIO(data), filename)},
                           content_type="multipart/form-data")
    if response.status_code != 302:
        return response
    worker.wait()
    return client.get(response.headers["Location"])


@pytest.mark.parametrize("case", ["dimension", "long-string", "huge-shared-string"])
def test_the_import_page_refuses_a_hostile_xlsx(request, as_role, users, case, worker):
    data, message = _hostile(request, case)
    client = as_role("district")
    response = _import(client, data, "名单.xlsx", worker)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert client.get("/whitelists/import").status_code == 200


@pytest.mark.parametrize("data, message", [(many_columns_csv(), "文件列数超过上限 200 列"),
                                           (nul_csv(), "空字符（NUL）")], ids=["million-columns", "nul"])
def test_the_import_page_refuses_a_hostile_csv(as_role, users, data, message, worker):
    client = as_role("district")
    response = _import(client, data, "名单.csv", worker)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html and "列999999" not in html


def test_the_import_page_takes_the_row_limit_from_the_settings(app, as_role, users, worker):
    app.config["SHEET_MAX_ROWS"] = 5
    rows = [["企业名称", "统一社会信用代码"]] + [[f"某某{i}有限公司", ""] for i in range(6)]
    response = _import(as_role("district"), xlsx(rows), "名单.xlsx", worker)
    assert response.status_code == 422 and "文件行数超过上限 5 行" in response.get_data(as_text=True)


@pytest.mark.parametrize("case", ["dimension", "long-string", "huge-shared-string"])
def test_the_monthly_upload_page_refuses_a_hostile_xlsx(request, as_role, users, case):
    data, message = _hostile(request, case)
    client = as_role("bank_admin")
    response = client.post("/reports/upload", data={"month": "2022-03", "note": "",
                                                     "file": (io.BytesIO(data), "r.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert client.get("/reports/submit?month=2022-03").status_code == 200


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(app, as_role, users):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = _import(as_role("district"), b"a," * (1024 * 1024), "名单.csv", None)
    assert response.status_code == 413 and "文件过大" in response.get_data(as_text=True)


def _big_rows(n: int, extra: bytes = b"", at: int | None = None) -> bytes:
    """n rows of three inline-string cells (over FAST_PART_BYTES from ~6,000 rows); `extra` goes in row `at`."""
    parts = []
    for r in range(1, n + 1):
        cells = b"".join(b'<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>' % (col, r, "枣庄某某有限公司".encode())
                         for col in (b"A", b"B", b"C"))
        parts.append(b'<row r="%d">%s%s</row>' % (r, cells, extra if r == at else b""))
    return b"".join(parts)


def test_a_large_plain_sheet_is_scanned_fast_and_read():
    from matchmaker.domain.core import sheets

    rows = _big_rows(8000)
    assert len(rows) > sheets.FAST_PART_BYTES
    data = build_xlsx(sheet("A1:C8000", rows))
    check_xlsx(data)
    assert len(read_grid(data, "名单.xlsx", limits=SheetLimits(max_rows=8000)).rows) == 8000


@pytest.mark.parametrize("extra, message", [
    (b'<c r="D1048576"><v>1</v></c>', "文件行数超过上限 200000 行"),              # a cell far below, in row 5000
    (b'<c r="XFD1"><v>1</v></c>', "文件列数超过上限 200 列"),
    (b'<c r="D5000" t="inlineStr"><is><t>' + b"x" * 3000 + b"</t></is></c>", "单元格内容超过上限 2000 个字符"),
    (b'<c r="D5000" t="inlineStr"><is>' + b"<r><t>xxxxxxxxxx</t></r>" * 300 + b"</is></c>", "单元格内容超过上限"),
    (b'<c r="D5000"/><c><v>1</v></c>' * 1 + b'<c r="D1048576"><v>1</v></c>', "文件行数超过上限 200000 行"),
], ids=["deep-row", "wide-column", "long-cell", "long-rich-cell", "cell-without-ref"])
def test_a_large_sheet_hiding_something_far_in_is_refused(extra, message):
    data = build_xlsx(sheet("A1:C8000", _big_rows(8000, extra, at=5000)))
    with pytest.raises(DomainError) as caught:
        check_xlsx(data)
    assert message in caught.value.message and "x" * 40 not in caught.value.message


def test_a_large_sheet_written_with_a_namespace_prefix_is_checked_exactly():
    rows = _big_rows(8000).replace(b"<row", b"<x:row").replace(b"</row>", b"</x:row>") \
        .replace(b"<c ", b"<x:c ").replace(b"</c>", b"</x:c>")
    head = SHEET_HEAD.replace(b"<worksheet ", b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/'
                                             b'spreadsheetml/2006/main" ')
    lying = rows + b'<x:row r="300000"><x:c r="A300000"><v>1</v></x:c></x:row>'
    for body, refused in ((rows, False), (lying, True)):
        data = build_xlsx([head, b"<sheetData>", body, b"</sheetData></x:worksheet>"])
        if refused:
            with pytest.raises(DomainError, match="文件行数超过上限 200000 行"):
                check_xlsx(data)
        else:
            check_xlsx(data)


def _fast_scan(data: bytes) -> None:
    """The sheet part through the fast scanner alone: raises sheets._Unusual where it would hand the part over."""
    from matchmaker.domain.core import sheets

    with zipfile.ZipFile(io.BytesIO(data)) as book:
        part = book.read("xl/worksheets/sheet1.xml")
    scanner = sheets._FastScanner("xl/worksheets/sheet1.xml", SheetLimits(), strings=False)
    for start in range(0, len(part), sheets.CHUNK):
        scanner.feed(part[start:start + sheets.CHUNK])
    scanner.feed(b"", final=True)


def test_page_breaks_after_the_rows_keep_a_large_sheet_on_the_fast_scan():
    breaks = (b'</sheetData><rowBreaks count="1" manualBreakCount="1"><brk id="40" max="16383" man="1"/></rowBreaks>'
              b"</worksheet>")
    data = build_xlsx([*sheet("A1:C8000", _big_rows(8000))[:-1], breaks])
    _fast_scan(data)
    check_xlsx(data)


@pytest.mark.parametrize("odd", [
    b"<!-- a comment -->",                                          # no "<!" on the fast scan
    b'<c r="D5000"/><c><v>1</v></c>',                               # a cell without its reference
    b'<c s="1" r="D5000"><v>1</v></c>',                             # the reference not first
    b'<c\tr="D5000"><v>1</v></c>',
], ids=["comment", "cell-without-ref", "ref-not-first", "tab"])
def test_anything_but_the_plain_form_goes_to_the_exact_scanner(odd):
    from matchmaker.domain.core import sheets

    data = build_xlsx(sheet("A1:D8000", _big_rows(8000, odd, at=5000)))
    with pytest.raises(sheets._Unusual):
        _fast_scan(data)
    check_xlsx(data)  # and the exact scanner passes it: nothing in it is over a limit


def test_a_long_text_cut_by_lookalike_tags_is_still_measured_whole():
    """Tags that start like a row (<rowBreaks/>) inside a cell do not cut the span the fast scan measures."""
    text = (b"x" * 900 + b"<rowBreaks/>") * 3
    data = build_xlsx(sheet("A1:D8000", _big_rows(8000, b'<c r="D5000" t="inlineStr"><is><t>' + text
                                                  + b"</t></is></c>", at=5000)))
    with pytest.raises(DomainError) as caught:
        check_xlsx(data, SheetLimits(max_cell_chars=2000))
    assert "单元格内容超过上限 2000 个字符" in caught.value.message


@pytest.mark.parametrize("crafted", [
    b'<c r="D5000" r="D300000"><v>1</v></c>',                      # calamine would take the last reference
    b"<1:c r=\"KN5000\"><v>1</v></1:c>",                           # a prefix calamine reads past
    b'<c r="D5000"><v>1</c>',                                        # tags that do not match
], ids=["second-ref", "digit-prefix", "broken"])
def test_a_large_sheet_that_is_not_well_formed_is_refused_by_the_check(crafted):
    """The fast scan's expressions read XML that expat has parsed: what calamine would read leniently (and place
    far outside the limits) never reaches it."""
    data = build_xlsx(sheet("A1:D8000", _big_rows(8000, crafted, at=5000)))
    with pytest.raises(DomainError) as caught:
        check_xlsx(data)
    assert "文件已损坏" in caught.value.message


def test_cells_written_without_rows_are_measured_from_the_sheet_data():
    """No <row> at all: the span from <sheetData> to the end is measured, so a long text cannot hide there."""
    cells = b"".join(b'<c r="A%d" t="inlineStr"><is><t>%s</t></is></c>' % (r, "枣庄某某有限公司".encode())
                     for r in range(1, 30000)) + b'<c r="B1" t="inlineStr"><is><t>' + b"x" * 3000 + b"</t></is></c>"
    data = build_xlsx(sheet("A1:B29999", cells))
    with pytest.raises(DomainError) as caught:
        check_xlsx(data)
    assert "单元格内容超过上限 2000 个字符" in caught.value.message


def test_the_well_formedness_parse_runs_beside_and_stops_with_the_scan(monkeypatch):
    """A large part's expat parse runs in a child process; a scan refused half-way leaves no child behind; where
    no child can start, expat runs in this process and refuses the same broken part."""
    from matchmaker.domain.core import sheets

    started = []
    real = sheets.subprocess.Popen

    def popen(*args, **kwargs):
        started.append(real(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(sheets.subprocess, "Popen", popen)
    far = build_xlsx(sheet("A1:D8000", _big_rows(8000, b'<c r="D1048576"><v>1</v></c>', at=5000)))
    with pytest.raises(DomainError, match="文件行数超过上限"):
        check_xlsx(far)
    assert started and all(child.returncode is not None for child in started)

    broken = build_xlsx(sheet("A1:D8000", _big_rows(8000, b'<c r="D5000"><v>1</c>', at=5000)))

    def no_process(*args, **kwargs):
        raise OSError("no processes here")

    monkeypatch.setattr(sheets.subprocess, "Popen", no_process)
    with pytest.raises(DomainError, match="文件已损坏"):
        check_xlsx(broken)

"""Checking a white-list file: find the header row (under any title rows), map Chinese headers to fields
(known synonyms, then mappings a user chose before), and check every row. Errors name the row and the field;
a file with any error is refused whole."""
from __future__ import annotations

import functools
import pickle
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import repeat
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Firm, Township, WhiteListEntry
from ...models.firms import INDUSTRIES
from ...models.whitelists import PROJECT_KINDS, WHITELIST_KINDS
from ...text import N_
from ..core import settings
from ..core.errors import DomainError
from ..core.limits import max_length
from ..core.sheets import DEFAULT_LIMITS, SheetLimits
from ..core.translate import translator
from ..firms import uscc as uscc_rules
from ..firms.entity_resolution import name_keys, nfkc_joined, normalise, normalise_many
from . import kinds as list_kinds
from .files import Grid, read_grid

FIELDS = {
    "name": N_("企业名称"),
    "uscc": N_("统一社会信用代码"),
    "township": N_("所属镇街"),
    "industry": N_("所属行业"),
    "project_name": N_("项目名称"),
    "investment_wan": N_("总投资（万元）"),
    "remark": N_("备注"),
    **list_kinds.EXTRA_FIELDS,
}
EXTRA, IGNORE = "extra", "ignore"
MAPPING_CHOICES = {**FIELDS, EXTRA: N_("保留为附加信息"), IGNORE: N_("忽略此列")}
SYNONYMS = {
    "name": ["企业名称", "单位名称", "公司名称", "项目单位", "企业", "单位", "公司", "企业全称", "单位全称", "企业单位名称",
             "项目业主", "业主单位", "建设单位", "项目建设单位", "申报单位", "实施主体", "项目实施主体", "项目主体",
             "承担单位", "项目承担单位", "主体名称", "经营主体", "合作社名称", "纳税人名称", "市场主体名称"],
    "uscc": ["统一社会信用代码", "信用代码", "社会信用代码", "统一代码", "统一社会信用代码证号", "纳税人识别号", "税号",
             "企业信用代码", "统一社会信用代码或注册号"],
    "township": ["所属镇街", "镇街", "街道", "镇", "所属镇", "所属街道", "镇街名称", "所在镇街", "属地镇街", "乡镇",
                 "乡镇街道", "镇街道", "所属乡镇", "属地", "所在地", "所在镇"],
    "industry": ["行业", "所属行业", "产业", "行业类别", "所属产业", "行业分类", "产业类别", "主导产业", "行业门类"],
    "project_name": ["项目名称", "项目", "项目全称", "建设项目", "技改项目名称", "项目名", "建设项目名称"],
    "investment_wan": ["总投资", "计划总投资", "投资额", "项目总投资", "总投资额", "计划投资", "投资总额", "投资规模",
                       "计划总投资额", "项目投资"],
    "remark": ["备注", "说明", "附注"],
    IGNORE: ["序号", "编号", "序列", "排序"],
    **list_kinds.EXTRA_SYNONYMS,
}
SETTING_KEY = "whitelist_header_map"
FOOTER_WORDS = ("合计", "总计", "小计", "填表人", "制表人", "审核人", "注：", "注:", "说明：")
HEADER_SCAN_ROWS = 20
MAX_ERRORS = 200
_HEADER_DROP = re.compile(r"[\s*※:：]+")


def header_text(value) -> str:
    """A header as compared: half-width, no spaces, markers or line breaks, brackets unified."""
    text = unicodedata.normalize("NFKC", str(value or "")).replace("【", "(").replace("】", ")")
    return _HEADER_DROP.sub("", text)


def _base_and_factor(header: str) -> tuple[str, Decimal]:
    """'总投资(亿元)' -> ('总投资', 10000): the header without its unit and the factor to 万元."""
    unit = "".join(re.findall(r"\((.*?)\)", header))
    base = re.sub(r"\(.*?\)", "", header)
    if "亿" in unit or base.endswith("亿元"):
        factor = Decimal(10000)
    elif "万" in unit or base.endswith("万元"):
        factor = Decimal(1)
    elif unit.endswith("元") or base.endswith("元"):
        factor = Decimal("0.0001")
    else:
        factor = Decimal(1)
    return re.sub(r"[(（]?(亿元|万元|元)[)）]?$", "", base), factor


_SYNONYM_INDEX = {word: fld for fld, words in SYNONYMS.items() for word in words}


def known_field(header: str, remembered: dict[str, str]) -> str | None:
    """The field a header means, or None if nobody has said."""
    text = header_text(header)
    if not text:
        return None
    if text in remembered:
        return remembered[text]
    base, _ = _base_and_factor(text)
    if base in _SYNONYM_INDEX:
        return _SYNONYM_INDEX[base]
    if "信用代码" in base:
        return "uscc"
    if base.endswith("投资") or "投资额" in base:
        return "investment_wan"
    return None


@dataclass(eq=False)
class Column:
    index: int
    header: str
    field: str | None       # None: unknown, needs a mapping
    factor: Decimal = Decimal(1)


@dataclass
class RowError:
    """One error of a file. `message` is a Chinese msgid (N_) whose named placeholders `params` fill: stored so
    (`stored()`), an import checked in Chinese reads in English later, its page and its list of errors alike.
    Params that are text from the file are user data; `fields` (field codes) names columns, translated."""

    row: int | None
    field: str | None
    message: str
    value: str = ""   # the cell as written, for the downloadable list of errors
    params: dict = field(default_factory=dict)

    @property
    def column(self) -> str:
        """The column's name in Chinese (`column_in` for another language)."""
        return FIELDS.get(self.field or "", "")

    def column_in(self, tr) -> str:
        return tr(FIELDS[self.field]) if self.field in FIELDS else ""

    def reason(self, tr=None, wrap=None) -> str:
        """The reason in the language of `tr` (a translate.translator, or a page's); `wrap` marks user data."""
        tr = tr or translator(None)
        params = {}
        for key, value in self.params.items():
            if key == "fields":
                params[key] = tr(N_("”“")).join(tr(FIELDS.get(f, f)) for f in value)
            elif key in NUMBER_PARAMS or wrap is None or not needs_mark(value):
                params[key] = value
            else:
                params[key] = wrap(value)
        return tr(self.message, **params)

    def text(self, tr=None, wrap=None) -> str:
        """The whole line: where (row, column) and why."""
        tr = tr or translator(None)
        reason, column = self.reason(tr, wrap), self.column_in(tr)
        if self.row and column:
            return tr(N_("第%(row)s行 %(column)s：%(reason)s"), row=self.row, column=column, reason=reason)
        if self.row:
            return tr(N_("第%(row)s行 %(reason)s"), row=self.row, reason=reason)
        if column:
            return tr(N_("%(column)s：%(reason)s"), column=column, reason=reason)
        return reason

    def __str__(self) -> str:
        return self.text()

    def stored(self) -> dict:
        """What an import keeps of it (JSON): the msgid and its values, and the Chinese text for the CLI and logs."""
        return {"row": self.row, "field": self.field, "column": self.column, "value": self.value,
                "msgid": self.message, "params": self.params, "message": str(self)}

    @classmethod
    def of(cls, exc: DomainError, row: int | None = None, field: str | None = "") -> "RowError":
        """A domain error (a file that cannot be read, a batch label refused) as an error of the file."""
        return cls(row, exc.field if field == "" else field, exc.msgid, params=dict(exc.params))

    @classmethod
    def from_stored(cls, data: dict) -> "RowError":
        """Back from `stored()`; an error stored before msgids were kept comes back as its Chinese text."""
        if "msgid" in data:
            return cls(data.get("row"), data.get("field"), data["msgid"], data.get("value") or "",
                       data.get("params") or {})
        return cls(None, None, data.get("message", ""), data.get("value") or "")


def needs_mark(value) -> bool:
    """Whether a value from the file must be marked as user data on a page: text with words in it. Codes and
    numbers (2023, 2023-06, a credit code) read the same in every language and stay as they are."""
    return isinstance(value, str) and (not value.isascii() or any(c.islower() for c in value))


# placeholders that hold numbers (row numbers, counts): the rest are text from the file, user data on a page
NUMBER_PARAMS = frozenset({"row", "rows", "first", "last", "limit", "length", "header_row", "n", "mb"})


# Text that goes into a column is held to that column's length (a firm's name into Firm.name); never cut.
TEXT_LIMITS = {"name": min(max_length(Firm.name), max_length(WhiteListEntry.written_name)),
               "project_name": max_length(WhiteListEntry.project_name),
               "remark": 1000}


@dataclass
class CheckedFile:
    kind: str
    sheet: str
    header_row: int                   # Excel row number
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    samples: dict[int, list[str]] = field(default_factory=dict)   # column index -> first values (mapping screen)
    spool: "RowSpool | None" = None   # rows go there instead of into `rows` (the import job: a file of any size)
    row_count: int = 0

    def add_many(self, rows: list[dict]) -> None:
        self.row_count += len(rows)
        if self.spool is not None:
            self.spool.add_many(rows)
        else:
            self.rows.extend(rows)

    @property
    def unknown_headers(self) -> list[str]:
        return [c.header for c in self.columns if c.field is None]


def remembered_mappings(session: Session) -> dict[str, str]:
    return dict(settings.get(session, SETTING_KEY) or {})


def remember_mappings(session: Session, mapping: dict[str, str]) -> None:
    """Store header -> field choices so the next file with the same headers maps by itself."""
    for header, fld in mapping.items():
        if fld not in MAPPING_CHOICES:
            raise DomainError("“%(header)s”的对应字段不正确", field="mapping", header=header)
    current = remembered_mappings(session)
    current.update({header_text(h): f for h, f in mapping.items() if header_text(h)})
    settings.put(session, SETTING_KEY, current)


def _cells(row) -> list:
    return list(row) if row else []


def find_header(rows: list[list], remembered: dict[str, str]) -> int | None:
    """Index of the header row among the first rows: most known headers; else the first wide text row."""
    best, best_count = None, 0
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        fields = {known_field(v, remembered) for v in _cells(row) if isinstance(v, str)}
        fields.discard(None)
        fields.discard(IGNORE)
        count = len(fields) + (1 if "name" in fields else 0)
        if count > best_count and (len(fields) >= 2 or "name" in fields):
            best, best_count = i, count
    if best is not None:
        return best
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        texts = [v for v in _cells(row) if isinstance(v, str) and v.strip()]
        following = rows[i + 1] if i + 1 < len(rows) else []
        if len(texts) >= 2 and len(texts) == sum(1 for v in _cells(row) if _text(v)) and any(_text(v) for v in following):
            return i
    return None


def _text(value) -> str:
    """A cell as text: integral floats without '.0', dates as ISO, everything stripped."""
    if type(value) is str:  # most cells: text
        return unicodedata.normalize("NFKC", value).strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"  # a cell's value, kept as the (Chinese) file would write it
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()[:10]
    return unicodedata.normalize("NFKC", str(value)).strip() if isinstance(value, str) else str(value).strip()


def build_columns(header_cells: list, remembered: dict[str, str]) -> list[Column]:
    columns, taken = [], set()
    for index, value in enumerate(header_cells):
        header = _text(value)
        if not header:
            continue
        fld = known_field(header, remembered)
        _, factor = _base_and_factor(header_text(header))
        if fld in taken and fld not in (EXTRA, IGNORE):
            fld = EXTRA  # a second column for the same field is kept as written, not merged
        if fld:
            taken.add(fld)
        columns.append(Column(index, header, fld, factor))
    return columns


def has_header_for(remembered: dict[str, str]):
    def check(rows: list[list]) -> bool:
        index = find_header(rows, remembered)
        return index is not None and any(
            known_field(v, remembered) == "name" for v in _cells(rows[index]) if isinstance(v, str))
    return check


class Townships:
    """Match a township as written (中心街, 中心街街道, 孟庄) to one of the district's townships."""

    def __init__(self, session: Session):
        self.by_name: dict[str, int] = {}
        for t in session.scalars(select(Township)):
            self.by_name[t.name] = t.id
            for suffix in ("街道办事处", "街道", "镇"):
                if t.name.endswith(suffix):
                    self.by_name.setdefault(t.name[: -len(suffix)], t.id)
        self.cache: dict[str, int | None] = {}

    def find(self, text: str) -> int | None:
        if text not in self.cache:
            self.cache[text] = self._find(text)
        return self.cache[text]

    def _find(self, text: str) -> int | None:
        text = re.sub(r"\s+", "", text).removeprefix("市中区").removesuffix("办事处")
        if text in self.by_name:
            return self.by_name[text]
        for suffix in ("街道", "镇", "街"):
            if text.endswith(suffix) and text[: -len(suffix)] in self.by_name:
                return self.by_name[text[: -len(suffix)]]
        return None


@functools.lru_cache(maxsize=1024)
def industry_code(text: str) -> str | None:
    """The industry code a written industry means (code, label or a label inside the text), or None."""
    text = (text or "").strip()
    if not text:
        return None
    if text in INDUSTRIES:
        return text
    for code, label in INDUSTRIES.items():
        if text == label or label in text or (len(text) >= 2 and text in label):
            return code
    return None


def parse_amount(text: str) -> Decimal:
    """'1,200.5' / '1200万元' / '1.2亿元' -> Decimal 万元; raises ValueError when it is not a number."""
    cleaned = text.replace(",", "").replace("，", "").replace(" ", "")
    factor = Decimal(1)
    if cleaned.endswith("亿元") or cleaned.endswith("亿"):
        cleaned, factor = cleaned.rstrip("元").removesuffix("亿"), Decimal(10000)
    elif cleaned.endswith("万元") or cleaned.endswith("万"):
        cleaned = cleaned.rstrip("元").removesuffix("万")
    try:
        value = Decimal(cleaned) * factor
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


def _merged_errors(grid: Grid, header_index: int, columns: list[Column]) -> list[RowError]:
    by_index = {c.index: c for c in columns}
    errors = []
    for r1, c1, r2, c2 in grid.merged:
        if r2 < header_index:
            continue  # a merged title above the header is fine
        col = next((by_index[c] for c in range(c1, c2 + 1) if c in by_index), None)
        rows = f"{r1 + 1}–{r2 + 1}" if r2 > r1 else str(r1 + 1)
        if col:
            errors.append(RowError(None, None, N_("第%(rows)s行“%(column)s”列有合并单元格：请取消合并、在每一行填写完整后再导入"),
                                   params={"rows": rows, "column": col.header}))
        else:
            errors.append(RowError(None, None, N_("第%(rows)s行表格中有合并单元格：请取消合并、在每一行填写完整后再导入"),
                                   params={"rows": rows}))
    return errors


SPOOL_CHUNK = 5000


class RowSpool:
    """Checked rows kept in a temporary file in chunks (pickled), read back chunk by chunk: the import job holds
    one chunk of a 250,000-row file at a time, not all of it."""

    def __init__(self, chunk: int | None = None):
        self.file = tempfile.TemporaryFile()
        self.chunk, self.pending, self.count = chunk or SPOOL_CHUNK, [], 0

    def add_many(self, rows: list[dict]) -> None:
        """The rows in order; the file gets them `chunk` at a time."""
        self.count += len(rows)
        start = 0
        while start < len(rows):
            take = self.chunk - len(self.pending)
            self.pending.extend(rows[start:start + take])
            start += take
            if len(self.pending) >= self.chunk:
                self._flush()

    def _flush(self) -> None:
        if self.pending:
            pickle.dump(self.pending, self.file, protocol=pickle.HIGHEST_PROTOCOL)
            self.pending = []

    def chunks(self) -> Iterator[list[dict]]:
        self._flush()
        self.file.seek(0)
        while True:
            try:
                yield pickle.load(self.file)
            except EOFError:
                return

    def close(self) -> None:
        self.file.close()


def check_grid(session: Session, grid: Grid, kind: str, remembered: dict[str, str] | None = None,
               progress=None, max_errors: int | None = MAX_ERRORS, spool: RowSpool | None = None) -> CheckedFile:
    """Locate the header, map columns and check every row (nothing is written). `progress(done, total)` is
    called as rows are checked; `max_errors=None` keeps every error (the import job lists them all)."""
    if kind not in WHITELIST_KINDS:
        raise DomainError("请选择名单类别", field="kind")
    remembered = remembered if remembered is not None else remembered_mappings(session)
    head = grid.head(HEADER_SCAN_ROWS + 8)
    header_index = find_header(head, remembered)
    if header_index is None:
        sheets = "、".join(grid.sheets)
        if grid.sheet and len(grid.sheets) > 1:
            raise DomainError("工作表“%(sheet)s”中没有找到表头行：应有“企业名称”“统一社会信用代码”等列（本工作簿的工作表：%(sheets)s）",
                              field="sheet", sheet=grid.sheet, sheets=sheets)
        if grid.sheet:
            raise DomainError("工作表“%(sheet)s”中没有找到表头行：应有“企业名称”“统一社会信用代码”等列", field="sheet",
                              sheet=grid.sheet)
        raise DomainError("文件中没有找到表头行：应有“企业名称”“统一社会信用代码”等列", field="sheet")
    columns = build_columns(_cells(head[header_index]), remembered)
    checked = CheckedFile(kind, grid.sheet, header_index + 1, columns, spool=spool)
    if checked.unknown_headers:
        body = [_cells(r) for r in head[header_index + 1: header_index + 8] if any(_text(v) for v in _cells(r))]
        checked.samples = {c.index: [_text(r[c.index]) for r in body[:3] if c.index < len(r)] for c in columns}
        return checked  # the caller asks for a mapping first
    fields = {c.field for c in columns}
    required = ["name"] + (["project_name"] if kind in PROJECT_KINDS else []) + list_kinds.required_fields(kind)
    missing = [f for f in required if f not in fields]
    if missing:
        checked.errors.append(RowError(checked.header_row, None, N_("表头中缺少“%(fields)s”列"),
                                       params={"fields": missing}))
        return checked
    checked.errors.extend(_merged_errors(grid, header_index, columns))
    del head
    _check_rows(session, grid, header_index, checked, progress)
    if max_errors is not None:
        del checked.errors[max_errors:]
    return checked


def _check_rows(session: Session, grid: Grid, header_index: int, checked: CheckedFile, progress=None) -> None:
    townships = Townships(session)
    project_list = checked.kind in PROJECT_KINDS
    seen_uscc: dict[int, int] = {}
    seen_key: dict[int, int] = {}
    total = grid.height - header_index - 1
    body = grid.iter_rows()
    for _ in range(header_index + 1):
        next(body, None)
    # the columns by position in `checked.columns`: a row's cells are taken once, as a list in that order
    columns = checked.columns
    indexes = [c.index for c in columns]
    width = max(indexes, default=-1) + 1
    keyed = [(pos, c.field) for pos, c in enumerate(columns) if c.field in FIELDS]
    kind_fields = set(list_kinds.EXTRA_FIELDS) & ({f for _, f in keyed} | set(list_kinds.required_fields(checked.kind)))
    block = _Block(columns, keyed, project_list, townships,
                   list_kinds.row_checker(session, checked.kind) if kind_fields else None)
    first_row = header_index + 2
    pending: list[tuple[int, list]] = []
    for offset, cells in enumerate(body):  # row by row: a 250,000-row sheet is never held whole
        if offset % DUPLICATE_BLOCK == 0:
            _check_duplicates(block.check(pending), project_list, seen_uscc, seen_key, checked)
            pending = []
            if progress is not None:
                progress(offset, total)
        if not cells:
            cells = []
        if len(cells) >= width:
            pending.append((first_row + offset, [cells[i] for i in indexes]))
        else:
            pending.append((first_row + offset, [cells[i] if i < len(cells) else None for i in indexes]))
    _check_duplicates(block.check(pending), project_list, seen_uscc, seen_key, checked)
    if not checked.row_count and not checked.errors:
        checked.errors.append(RowError(None, None, N_("文件为空：表头（第%(header_row)s行）下面没有数据行"),
                                       params={"header_row": checked.header_row}))


def _texts(column: tuple) -> list[str]:
    """`_text` of each cell of a column. A column all of text (most are) in a few passes over it joined one cell a
    line (`nfkc_joined`); any other through `_text` cell by cell."""
    joined = nfkc_joined(column) if set(map(type, column)) == {str} else None
    if joined is not None:
        lines = joined.split("\n")
        if len(lines) == len(column):
            return list(map(str.strip, lines))
    return list(map(_text, column))


class _Block:
    """Checks a block of rows: their cells made text a column at a time, their codes checked together, then each
    row's fields. `check` gives the block's (row, errors) for `_check_duplicates`."""

    def __init__(self, columns: list[Column], keyed: list[tuple[int, str]], project_list: bool,
                 townships: Townships, kind_check):
        self.keyed, self.project_list, self.townships, self.kind_check = keyed, project_list, townships, kind_check
        self.extras = [(pos, c.header) for pos, c in enumerate(columns) if c.field == EXTRA]
        self.typed = [(pos, c) for pos, c in enumerate(columns) if c.field in ("uscc", "investment_wan")]
        self.code_at = next((pos for pos, fld in keyed if fld == "uscc"), None)

    def check(self, pending: list[tuple[int, list]]) -> list[tuple[dict, list[RowError]]]:
        if not pending:
            return []
        shown_rows = list(zip(*map(_texts, zip(*[values for _, values in pending]))))
        code_ok = (uscc_rules.valid_as_written([shown[self.code_at] for shown in shown_rows])
                   if self.code_at is not None else repeat(False))
        keyed, extras, typed, kind_check = self.keyed, self.extras, self.typed, self.kind_check
        out = []
        for (row_no, values), shown, ok in zip(pending, shown_rows, code_ok):
            if not any(shown):
                continue
            texts = {fld: shown[pos] for pos, fld in keyed}
            name = texts.get("name", "")
            if name.startswith(FOOTER_WORDS) or (not name and any(t.startswith(FOOTER_WORDS) for t in shown)):
                continue
            row = {"row": row_no, "name": name, "uscc": "", "township_id": None, "industry": None,
                   "project_name": texts.get("project_name", ""), "investment_wan": None,
                   "remark": texts.get("remark", ""),
                   "extra": {header: shown[pos] for pos, header in extras if shown[pos]}}
            errors: list[RowError] = []
            _check_fields(row, [(c, values[pos], shown[pos]) for pos, c in typed], texts, self.project_list,
                          self.townships, errors, ok)
            if kind_check is not None:
                found = kind_check(row, texts)
                if found:
                    errors.extend(RowError(*error) for error in found)
            out.append((row, errors))
        return out


def _check_fields(row: dict, typed: list, texts: dict, project_list: bool, townships: "Townships",
                  errors: list[RowError], code_ok: bool = False) -> None:
    """Fill the row's typed values from its cells, adding an error for each value that is not right. `typed`:
    (column, value, text) of the code and amount columns, in column order; `code_ok`: the code's text is known
    valid as written (`uscc.valid_as_written`)."""
    row_no = row["row"]
    if not row["name"]:
        errors.append(RowError(row_no, "name", N_("不能为空")))
    for key, limit in TEXT_LIMITS.items():
        if len(row[key]) > limit:
            errors.append(RowError(row_no, key, N_("不能超过%(limit)s字（现为%(length)s字）"), row[key][:200],
                                   {"limit": limit, "length": len(row[key])}))
    if project_list and not row["project_name"]:
        errors.append(RowError(row_no, "project_name", N_("不能为空")))
    for column, value, text in typed:
        if column.field == "uscc" and isinstance(value, float) and text:
            errors.append(RowError(row_no, "uscc", N_("被存成了数字（%(text)s），可能已丢失位数：请把该列设为文本格式"), text,
                                   {"text": text}))
            texts["uscc"] = ""
            code_ok = False
        if column.field == "investment_wan" and text:
            try:
                row["investment_wan"] = _amount_text(type(value), value, text, column.factor)
            except (ValueError, InvalidOperation):
                errors.append(RowError(row_no, "investment_wan", N_("“%(text)s”不是数字（单位：万元）"), text,
                                       {"text": text}))
    code = texts.get("uscc")
    if code_ok:
        row["uscc"] = code
    elif code:
        try:
            row["uscc"] = uscc_rules.validate(code)
        except uscc_rules.InvalidUSCC as exc:
            errors.append(RowError(row_no, "uscc", *uscc_reason(code, str(exc))))
    township = texts.get("township")
    if township:
        row["township_id"] = townships.find(township)
        if row["township_id"] is None:
            errors.append(RowError(row_no, "township", N_("“%(text)s”不是市中区的镇街"), township, {"text": township}))
    industry = texts.get("industry")
    if industry:
        row["industry"] = industry_code(industry)
        if row["industry"] is None:
            row["extra"][FIELDS["industry"]] = industry


_CENTS = Decimal("0.01")


@functools.lru_cache(maxsize=4096)
def _amount_text(kind: type, value, text: str, factor: Decimal) -> str:
    """An amount cell in 万元 as the preview shows it ("1000.00"); raises ValueError when it is not one. Cached:
    a list's amounts repeat (the cell's type is part of the key, so 1000 and 1000.0 are told apart)."""
    amount = (Decimal(repr(value)) if issubclass(kind, (int, float)) and kind is not bool
              else parse_amount(text)) * factor
    if amount < 0:
        raise ValueError(text)
    return str(amount.quantize(_CENTS))


# the reasons of domain/firms/uscc.py, said of the code as the file wrote it (matched on the Chinese text)
USCC_REASONS = (
    (re.compile(r"应为18位，当前为(?P<length>\d+)位"), N_("“%(text)s”应为18位，当前为%(length)s位")),
    (re.compile(r"含有不允许的字符：(?P<chars>.*?)（"), N_("“%(text)s”含有不允许的字符：%(chars)s（不使用 I、O、S、V、Z）")),
    (re.compile(r"行政区划码"), N_("“%(text)s”第3–8位应为行政区划码（数字）")),
    (re.compile(r"校验位"), N_("“%(text)s”校验位不正确，请核对后重新输入")),
)


def uscc_reason(text: str, reason: str) -> tuple[str, str, dict]:
    """(msgid, value, params) of a code the USCC rules refused with `reason`."""
    for pattern, msgid in USCC_REASONS:
        found = pattern.search(reason)
        if found:
            return msgid, text, {"text": text, **found.groupdict()}
    return N_("“%(text)s”不是有效的统一社会信用代码"), text, {"text": text}


def project_key(project_name: str) -> str:
    """Two project names that differ only in width, brackets or spacing are the same project."""
    return normalise(project_name)


DUPLICATE_BLOCK = 2000  # rows whose name keys are computed together


def _check_duplicates(block: list[tuple[dict, list[RowError]]], project_list: bool, seen_uscc: dict,
                      seen_key: dict, checked: CheckedFile) -> None:
    """The same firm (or, in a project list, the same project of a firm) may appear once per file. The keys of a
    block of rows are computed together (name_keys); the seen ones are kept as 64-bit hashes, so a 250,000-row
    file's are a few MB. The rows then go to `checked` with their errors, in file order."""
    if not block:
        return
    rows = [row for row, _ in block]
    projects = normalise_many([r["project_name"] for r in rows]) if project_list else [""] * len(rows)
    for (row, errors), project, key in zip(block, projects, name_keys([r["name"] for r in rows])):
        if errors:
            checked.errors.extend(errors)
        duplicate = None
        if row["uscc"]:
            first = seen_uscc.setdefault(hash((row["uscc"], project)), row["row"])
            if first != row["row"]:
                duplicate = RowError(row["row"], "uscc", N_("与第%(first)s行是同一企业的同一项目（信用代码相同）") if project_list
                                     else N_("与第%(first)s行是同一企业（信用代码相同）"), row["uscc"], {"first": first})
        if duplicate is None and row["name"]:
            first = seen_key.setdefault(hash((key, project)), row["row"])
            if first != row["row"]:
                duplicate = RowError(row["row"], "name", N_("与第%(first)s行是同一企业的同一项目（名称相同）") if project_list
                                     else N_("与第%(first)s行是同一企业（名称相同）"), row["name"], {"first": first})
        if duplicate is not None:
            checked.errors.append(duplicate)
    checked.add_many(rows)


def check_file(session: Session, data: bytes, filename: str, kind: str, sheet: str | None = None,
               mapping: dict[str, str] | None = None, limits: SheetLimits = DEFAULT_LIMITS) -> CheckedFile:
    """Read and check an uploaded file within `limits`; `mapping` adds header choices made on the mapping screen."""
    remembered = remembered_mappings(session)
    remembered.update({header_text(h): f for h, f in (mapping or {}).items()})
    grid = read_grid(data, filename, sheet or None, has_header_for(remembered), limits)
    return check_grid(session, grid, kind, remembered)

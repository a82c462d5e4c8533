"""The six white lists as the rest of the platform sees them: current batches, which lists a firm is on (for
routing and the firm's profile), list queries with filters for each role, export to .xlsx / CSV."""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import xlsxwriter
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, aliased

from ...models import FinancingRequest, Firm, Township, User
from ...models.firms import INDUSTRIES
from ...models.whitelists import GRADE_KINDS, PROJECT_KINDS, WHITELIST_KINDS, WhiteListBatch, WhiteListEntry
from ...text import N_
from ..core.translate import translator
from ..firms.records import search_clause

OPEN_REQUEST_STATES = ("submitted", "routed", "offered", "accepted", "unmatched")
VIEW_ROLES = ("district", "township", "bank_manager", "bank_admin")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def batches(session: Session, kind: str | None = None, active_only: bool = True) -> list[WhiteListBatch]:
    """Batches newest first (by label, which starts with the year)."""
    query = select(WhiteListBatch)
    if kind:
        query = query.where(WhiteListBatch.kind == kind)
    if active_only:
        query = query.where(WhiteListBatch.state == "active")
    return list(session.scalars(query.order_by(WhiteListBatch.kind, WhiteListBatch.label.desc(),
                                               WhiteListBatch.id.desc())))


def current_batches(session: Session) -> dict[str, WhiteListBatch]:
    """The newest active batch of each kind: the list as it stands."""
    current: dict[str, WhiteListBatch] = {}
    for batch in batches(session):
        current.setdefault(batch.kind, batch)
    return current


def whitelist_kinds_by_firm(session: Session, firm_ids: list[int] | None = None) -> dict[int, frozenset[str]]:
    """Kinds each firm is on in the current batch of each list (routing gives these firms priority)."""
    batch_ids = [b.id for b in current_batches(session).values() if b.kind not in GRADE_KINDS]
    if not batch_ids:
        return {}
    query = select(WhiteListEntry.firm_id, WhiteListEntry.kind).where(WhiteListEntry.batch_id.in_(batch_ids))
    if firm_ids is not None:
        if not firm_ids:
            return {}
        if len(firm_ids) <= 500:
            query = query.where(WhiteListEntry.firm_id.in_(firm_ids))
    wanted = set(firm_ids) if firm_ids is not None else None
    kinds: dict[int, set[str]] = {}
    for firm_id, kind in session.execute(query.distinct()):
        if wanted is None or firm_id in wanted:
            kinds.setdefault(firm_id, set()).add(kind)
    return {firm_id: frozenset(k) for firm_id, k in kinds.items()}


def entries_for_firm(session: Session, firm_id: int) -> list[WhiteListEntry]:
    """The firm's memberships in active batches, newest batch first (each has a `.label`)."""
    return list(session.scalars(
        select(WhiteListEntry).join(WhiteListBatch, WhiteListBatch.id == WhiteListEntry.batch_id)
        .where(WhiteListEntry.firm_id == firm_id, WhiteListBatch.state == "active")
        .order_by(WhiteListBatch.label.desc(), WhiteListEntry.kind, WhiteListEntry.id)))


@dataclass
class ListFilters:
    batch_id: int | None = None
    township_id: int | None = None
    industry: str = ""
    open_request: bool = False
    q: str = ""


def list_batch_id(session: Session, kind: str, filters: ListFilters) -> int:
    """The batch a list shows: the one chosen, else the current one (-1: none yet)."""
    if filters.batch_id is not None:
        return filters.batch_id
    current = current_batches(session).get(kind)
    return current.id if current else -1


def visible_entries(actor: User, kind: str, filters: ListFilters, session: Session) -> Select:
    """Entries of one list the actor may see (township: its own township's), filtered."""
    return _entries(select(WhiteListEntry), actor, kind, filters, session, firm=True)


def entry_count(actor: User, kind: str, filters: ListFilters, session: Session) -> int:
    """How many entries `visible_entries` lists. The firms are joined only when a filter reads them (every entry
    has its firm): counting a 20,000-entry list joined to 50,000 firms hashed every firm for each page view."""
    return session.scalar(_entries(select(func.count()).select_from(WhiteListEntry), actor, kind, filters, session,
                                   firm=False)) or 0


def _entries(query: Select, actor: User, kind: str, filters: ListFilters, session: Session, firm: bool) -> Select:
    """`query` over the entries of `visible_entries`; `firm`: join the firm even when no filter reads it."""
    batch_id = list_batch_id(session, kind, filters)
    clause = search_clause(filters.q)
    if firm or actor.role == "township" or filters.industry or filters.open_request or clause is not None:
        query = query.join(Firm, Firm.id == WhiteListEntry.firm_id)
    query = (query.join(WhiteListBatch, WhiteListBatch.id == WhiteListEntry.batch_id)
             .where(WhiteListEntry.kind == kind, WhiteListEntry.batch_id == batch_id,
                    WhiteListBatch.state == "active"))
    if actor.role == "township":
        query = query.where((WhiteListEntry.township_id == actor.township_id)
                            | (WhiteListEntry.township_id.is_(None) & (Firm.township_id == actor.township_id)))
    elif actor.role not in VIEW_ROLES:
        query = query.where(WhiteListEntry.id.is_(None))
    if filters.township_id:
        query = query.where(WhiteListEntry.township_id == filters.township_id)
    if filters.industry:
        query = query.where(Firm.industry == filters.industry)
    if filters.open_request:
        query = query.where(exists().where(FinancingRequest.firm_id == Firm.id,
                                           FinancingRequest.state.in_(OPEN_REQUEST_STATES)))
    if clause is not None:
        query = query.where(clause)
    return query


def neutralise(value):
    """A text cell that a spreadsheet would run as a formula (= + - @) is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_header(kind: str, locale: str | None = None) -> list[str]:
    """The columns of an export in `locale` (None: Chinese): the language of who downloads it."""
    tr = translator(locale)
    project = kind in PROJECT_KINDS
    names = [N_("序号"), N_("企业名称"), N_("统一社会信用代码")] + ([N_("项目名称"), N_("总投资（万元）")] if project else []) \
        + [N_("所属镇街"), N_("所属行业"), N_("名单"), N_("批次"), N_("备注")]
    return [tr(name) for name in names]


def export_title(kind: str, locale: str | None = None) -> str:
    """The list's name in `locale`: the sheet's name and the file's."""
    return translator(locale)(WHITELIST_KINDS.get(kind, kind))


def export_labels(locale: str | None = None) -> tuple[str, ...]:
    """The labels an export translates (industries, lists) in `locale`: part of what a kept export depends on."""
    tr = translator(locale)
    return tuple(tr(label) for label in (*INDUSTRIES.values(), *WHITELIST_KINDS.values()))


def export_rows(kind: str, entries: Iterable) -> Iterator[list]:
    """Rows of a list as exported (amounts as numbers in 万元, texts neutralised), one at a time."""
    project = kind in PROJECT_KINDS
    for n, e in enumerate(entries, start=1):
        township = e.township.name if e.township else (e.firm.township.name if e.firm.township else "")
        amount = [e.project_name, float(e.investment_wan) if e.investment_wan is not None else None] if project else []
        yield [neutralise(v) for v in [n, e.firm.name, e.firm.uscc or "", *amount, township, e.firm.industry_label,
                                       e.kind_label, e.batch.label, e.remark]]


def export_select(query: Select) -> Select:
    """The columns an export needs, over an entry query from `visible_entries` (its joins, filters and order
    kept): plain values instead of an entry, its firm, batch and townships per row."""
    own, firms = aliased(Township), aliased(Township)
    return (query.with_only_columns(WhiteListEntry.kind, Firm.name, Firm.uscc, WhiteListEntry.project_name,
                                    WhiteListEntry.investment_wan, own.name, firms.name, Firm.industry,
                                    WhiteListBatch.label, WhiteListEntry.remark, maintain_column_froms=False)
            .outerjoin(own, own.id == WhiteListEntry.township_id).outerjoin(firms, firms.id == Firm.township_id))


def export_plain_rows(kind: str, rows: Iterable[tuple], locale: str | None = None) -> Iterator[list]:
    """The same rows as `export_rows`, from the tuples of `export_select`; labels (industry, list) in `locale`."""
    tr = translator(locale)
    project = kind in PROJECT_KINDS
    for n, (e_kind, name, uscc, project_name, wan, own, firms, industry, label, remark) in enumerate(rows, 1):
        amount = [project_name, float(wan) if wan is not None else None] if project else []
        yield [neutralise(v) for v in [n, name, uscc or "", *amount, own or firms or "",
                                       tr(INDUSTRIES.get(industry, industry)), tr(WHITELIST_KINDS.get(e_kind, e_kind)),
                                       label, remark]]


def export_table(kind: str, entries) -> tuple[list[str], list[list]]:
    """Header and rows of a list as exported (amounts as numbers in 万元, texts neutralised)."""
    return export_header(kind), list(export_rows(kind, entries))


def csv_chunks(header: list[str], rows: Iterable[list], lines: int = 1000) -> Iterator[bytes]:
    """UTF-8 with BOM so that Excel shows the Chinese correctly; `lines` rows per chunk, for a streamed response."""
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    writer.writerow(header)
    for n, row in enumerate(rows, start=1):
        writer.writerow(["" if v is None else v for v in row])
        if n % lines == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def to_csv(header: list[str], rows: list[list]) -> bytes:
    return b"".join(csv_chunks(header, rows))


def write_xlsx(target, header: list[str], rows: Iterable[list], title: str) -> None:
    """Write the sheet to `target` (a path or a binary file) row by row: XlsxWriter's constant_memory keeps one
    row in memory whatever the length of the list."""
    book = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    sheet.set_column(0, 0, 6)  # column formats and panes first: constant_memory writes rows as they come
    sheet.set_column(1, len(header) - 1, 22)
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, header, bold)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif value is not None:
                sheet.write_number(r, c, value)
    book.close()


def to_xlsx(header: list[str], rows: list[list], title: str) -> bytes:
    out = io.BytesIO()
    write_xlsx(out, header, rows, title)
    return out.getvalue()


def xlsx_chunks(header: list[str], rows: Iterable[list], title: str, size: int = 64 * 1024) -> Iterator[bytes]:
    """The workbook built in a temporary file, then sent in pieces (constant memory for a streamed response)."""
    with tempfile.TemporaryFile() as spool:
        write_xlsx(spool, header, rows, title)
        spool.seek(0)
        while chunk := spool.read(size):
            yield chunk

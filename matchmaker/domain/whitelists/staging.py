"""The staged rows of an import (table whitelist_import_row): written, read and updated in chunks so a
250,000-row preview is never one value in memory, and paged for the preview and review pages."""
from __future__ import annotations

from typing import Iterable, Iterator

from sqlalchemy import Text, and_, bindparam, delete, func, or_, select, type_coerce, update
from sqlalchemy.orm import Session

from ...models.whitelists import STAGED_COLUMNS, WhiteListImportRow, row_dict, row_tuple, row_values
from ..core import bulk

CHUNK = 5000
T = WhiteListImportRow.__table__
# `data` read as the driver gives it (text on SQLite, decoded JSONB on PostgreSQL) and decoded here once
_FIELDS = (T.c.id, T.c.row_no, T.c.decision, T.c.chosen, T.c.status, T.c.method, type_coerce(T.c.data, Text).label("data"),
           *(T.c[name] for name in WhiteListImportRow.VALUE_COLUMNS))
_VALUES = slice(7, 7 + len(WhiteListImportRow.VALUE_COLUMNS))
# rows the commit's first pass reads: a firm to create, or a name-matched firm that may take the file's code
FIRM_WORK = or_(T.c.chosen == "new", and_(T.c.chosen.is_(None), T.c.decision == "new"),
                and_(T.c.chosen.is_not(None), T.c.chosen != "new"),
                and_(T.c.decision == "auto", T.c.method != "uscc"))


def insert(session: Session, import_id: int, rows: list[dict]) -> None:
    if rows:
        bulk.insert(session, T, STAGED_COLUMNS, [row_tuple(import_id, r) for r in rows])


def remove(session: Session, import_ids: Iterable[int]) -> None:
    ids = list(import_ids)
    for start in range(0, len(ids), 500):
        session.execute(delete(T).where(T.c.import_id.in_(ids[start:start + 500])))


def _dict(rec) -> dict:
    return row_dict(rec[1], rec[2], rec[3], rec[4], rec[5], rec[6], rec[_VALUES])


def chunks(session: Session, import_id: int, size: int | None = None, where=None) -> Iterator[list[dict]]:
    """The rows in file order, `size` (CHUNK) at a time: keyset on the row number (one per row of the file), a
    range of the (import, row) index read in order; on the id, the database would read and sort every row of the
    import for each chunk."""
    size = size or CHUNK
    last = -1
    while True:
        query = select(*_FIELDS).where(T.c.import_id == import_id, T.c.row_no > last)
        if where is not None:
            query = query.where(where)
        found = session.execute(query.order_by(T.c.row_no).limit(size)).all()
        if not found:
            return
        last = found[-1].row_no
        yield [_dict(rec) for rec in found]


def count(session: Session, import_id: int, where=None) -> int:
    query = select(func.count()).select_from(T).where(T.c.import_id == import_id)
    return session.scalar(query.where(where) if where is not None else query) or 0


def tab_filter(tab: str):
    """The preview's tabs as SQL: all / review / new (a firm to create) / add / changed / same."""
    if tab == "review":
        return T.c.decision == "review"
    if tab == "new":
        return or_(T.c.chosen == "new", and_(T.c.chosen.is_(None), T.c.decision == "new"))
    if tab in ("add", "changed", "same"):
        return T.c.status == tab
    return None


def page(session: Session, import_id: int, tab: str, offset: int, limit: int) -> tuple[list[dict], int]:
    where = tab_filter(tab)
    query = select(*_FIELDS).where(T.c.import_id == import_id)
    if where is not None:
        query = query.where(where)
    found = session.execute(query.order_by(T.c.row_no).offset(offset).limit(limit)).all()
    return [_dict(rec) for rec in found], count(session, import_id, where)


def review_rows(session: Session, import_id: int, limit: int) -> tuple[list[dict], int]:
    """Rows to review, those still undecided first, in file order."""
    where = T.c.decision == "review"
    found = session.execute(select(*_FIELDS).where(T.c.import_id == import_id, where)
                            .order_by(T.c.chosen.is_not(None), T.c.row_no).limit(limit)).all()
    return [_dict(rec) for rec in found], count(session, import_id, where)


def by_row_numbers(session: Session, import_id: int, numbers: list[int]) -> dict[int, dict]:
    out = {}
    for start in range(0, len(numbers), 500):
        for rec in session.execute(select(*_FIELDS).where(T.c.import_id == import_id,
                                                          T.c.row_no.in_(numbers[start:start + 500]))):
            out[rec.row_no] = _dict(rec)
    return out


def save(session: Session, import_id: int, rows: list[dict]) -> None:
    """Write changed rows back (by row number)."""
    if not rows:
        return
    written = [c for c in STAGED_COLUMNS if c not in ("import_id", "row_no")]
    values = []
    for r in rows:
        v = row_values(import_id, r)
        values.append({"b_import": import_id, "b_row": v["row_no"], **{f"v_{c}": v[c] for c in written}})
    session.execute(update(T).where(T.c.import_id == bindparam("b_import"), T.c.row_no == bindparam("b_row"))
                    .values({c: bindparam(f"v_{c}") for c in written})
                    .execution_options(synchronize_session=False), values)

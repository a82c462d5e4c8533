"""The six white lists as the rest of the platform sees them: current batches, which lists a firm is on (for
routing and the firm's profile), list queries with filters for each role, export to .xlsx / CSV, demo data."""
from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from decimal import Decimal

import xlsxwriter
from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from ..models import FinancingRequest, Firm, User
from ..models.whitelists import PROJECT_KINDS, WHITELIST_KINDS, WhiteListBatch, WhiteListEntry
from .firms import search_clause

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
    batch_ids = [b.id for b in current_batches(session).values()]
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


def visible_entries(actor: User, kind: str, filters: ListFilters, session: Session) -> Select:
    """Entries of one list the actor may see (township: its own township's), filtered."""
    batch_id = filters.batch_id
    if batch_id is None:
        current = current_batches(session).get(kind)
        batch_id = current.id if current else -1
    query = (select(WhiteListEntry).join(Firm, Firm.id == WhiteListEntry.firm_id)
             .join(WhiteListBatch, WhiteListBatch.id == WhiteListEntry.batch_id)
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
    clause = search_clause(filters.q)
    if clause is not None:
        query = query.where(clause)
    return query


def neutralise(value):
    """A text cell that a spreadsheet would run as a formula (= + - @) is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_table(kind: str, entries) -> tuple[list[str], list[list]]:
    """Header and rows of a list as exported (amounts as numbers in 万元, texts neutralised)."""
    project = kind in PROJECT_KINDS
    header = ["序号", "企业名称", "统一社会信用代码"] + (["项目名称", "总投资（万元）"] if project else []) \
        + ["所属镇街", "所属行业", "名单", "批次", "备注"]
    rows = []
    for n, e in enumerate(entries, start=1):
        township = e.township.name if e.township else (e.firm.township.name if e.firm.township else "")
        amount = [e.project_name, float(e.investment_wan) if e.investment_wan is not None else None] if project else []
        rows.append([n, e.firm.name, e.firm.uscc or "", *amount, township, e.firm.industry_label, e.kind_label,
                     e.batch.label, e.remark])
    return header, [[neutralise(v) for v in row] for row in rows]


def to_csv(header: list[str], rows: list[list]) -> bytes:
    """UTF-8 with BOM so that Excel shows the Chinese correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(header: list[str], rows: list[list], title: str) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    sheet.write_row(0, 0, header, bold)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif value is not None:
                sheet.write_number(r, c, value)
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, len(header) - 1, 22)
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()


# ---------------------------------------------------------------- demo data

PROJECT_WORDS = {
    "key_project": ["年产{n}万吨新材料项目", "智能制造产业园项目", "{n}万平方米标准化厂房建设项目", "高端装备生产基地项目"],
    "tech_upgrade": ["生产线智能化技术改造项目", "节能降耗技术改造项目", "{n}条自动化生产线技改项目", "数字化车间改造项目"],
    "rural_revitalisation": ["石榴特色种植示范项目", "土地综合整治项目", "农村人居环境提升项目", "{n}亩高标准农田建设项目"],
}


def build_demo(session: Session, rng: random.Random) -> None:
    """Two or three batches of each of the six lists over the demo firms, made by the import code itself."""
    from .whitelist_batches import commit_rows

    firms = list(session.scalars(select(Firm).order_by(Firm.id)))
    if not firms:
        return
    district = session.scalar(select(User).where(User.role == "district"))
    for kind in WHITELIST_KINDS:
        size = max(5, len(firms) // (6 if kind in PROJECT_KINDS else 4))
        members = rng.sample(firms, min(size, len(firms)))
        if kind in ("above_scale", "doubling_firm", "high_tech", "key_project") and firms[0] not in members:
            members[0] = firms[0]  # the demo enterprise account is on a few lists
        for year in ("2021", "2022", "2023")[rng.randint(0, 1):]:
            rows = [_demo_row(kind, firm, n, rng) for n, firm in enumerate(members, start=2)]
            commit_rows(session, district, kind, year, f"{WHITELIST_KINDS[kind]}{year}.xlsx", rows)
            members = [f for f in members if rng.random() > 0.12] + rng.sample(firms, max(1, size // 8))
            members = list(dict.fromkeys(members))
    _demo_pending_import(session, firms, district, rng)


def _demo_pending_import(session: Session, firms: list[Firm], district: User | None, rng: random.Random) -> None:
    """A 2024 file waiting in preview, with names written a little differently: the review queue has work."""
    from ..config import resolve_thresholds
    from .names import other_char_typo, spelling_variant
    from .whitelist_batches import ImportRejected, Thresholds, compare, resolve_rows, stage
    from .whitelist_import import CheckedFile

    rows = []
    for n, firm in enumerate(rng.sample(firms, min(10, len(firms))), start=3):
        name = other_char_typo(rng, firm.name) if n < 7 else spelling_variant(rng, firm.name)[0]
        rows.append({"row": n, "name": name, "uscc": "", "township_id": firm.township_id, "industry": None,
                     "project_name": "", "investment_wan": None, "remark": "", "extra": {}})
    rows.append({"row": len(rows) + 3, "name": "枣庄市中区新申报科技有限公司", "uscc": "", "township_id": None,
                 "industry": "it", "project_name": "", "investment_wan": None, "remark": "", "extra": {}})
    resolved = resolve_rows(session, CheckedFile("high_tech", "", 2, [], rows), Thresholds(*resolve_thresholds()))
    try:
        summary = compare(session, "high_tech", "2024", resolved)
    except ImportRejected:
        return
    stage(session, district, "high_tech", "2024", "2024年高新技术企业名单（初稿）.xlsx", resolved, summary)


def _demo_row(kind: str, firm: Firm, n: int, rng: random.Random) -> dict:
    project = ""
    amount = None
    if kind in PROJECT_KINDS:
        project = rng.choice(PROJECT_WORDS[kind]).format(n=rng.choice([2, 5, 10, 20, 50]))
        amount = str(Decimal(rng.choice([500, 800, 1200, 3000, 5000, 12000, 26000])))
    return {"row": n, "name": firm.name, "uscc": firm.uscc or "", "township_id": firm.township_id,
            "industry": firm.industry, "project_name": project, "investment_wan": amount, "remark": "", "extra": {},
            "decision": "auto", "method": "uscc", "score": 100.0, "firm_id": firm.id, "chosen": None,
            "matched_name": firm.name, "candidates": [], "note": ""}

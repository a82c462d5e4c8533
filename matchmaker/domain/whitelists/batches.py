"""From a checked file to a batch: resolve each row to a firm, compare with the newest older batch (add / gone /
changed; a batch older than the current one says so and leaves the current list as it is), stage the preview,
take review decisions, commit everything in one transaction, undo a batch."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import FinancingRequest, Firm, Township, User, utcnow
from ...models.whitelists import (
    PROJECT_KINDS,
    WHITELIST_KINDS,
    FirmAlias,
    WhiteListBatch,
    WhiteListEntry,
    WhiteListImport,
)
from ..core.errors import Conflict, DomainError, NotFound
from ..core.limits import quote
from ..core.workdays import local_date
from ..firms.entity_resolution import AUTO, NEW, REVIEW, Resolver, name_key
from ..firms.records import set_firm_name
from ..requests import lifecycle
from .checking import FIELDS, CheckedFile, RowError, project_key

BATCH_LABEL = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{1,2}))?(?P<rest>[^\d\-][\w\-（）()·. ]{0,24})?$")
FIRST_BATCH_YEAR = 2000
COMPARED = ("township_id", "investment_wan", "project_name", "remark")
GONE_SHOWN = 500
RESOLVE_CHUNK = 5000  # names parsed together when resolving a file


class ImportRejected(DomainError):
    """The file has errors (each naming its row and field); nothing was written."""

    status = 422

    def __init__(self, errors: list[RowError]):
        super().__init__(f"文件有 {len(errors)} 处错误，未导入任何数据")
        self.errors = errors


@dataclass
class Thresholds:
    auto: float
    review: float


def check_batch_label(session: Session, kind: str, label: str, today: date | None = None) -> str:
    """A batch is named by a real year (2000 to next year), a year-month, or a year with words after it."""
    label = (label or "").strip()
    match = BATCH_LABEL.match(label)
    if not match:
        raise DomainError("批次请以年份开头，如 2023、2023-06 或 2023年第二批", field="batch")
    last_year = (today or local_date()).year + 1
    if not FIRST_BATCH_YEAR <= int(match["year"]) <= last_year:
        raise DomainError(f"批次的年份应在{FIRST_BATCH_YEAR}–{last_year}年之间（“{quote(label)}”）", field="batch")
    if match["month"] is not None and not 1 <= int(match["month"]) <= 12:
        raise DomainError(f"批次“{quote(label)}”的月份不正确：应为 01–12，如 2023-06", field="batch")
    taken = session.scalar(select(WhiteListBatch.id).where(WhiteListBatch.kind == kind, WhiteListBatch.label == label,
                                                           WhiteListBatch.state == "active"))
    if taken:
        raise DomainError(f"{WHITELIST_KINDS[kind]}已有“{label}”批次；如需重新导入，请先撤销该批次", field="batch")
    return label


def firm_resolver(session: Session, thresholds: Thresholds) -> Resolver:
    """A resolver over every firm and every remembered alias."""
    records = session.execute(select(Firm.id, Firm.uscc, Firm.name)).all()
    aliases = dict(session.execute(select(FirmAlias.name_key, FirmAlias.firm_id)).all())
    return Resolver(records, aliases, thresholds.auto, thresholds.review)


def previous_batch(session: Session, kind: str, label: str | None = None) -> WhiteListBatch | None:
    """What a batch labelled `label` is compared with: the newest active batch of the kind that is older than it
    (labels order as `current_batches` orders them). Without a label: the current batch."""
    query = select(WhiteListBatch).where(WhiteListBatch.kind == kind, WhiteListBatch.state == "active")
    if label:
        query = query.where(WhiteListBatch.label < label)
    return session.scalar(query.order_by(WhiteListBatch.label.desc(), WhiteListBatch.id.desc()).limit(1))


def newer_current(session: Session, kind: str, label: str) -> WhiteListBatch | None:
    """The current batch of the kind when it is newer than `label`: importing `label` then adds history and
    leaves the current list as it is."""
    return session.scalar(select(WhiteListBatch).where(
        WhiteListBatch.kind == kind, WhiteListBatch.state == "active", WhiteListBatch.label > label)
        .order_by(WhiteListBatch.label.desc(), WhiteListBatch.id.desc()).limit(1))


def order_note(previous_label: str | None, current_label: str | None, label: str) -> str:
    """What the preview and the result say about where a batch goes among the list's batches."""
    if not current_label:
        return ""
    compared = f"与更早的批次 {previous_label} 对比" if previous_label else "之前没有更早的批次，不做对比"
    return (f"批次 {label} 早于当前批次 {current_label}：导入后作为历史批次保存，当前名单仍为 {current_label}；"
            f"本批次{compared}。")


def target(row: dict) -> int | str | None:
    """The firm a row goes to: an id, "new", or None while a review is pending."""
    if row.get("chosen") is not None:
        return row["chosen"]
    if row["decision"] == AUTO:
        return row["firm_id"]
    return "new" if row["decision"] == NEW else None


def _identity(kind: str, firm_id, project_name: str) -> tuple:
    return firm_id, (project_key(project_name) if kind in PROJECT_KINDS else "")


def resolve_rows(session: Session, checked: CheckedFile, thresholds: Thresholds, progress=None) -> list[dict]:
    """Each checked row with its resolution: decision, method, score, firm (auto) or candidates (review).
    `progress(done, total)` is called as rows are resolved."""
    resolver = firm_resolver(session, thresholds)
    rows = checked.rows
    for start in range(0, len(rows), RESOLVE_CHUNK):  # in place: a 50,000-row file should not be held twice
        if progress is not None:
            progress(start, len(rows))
        chunk = rows[start:start + RESOLVE_CHUNK]
        for row, res in zip(chunk, resolver.resolve_many((r["name"], r["uscc"] or None) for r in chunk)):
            _resolved(session, row, res)
    return rows


def _resolved(session: Session, row: dict, res) -> None:
    row.update(decision=res.decision, method=res.method, score=res.score, note=res.note, chosen=None,
               firm_id=res.ref, matched_name=res.best.name if res.decision == AUTO else "",
               candidates=_candidates(session, res.candidates) if res.decision == REVIEW else [])


def _candidates(session: Session, candidates) -> list[dict]:
    """Candidates worth showing side by side (the best, and any other scoring at least 50), with firm details."""
    candidates = [c for n, c in enumerate(candidates) if n == 0 or c.score >= 50]
    firms = {f.id: f for f in session.scalars(select(Firm).where(Firm.id.in_([c.ref for c in candidates])))}
    return [{"firm_id": c.ref, "name": c.name, "uscc": c.uscc, "score": c.score,
             "township": firms[c.ref].township.name if firms[c.ref].township else "",
             "industry": firms[c.ref].industry_label} for c in candidates if c.ref in firms]


def compare(session: Session, kind: str, label: str, rows: list[dict]) -> dict:
    """Mark each row add / changed / same against the previous batch; return the summary with rows gone."""
    prev = previous_batch(session, kind, label)
    current = newer_current(session, kind, label)
    before: dict[tuple, tuple] = {}
    if prev is not None:
        for entry in session.execute(select(*PREVIOUS_COLUMNS).where(WhiteListEntry.batch_id == prev.id)):
            before[_identity(kind, entry.firm_id, entry.project_name)] = entry
    townships = dict(session.execute(select(Township.id, Township.name)).all())
    seen, errors = {}, []
    for row in rows:
        firm = target(row)
        row["changes"] = []
        if not isinstance(firm, int):
            row["status"] = "add"
            continue
        key = _identity(kind, firm, row["project_name"])
        if key in seen:
            errors.append(RowError(row["row"], "name", f"与第{seen[key]}行匹配到同一家企业"
                                   + ("的同一项目" if kind in PROJECT_KINDS else "")))
        seen.setdefault(key, row["row"])
        old = before.get(key)
        row["changes"] = _changes(old, row, townships) if old is not None else []
        row["status"] = "add" if old is None else ("changed" if row["changes"] else "same")
    if errors:
        raise ImportRejected(errors)
    gone_keys = [key for key in before if key not in seen]
    shown = gone_keys[:GONE_SHOWN]
    firms = {f.id: f for f in session.execute(select(Firm.id, Firm.name, Firm.uscc).where(
        Firm.id.in_({k[0] for k in shown})))} if shown else {}
    gone = [{"name": firms[k[0]].name, "uscc": firms[k[0]].uscc or "", "project_name": before[k].project_name}
            for k in shown if k[0] in firms]
    counts = Counter(r["status"] for r in rows)
    targets = Counter("review" if t is None else "new" if t == "new" else "firm" for t in map(target, rows))
    methods = Counter(r["method"] for r in rows)
    return {
        "rows": len(rows), "add": counts["add"], "changed": counts["changed"], "same": counts["same"],
        "gone": len(gone_keys), "gone_rows": gone, "review": targets["review"], "new_firms": targets["new"],
        "by_method": {m: methods[m] for m in ("uscc", "alias", "name")},
        "previous_label": prev.label if prev else None,
        "current_label": current.label if current else None,
        "order_note": order_note(prev.label if prev else None, current.label if current else None, label),
    }


PREVIOUS_COLUMNS = (WhiteListEntry.firm_id, WhiteListEntry.project_name, WhiteListEntry.township_id,
                    WhiteListEntry.investment_wan, WhiteListEntry.remark)


def _changes(old, row: dict, townships: dict[int, str]) -> list[dict]:
    """Fields that differ from the previous batch's entry (a township left empty in the file is no change)."""
    changes = []
    for fld in COMPARED:
        new_value, old_value = row.get(fld), getattr(old, fld)
        if fld == "township_id":
            if new_value is None or new_value == old_value:
                continue
            changes.append({"field": fld, "label": "所属镇街", "old": townships.get(old_value), "new": new_value})
            continue
        if fld == "investment_wan":
            old_value = str(old_value) if old_value is not None else None
        if (new_value or None) != (old_value or None):
            changes.append({"field": fld, "label": FIELDS[fld], "old": old_value, "new": new_value})
    return changes


def preview(session: Session, checked: CheckedFile, label: str, thresholds: Thresholds,
            progress=None) -> tuple[list[dict], dict]:
    """Resolve and compare a checked file (nothing written); raises ImportRejected on any error."""
    if checked.errors:
        raise ImportRejected(checked.errors)
    label = check_batch_label(session, checked.kind, label)
    rows = resolve_rows(session, checked, thresholds, progress)
    return rows, compare(session, checked.kind, label, rows)


def stage(session: Session, actor: User | None, kind: str, label: str, filename: str, rows: list[dict],
          summary: dict) -> WhiteListImport:
    imp = WhiteListImport(kind=kind, batch_label=label, filename=filename[:200], rows=rows, summary=summary,
                          created_by_id=actor.id if actor else None)
    session.add(imp)
    session.flush()
    return imp


def get_import(session: Session, import_id: int, state: str | None = "preview") -> WhiteListImport:
    imp = session.get(WhiteListImport, import_id)
    if imp is None:
        raise NotFound("导入记录不存在")
    if state and imp.state != state:
        raise Conflict("该导入已确认或已放弃")
    return imp


def remember_alias(session: Session, written_name: str, firm_id: int, source: str, actor: User | None) -> None:
    """Link this spelling to the firm; a later decision on the same spelling replaces an earlier one."""
    remember_aliases(session, {name_key(written_name): (written_name, firm_id, source)}, actor)


def remember_aliases(session: Session, aliases: dict[str, tuple[str, int, str]], actor: User | None) -> None:
    """Many at once: {name key: (written name, firm id, source)}."""
    keys = list(aliases)
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        for alias in session.scalars(select(FirmAlias).where(FirmAlias.name_key.in_(chunk))):
            written, firm_id, source = aliases.pop(alias.name_key)
            alias.firm_id, alias.source, alias.written_name = firm_id, source, written[:200]
    if aliases:
        session.execute(FirmAlias.__table__.insert(), [
            {"name_key": key, "written_name": written[:200], "firm_id": firm_id, "source": source,
             "created_by_id": actor.id if actor else None, "created_at": utcnow()}
            for key, (written, firm_id, source) in aliases.items()])
    session.flush()


def decide(session: Session, actor: User, imp: WhiteListImport, choices: dict[int, str]) -> int:
    """Apply review choices {row number: firm id or "new"}; returns how many were decided."""
    rows = [dict(r) for r in imp.rows]
    by_no = {r["row"]: r for r in rows}
    decided = 0
    for row_no, choice in choices.items():
        row = by_no.get(row_no)
        if row is None or row["decision"] != REVIEW or choice in (None, ""):
            continue
        if choice == "new":
            row["chosen"] = "new"
        else:
            try:
                firm_id = int(choice)
            except (TypeError, ValueError):
                firm_id = 0
            firm = session.get(Firm, firm_id) if 0 < firm_id < 2**31 else None  # beyond INTEGER: a 500 otherwise
            if firm is None:
                raise DomainError(f"第{row_no}行：所选企业不存在", field="choice")
            row["chosen"] = firm.id
            remember_alias(session, row["name"], firm.id, "review", actor)
        decided += 1
    try:
        summary = compare(session, imp.kind, imp.batch_label, rows)
    except ImportRejected as exc:
        raise DomainError(str(exc.errors[0]), field="choice") from None
    imp.rows, imp.summary = rows, summary
    return decided


def discard(session: Session, actor: User, imp: WhiteListImport) -> None:
    imp.state, imp.rows = "discarded", []


def commit_import(session: Session, actor: User | None, imp: WhiteListImport) -> WhiteListBatch:
    pending = sum(1 for r in imp.rows if target(r) is None)
    if pending:
        raise DomainError(f"还有 {pending} 行名称待确认，请先完成名称确认")
    batch = commit_rows(session, actor, imp.kind, imp.batch_label, imp.filename, imp.rows)
    imp.state, imp.batch_id, imp.rows = "committed", batch.id, []
    return batch


def commit_rows(session: Session, actor: User | None, kind: str, label: str, filename: str,
                rows: list[dict], progress=None) -> WhiteListBatch:
    """Write the batch, new firms, entries and aliases (the caller commits once: one transaction).
    `progress(done, total)` is called as entries are written."""
    label = check_batch_label(session, kind, label)
    if any(target(r) is None for r in rows):
        raise DomainError("还有名称待确认，不能导入")
    batch = WhiteListBatch(kind=kind, label=label, source_filename=filename[:200], row_count=len(rows),
                           created_by_id=actor.id if actor else None)
    session.add(batch)
    new_firms = _create_firms(session, [r for r in rows if target(r) == "new"])
    _fill_codes(session, [r for r in rows if isinstance(target(r), int) and r["uscc"] and r["method"] != "uscc"])
    session.flush()
    firm_townships = dict(session.execute(select(Firm.id, Firm.township_id)).all()) \
        if any(not r["township_id"] for r in rows) else {}
    aliases: dict[str, tuple[str, int, str]] = {}
    entries, written = [], 0
    for r in rows:
        firm_id = target(r) if target(r) != "new" else new_firms[name_key(r["name"])].id
        method = "new" if target(r) == "new" else ("review" if r.get("chosen") else r["method"])
        entries.append({
            "batch_id": batch.id, "kind": kind, "firm_id": firm_id, "row_no": r["row"], "written_name": r["name"][:200],
            "project_name": r["project_name"][:200], "remark": r["remark"], "extra": r["extra"],
            "investment_wan": Decimal(r["investment_wan"]) if r["investment_wan"] is not None else None,
            "township_id": r["township_id"] or firm_townships.get(firm_id), "match_method": method,
            "match_score": Decimal(str(r["score"])) if method in ("name", "review") else None,
        })
        if len(entries) == 5000:
            session.execute(WhiteListEntry.__table__.insert(), entries)
            entries = []
            if progress is not None:
                progress(written := written + 5000, len(rows))
        if method in ("review", "new") or (method == "name" and name_key(r["name"]) != name_key(r["matched_name"])):
            aliases[name_key(r["name"])] = (r["name"], firm_id, {"name": "auto"}.get(method, method))
    if entries:
        session.execute(WhiteListEntry.__table__.insert(), entries)
    remember_aliases(session, aliases, actor)
    batch.created_firm_ids = sorted(f.id for f in new_firms.values())
    current = newer_current(session, kind, label)
    lifecycle.record(session, "wl_batch", batch.id, None, actor, None, "committed",
                     f"{WHITELIST_KINDS[kind]} {label}：{len(rows)} 行，新建企业 {len(new_firms)} 家"
                     + (f"（早于当前批次 {current.label}，当前名单不变）" if current else ""))
    session.flush()
    return batch


def _create_firms(session: Session, rows: list[dict]) -> dict[str, Firm]:
    made: dict[str, Firm] = {}
    codes_used = set(session.scalars(select(Firm.uscc).where(Firm.uscc.is_not(None)))) if rows else set()
    for r in rows:
        key = name_key(r["name"])
        if key in made:
            continue
        code = r["uscc"] if r["uscc"] and r["uscc"] not in codes_used else None
        firm = Firm(uscc=code, township_id=r["township_id"], industry=r["industry"] or "other")
        set_firm_name(firm, r["name"])
        session.add(firm)
        codes_used.add(code)
        made[key] = firm
    session.flush()
    return made


def _fill_codes(session: Session, rows: list[dict]) -> None:
    """A name-matched firm without a USCC takes the code the file gives, if no other firm has it."""
    for r in rows:
        firm = session.get(Firm, target(r))
        if firm is not None and not firm.uscc and not session.scalar(select(Firm.id).where(Firm.uscc == r["uscc"])):
            firm.uscc = r["uscc"]
            session.flush()


def undo_batch(session: Session, actor: User, batch_id: int) -> WhiteListBatch:
    """Take a batch back: its entries go, and firms it created go too unless something else now uses them."""
    batch = session.get(WhiteListBatch, batch_id)
    if batch is None:
        raise NotFound("批次不存在")
    if batch.state != "active":
        raise Conflict("该批次已撤销")
    session.execute(delete(WhiteListEntry).where(WhiteListEntry.batch_id == batch.id))
    created = set(batch.created_firm_ids or [])
    if created:
        used = set()
        for column in (WhiteListEntry.firm_id, User.firm_id, FinancingRequest.firm_id):
            used |= set(session.scalars(select(column).where(column.is_not(None)).distinct()))
        _delete_firms(session, sorted(created - used))
    batch.state, batch.undone_at, batch.undone_by_id = "undone", utcnow(), actor.id if actor else None
    lifecycle.record(session, "wl_batch", batch.id, None, actor, "committed", "undone",
                     f"撤销{batch.kind_label} {batch.label}")
    session.flush()
    return batch


def _delete_firms(session: Session, ids: list[int]) -> None:
    def drop(chunk):
        session.execute(delete(FirmAlias).where(FirmAlias.firm_id.in_(chunk)))
        session.execute(delete(Firm).where(Firm.id.in_(chunk)))

    try:
        with session.begin_nested():
            for start in range(0, len(ids), 500):
                drop(ids[start:start + 500])
    except IntegrityError:  # something outside the white lists now points at some of them: keep those
        for firm_id in ids:
            try:
                with session.begin_nested():
                    drop([firm_id])
            except IntegrityError:
                continue

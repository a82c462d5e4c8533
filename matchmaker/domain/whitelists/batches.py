"""From a checked file to a batch: resolve each row to a firm, compare with the newest older batch (add / gone /
changed; a batch older than the current one says so and leaves the current list as it is), stage the preview,
take review decisions, commit everything in one transaction, undo a batch."""
from __future__ import annotations

import re
from array import array
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import repeat
from typing import Callable, Iterable

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import FinancingRequest, Firm, Township, User, utcnow
from ...models.firms import INDUSTRIES
from ...models.whitelists import (
    PROJECT_KINDS,
    WHITELIST_KINDS,
    FirmAlias,
    WhiteListBatch,
    WhiteListEntry,
    WhiteListImport,
)
from ...text import N_
from ..core import bulk
from ..core.errors import Conflict, DomainError, NotFound
from ..core.limits import quote
from ..core.translate import translator
from ..core.workdays import local_date
from ..firms.entity_resolution import AUTO, NEW, REVIEW, Resolver, name_key, name_keys, normalise_many
from ..firms.records import set_firm_names
from ..requests import lifecycle
from . import staging
from .checking import FIELDS, CheckedFile, RowError

BATCH_LABEL = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{1,2}))?(?P<rest>[^\d\-][\w\-（）()·. ]{0,24})?$")
FIRST_BATCH_YEAR = 2000
COMPARED = ("township_id", "investment_wan", "project_name", "remark")  # in this order (see _changes)
GONE_SHOWN = 500
RESOLVE_CHUNK = 5000  # names parsed together when resolving a file


SAME_FIRM, SAME_FIRM_PROJECT = N_("与第%(first)s行匹配到同一家企业"), N_("与第%(first)s行匹配到同一家企业的同一项目")


class ImportRejected(DomainError):
    """The file has errors (each naming its row and field); nothing was written."""

    status = 422

    def __init__(self, errors: list[RowError]):
        super().__init__(N_("文件有 %(n)s 处错误，未导入任何数据"), n=len(errors))
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
        raise DomainError("批次的年份应在%(first)s–%(last)s年之间（“%(label)s”）", field="batch", first=FIRST_BATCH_YEAR,
                          last=last_year, label=quote(label))
    if match["month"] is not None and not 1 <= int(match["month"]) <= 12:
        raise DomainError("批次“%(label)s”的月份不正确：应为 01–12，如 2023-06", field="batch", label=quote(label))
    taken = session.scalar(select(WhiteListBatch.id).where(WhiteListBatch.kind == kind, WhiteListBatch.label == label,
                                                           WhiteListBatch.state == "active"))
    if taken:
        raise DomainError("该名单已有“%(label)s”批次；如需重新导入，请先撤销该批次", field="batch", label=label)
    return label


def firm_resolver(session: Session, thresholds: Thresholds) -> Resolver:
    """A resolver over every firm and every remembered alias."""
    aliases = dict(session.execute(select(FirmAlias.name_key, FirmAlias.firm_id)).all())
    # streamed, as plain rows (Core, not the ORM's loading: a quarter of a million firms)
    records = session.connection().execute(select(Firm.id, Firm.uscc, Firm.name).execution_options(yield_per=20000))
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


def order_note(previous_label: str | None, current_label: str | None, label: str, tr=None, wrap=None) -> str:
    """What the preview and the result say about where a batch goes among the list's batches, in the language
    of `tr` (a translate.translator or a page's; Chinese by default); `wrap` marks the labels as user data."""
    if not current_label:
        return ""
    tr, wrap = tr or translator(None), wrap or (lambda v: v)
    if previous_label:
        return tr(N_("批次 %(label)s 早于当前批次 %(current)s：导入后作为历史批次保存，当前名单仍为 %(current)s；"
                     "本批次与更早的批次 %(previous)s 对比。"),
                  label=wrap(label), current=wrap(current_label), previous=wrap(previous_label))
    return tr(N_("批次 %(label)s 早于当前批次 %(current)s：导入后作为历史批次保存，当前名单仍为 %(current)s；"
                 "本批次之前没有更早的批次，不做对比。"), label=wrap(label), current=wrap(current_label))


def target(row: dict) -> int | str | None:
    """The firm a row goes to: an id, "new", or None while a review is pending."""
    if row.get("chosen") is not None:
        return row["chosen"]
    if row["decision"] == AUTO:
        return row["firm_id"]
    return "new" if row["decision"] == NEW else None


# The notes name resolution (domain/firms/entity_resolution.py) gives a row, as the pages show them in the reader's
# language: matched on the Chinese text the staged row keeps, the firm's name in it user data.
NOTE_FORMS = (
    (re.compile(r"^名称相近的(?P<name>.+)信用代码不同，视为不同企业$"), N_("名称相近的%(name)s信用代码不同，视为不同企业")),
    (re.compile(r"^与已登记的(?P<name>.+)相差“(?P<words>.+)”，按另一家企业处理$"),
     N_("与已登记的%(name)s相差“%(words)s”，按另一家企业处理")),
    (re.compile(r"^与已登记的(?P<name>.+)字号不同，按另一家企业处理$"), N_("与已登记的%(name)s字号不同，按另一家企业处理")),
)
PLAIN_NOTES = (N_("一字之差，且没有其他相近的企业"), N_("有多家名称相近的企业"), N_("一字之差，但还有其他相近的企业"))


def note_text(note: str, tr=None, wrap=None) -> str:
    """A resolution note in the language of `tr` (Chinese by default); `wrap` marks the names in it as user data."""
    tr, wrap = tr or translator(None), wrap or (lambda v: v)
    if not note:
        return ""
    for pattern, msgid in NOTE_FORMS:
        found = pattern.match(note)
        if found:
            return tr(msgid, **{k: wrap(v) for k, v in found.groupdict().items()})
    return tr(note)


def resolve_rows(session: Session, checked: CheckedFile, thresholds: Thresholds, progress=None) -> list[dict]:
    """Each checked row with its resolution: decision, method, score, firm (auto) or candidates (review).
    `progress(done, total)` is called as rows are resolved."""
    resolver = firm_resolver(session, thresholds)
    rows = checked.rows
    for start in range(0, len(rows), RESOLVE_CHUNK):  # in place: a 50,000-row file should not be held twice
        if progress is not None:
            progress(start, len(rows))
        resolve_chunk(session, resolver, rows[start:start + RESOLVE_CHUNK])
    return rows


_REGISTERED = {"decision": AUTO, "method": "uscc", "score": 100.0, "note": "", "chosen": None}


def resolve_chunk(session: Session, resolver: Resolver, rows: list[dict]) -> None:
    """Resolve a chunk of rows in place; the candidates of rows to review with their firms' details. Rows whose
    code is registered (most rows of a list) take that firm straight away, as `resolve_many` would decide."""
    registered = resolver.registered([r["uscc"] for r in rows])
    rest = [row for row, found in zip(rows, registered) if found is None]
    resolutions = resolver.resolve_many([(r["name"], r["uscc"] or None) for r in rest]) if rest else []
    hits = [(row, found) for row, found in zip(rows, registered) if found is not None]
    refs = resolver.refs
    for (row, found), name in zip(hits, resolver.names.take([found for _, found in hits])):
        row.update(_REGISTERED)
        row["firm_id"], row["matched_name"], row["candidates"] = refs[found], name, []
    shown = {}
    for n, res in enumerate(resolutions):
        if res.decision == REVIEW:
            shown[n] = [c for i, c in enumerate(res.candidates) if i == 0 or c.score >= 50]
    details = _firm_details(session, {c.ref for cands in shown.values() for c in cands}) if shown else {}
    for n, (row, res) in enumerate(zip(rest, resolutions)):
        decision, candidates = res.decision, res.candidates
        auto = decision == AUTO and candidates
        row["decision"], row["method"], row["score"], row["note"], row["chosen"] = \
            decision, res.method, res.score, res.note, None
        row["firm_id"] = candidates[0].ref if auto else None
        row["matched_name"] = candidates[0].name if auto else ""
        row["candidates"] = [{"firm_id": c.ref, "name": c.name, "uscc": c.uscc, "score": c.score,
                              "township": details[c.ref][0], "industry": details[c.ref][1]}
                             for c in shown[n] if c.ref in details] if n in shown else []


def _firm_details(session: Session, ids: set) -> dict[int, tuple[str, str]]:
    """{firm id: (township name, industry label)} of the candidates worth showing side by side."""
    ids = [i for i in ids if isinstance(i, int)]
    out = {}
    for start in range(0, len(ids), 500):
        for firm_id, township, industry in session.execute(
                select(Firm.id, Township.name, Firm.industry).outerjoin(Township, Township.id == Firm.township_id)
                .where(Firm.id.in_(ids[start:start + 500]))):
            out[firm_id] = (township or "", INDUSTRIES.get(industry, industry))
    return out


class Comparison:
    """Rows compared with the previous batch, chunk by chunk: each row marked add / changed / same (with its
    changes), the same firm (and project) twice an error, counts kept; `summary()` adds the rows gone. The
    previous batch is held as arrays: its entries' ids, the hashes of their (firm, project) keys (`_Keys`), their
    townships and a hash of their other compared values; only the entries that may have changed are read again."""

    def __init__(self, session: Session, kind: str, label: str):
        self.session, self.kind, self.label = session, kind, label
        self.prev = previous_batch(session, kind, label)
        self.current = newer_current(session, kind, label)
        ids, townships, values, key_hashes = array("q"), array("q"), array("q"), array("q")
        if self.prev is not None:
            project_list = kind in PROJECT_KINDS
            cursor = bulk.cursor(session, streamed=True)  # plain tuples, a part at a time: only hashes and ids kept
            try:
                cursor.execute(f"SELECT id, firm_id, project_name, township_id, investment_wan, remark "
                               f"FROM {_ENTRY.name} WHERE batch_id = {int(self.prev.id)} ORDER BY id")
                while part := cursor.fetchmany(RESOLVE_CHUNK):
                    keys = normalise_many([e[2] for e in part]) if project_list else repeat("")
                    ids.extend([e[0] for e in part])
                    townships.extend([-1 if e[3] is None else e[3] for e in part])
                    key_hashes.extend([hash((e[1], key)) for e, key in zip(part, keys)])
                    values.extend([_values_hash(_amount_text(e[4]), e[2], e[5]) for e in part])
            finally:
                cursor.close()
        # by entry (ids ascending): what tells an unchanged row without reading its entry again
        self._ids = np.frombuffer(ids, dtype=np.int64) if ids else np.zeros(0, dtype=np.int64)
        self._townships, self._values = townships, values
        self.before = _Keys(key_hashes)
        self.townships = dict(session.execute(select(Township.id, Township.name)).all())
        self.seen: dict[int, int] = {}
        self.errors: list[RowError] = []
        self.counts, self.targets, self.methods = Counter(), Counter(), Counter()
        self.rows = 0

    def feed(self, rows: list[dict]) -> None:
        project_list = self.kind in PROJECT_KINDS
        keys = normalise_many([r["project_name"] for r in rows]) if project_list else repeat("")
        seen, counts, tally = self.seen, self.counts, self.targets
        self.rows += len(rows)
        self.methods.update([row["method"] for row in rows])
        registered: list[tuple[dict, int]] = []  # the rows of a registered firm, with their key
        for row, project in zip(rows, keys):
            firm = target(row)
            row["changes"] = []
            if not isinstance(firm, int):
                tally["review" if firm is None else "new" if firm == "new" else "firm"] += 1
                row["status"] = "add"
                counts["add"] += 1
                continue
            key = hash((firm, project))
            first = seen.setdefault(key, row["row"])
            if first != row["row"]:
                self.errors.append(RowError(row["row"], "name", SAME_FIRM_PROJECT if project_list else SAME_FIRM,
                                            params={"first": first}))
            registered.append((row, key))
        tally["firm"] += len(registered)
        changed: list[tuple[dict, int]] = []  # rows whose entry must be read again, with its id
        townships, values, ids = self._townships, self._values, self._ids
        same = 0
        for (row, _), pos in zip(registered, self.before.take([key for _, key in registered])):
            if pos is None:
                row["status"] = "add"
                counts["add"] += 1
                continue
            township = row.get("township_id")
            if (township is None or township == townships[pos]) and values[pos] == _values_hash(
                    row.get("investment_wan"), row.get("project_name"), row.get("remark")):
                row["status"] = "same"  # the same township (or none written) and the same other values
                same += 1
            else:
                changed.append((row, int(ids[pos])))
        counts["same"] += same
        old = _previous_entries(self.session, [entry_id for _, entry_id in changed])
        for row, entry_id in changed:
            entry = old.get(entry_id)
            if entry is None:
                row["status"] = "add"
            else:
                row["changes"] = changes = _changes(entry, row, self.townships)
                row["status"] = "changed" if changes else "same"
            counts[row["status"]] += 1

    def summary(self) -> dict:
        if self.errors:
            raise ImportRejected(self.errors)
        gone_ids = [int(self._ids[pos]) for pos in self.before.left()]
        shown = gone_ids[:GONE_SHOWN]
        found = {e.id: e for e in self.session.execute(
            select(WhiteListEntry.id, Firm.name, Firm.uscc, WhiteListEntry.project_name)
            .join(Firm, Firm.id == WhiteListEntry.firm_id).where(WhiteListEntry.id.in_(shown)))} if shown else {}
        gone = [{"name": found[i].name, "uscc": found[i].uscc or "", "project_name": found[i].project_name}
                for i in shown if i in found]
        prev, current = self.prev, self.current
        return {
            "rows": self.rows, "add": self.counts["add"], "changed": self.counts["changed"],
            "same": self.counts["same"], "gone": len(gone_ids), "gone_rows": gone, "review": self.targets["review"],
            "new_firms": self.targets["new"], "by_method": {m: self.methods[m] for m in ("uscc", "alias", "name")},
            "previous_label": prev.label if prev else None,
            "current_label": current.label if current else None,
            "order_note": order_note(prev.label if prev else None, current.label if current else None, self.label),
        }


def compare(session: Session, kind: str, label: str, rows: list[dict]) -> dict:
    """Mark each row add / changed / same against the previous batch; return the summary with rows gone."""
    comparison = Comparison(session, kind, label)
    for start in range(0, len(rows), RESOLVE_CHUNK):
        comparison.feed(rows[start:start + RESOLVE_CHUNK])
    return comparison.summary()


_ENTRY = WhiteListEntry.__table__


_SCALE = _ENTRY.c.investment_wan.type.scale


def _amount_text(value) -> str | None:
    """An entry's amount as text, as SQLAlchemy reads the column (a Decimal of its scale: SQLite gives a float)."""
    if value is None:
        return None
    return str(value if isinstance(value, Decimal) else Decimal(f"{value:.{_SCALE}f}"))


def _previous_entries(session: Session, ids: list[int]) -> dict[int, tuple]:
    """{entry id: (township id, amount as text, project name, remark)} of the previous batch's entries."""
    if not ids:
        return {}
    cursor = bulk.cursor(session)  # integers read from the database, written into the statement
    out = {}
    try:
        for start in range(0, len(ids), 500):
            listed = ",".join(str(int(i)) for i in ids[start:start + 500])
            cursor.execute(f"SELECT id, township_id, investment_wan, project_name, remark FROM {_ENTRY.name} "
                           f"WHERE id IN ({listed})")
            for entry_id, township, value, project, remark in cursor.fetchall():
                out[entry_id] = (township, _amount_text(value), project, remark)
    finally:
        cursor.close()
    return out


class _Keys:
    """The previous batch's entries by key (a hash of firm and project; the first entry of a key), each taken at
    most once: sorted arrays rather than a dict (a 250,000-row batch in a few MB instead of tens)."""

    def __init__(self, key_hashes: array):
        hashes = np.frombuffer(key_hashes, dtype=np.int64) if key_hashes else np.zeros(0, dtype=np.int64)
        order = np.argsort(hashes, kind="stable")  # equal keys in entry order: the first of them kept
        hashes = hashes[order]
        first = np.ones(len(hashes), dtype=bool)
        first[1:] = hashes[1:] != hashes[:-1]
        self.hashes, self.positions = hashes[first], order[first]
        self.taken = bytearray(len(self.hashes))

    def take(self, keys: list[int]) -> list[int | None]:
        """For each key in turn, the position of its entry if not taken yet (then taken), else None."""
        if not keys or not len(self.hashes):
            return [None] * len(keys)
        wanted = np.array(keys, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.hashes, wanted), len(self.hashes) - 1)
        found = (self.hashes[at] == wanted).tolist()
        positions, taken, out = self.positions, self.taken, []
        for i, hit in zip(at.tolist(), found):
            if hit and not taken[i]:
                taken[i] = 1
                out.append(int(positions[i]))
            else:
                out.append(None)
        return out

    def left(self) -> list[int]:
        """Positions of the entries not taken, in entry order."""
        free = np.frombuffer(bytes(self.taken), dtype=np.uint8) == 0
        return np.sort(self.positions[free]).tolist()


def _values_hash(amount: str | None, project: str | None, remark: str | None) -> int:
    """The compared values but the township, as `_changes` compares them (empty is None): equal hashes, no change
    (64 bits: two different values hashing alike is a chance of one in 2**64 per row)."""
    return hash((amount or None, project or None, remark or None))


def _changes(old: tuple, row: dict, townships: dict[int, str]) -> list[dict]:
    """Fields that differ from the previous batch's entry (a township left empty in the file is no change)."""
    changes = []
    township, amount, project, remark = old
    new_value = row.get("township_id")
    if new_value is not None and new_value != township:
        changes.append({"field": "township_id", "label": FIELDS["township"], "old": townships.get(township),
                        "new": new_value})
    for fld, old_value in zip(COMPARED[1:], (amount, project, remark)):
        new_value = row.get(fld)
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
    imp = WhiteListImport(kind=kind, batch_label=label, filename=filename[:200], summary=summary,
                          created_by_id=actor.id if actor else None)
    session.add(imp)
    session.flush()
    for start in range(0, len(rows), staging.CHUNK):
        staging.insert(session, imp.id, rows[start:start + staging.CHUNK])
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
    """Apply review choices {row number: firm id or "new"}; returns how many were decided. The staged rows are
    compared again (a choice may make a row the same firm as another) and the changed ones written back."""
    by_no = staging.by_row_numbers(session, imp.id, [n for n in choices if isinstance(n, int) and 0 < n < 2**31])
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
                raise DomainError("第%(row)s行：所选企业不存在", field="choice", row=row_no)
            row["chosen"] = firm.id
            remember_alias(session, row["name"], firm.id, "review", actor)
        decided += 1
    staging.save(session, imp.id, [r for r in by_no.values() if r.get("chosen") is not None])
    comparison = Comparison(session, imp.kind, imp.batch_label)
    for chunk in staging.chunks(session, imp.id):
        before = [(r["status"], r.get("changes")) for r in chunk]
        comparison.feed(chunk)
        staging.save(session, imp.id, [r for r, b in zip(chunk, before) if (r["status"], r["changes"]) != b])
    try:
        summary = comparison.summary()
    except ImportRejected as exc:
        error = exc.errors[0]
        message = (N_("第%(row)s行与第%(first)s行匹配到同一家企业的同一项目") if error.message == SAME_FIRM_PROJECT
                   else N_("第%(row)s行与第%(first)s行匹配到同一家企业"))
        raise DomainError(message, field="choice", row=error.row, **error.params) from None
    imp.summary = dict(summary, sheet=(imp.summary or {}).get("sheet", ""))
    return decided


def discard(session: Session, actor: User, imp: WhiteListImport) -> None:
    imp.state = "discarded"
    staging.remove(session, [imp.id])


def commit_import(session: Session, actor: User | None, imp: WhiteListImport) -> WhiteListBatch:
    """Write a staged import as a batch (the caller commits: one transaction); its staged rows go."""
    pending = imp.pending_reviews
    if pending:
        raise DomainError("还有 %(n)s 行名称待确认，请先完成名称确认", n=pending)
    batch = commit_chunks(session, actor, imp.kind, imp.batch_label, imp.filename,
                          staged_chunks(session, imp.id), staging.count(session, imp.id))
    imp.state, imp.batch_id = "committed", batch.id
    staging.remove(session, [imp.id])
    return batch


def commit_rows(session: Session, actor: User | None, kind: str, label: str, filename: str,
                rows: list[dict], progress=None) -> WhiteListBatch:
    """Write the batch, new firms, entries and aliases (the caller commits once: one transaction).
    `progress(done, total)` is called as entries are written."""
    return commit_chunks(session, actor, kind, label, filename,
                         lambda _=False: (rows[i:i + staging.CHUNK] for i in range(0, len(rows), staging.CHUNK)),
                         len(rows), progress)


def staged_chunks(session: Session, import_id: int) -> Callable[[bool], Iterable[list[dict]]]:
    """The staged rows for commit_chunks: every row, or (firm_work=True) those that may create or fill a firm."""
    def chunks(firm_work: bool = False):
        return staging.chunks(session, import_id, where=staging.FIRM_WORK if firm_work else None)
    return chunks


def commit_chunks(session: Session, actor: User | None, kind: str, label: str, filename: str,
                  chunks: Callable[[bool], Iterable[list[dict]]], total: int, progress=None) -> WhiteListBatch:
    """commit_rows over rows read in chunks, so a 250,000-row import is never in memory whole: `chunks(True)`
    at least the rows that create a firm or may fill a firm's code (or every row), then `chunks(False)` every
    row for the entries. The caller has made sure no review is pending."""
    with bulk.page_cache(session, COMMIT_CACHE_MIB):
        return _commit_chunks(session, actor, kind, label, filename, chunks, total, progress)


COMMIT_CACHE_MIB = 64  # SQLite's page cache while a batch is written (the default 2 MB spills a large one)


def _commit_chunks(session: Session, actor: User | None, kind: str, label: str, filename: str,
                   chunks: Callable[[bool], Iterable[list[dict]]], total: int, progress=None) -> WhiteListBatch:
    label = check_batch_label(session, kind, label)
    to_create: dict[str, dict] = {}
    to_fill: list[tuple[int, str]] = []
    for chunk in chunks(True):
        new_rows = []
        for r in chunk:
            firm = target(r)
            if firm is None:
                raise DomainError("还有名称待确认，不能导入")
            if firm == "new":
                new_rows.append(r)
            elif r["uscc"] and r["method"] != "uscc":
                to_fill.append((firm, r["uscc"]))
        for key, r in zip(name_keys([r["name"] for r in new_rows]), new_rows):
            to_create.setdefault(key, {k: r[k] for k in ("name", "uscc", "township_id", "industry")})
    batch = WhiteListBatch(kind=kind, label=label, source_filename=filename[:200], row_count=total,
                           created_by_id=actor.id if actor else None)
    session.add(batch)
    new_firms = _create_firms(session, to_create)
    del to_create
    _fill_codes(session, to_fill)
    session.flush()
    aliases: dict[str, tuple[str, int, str]] = {}
    written = 0
    numeric = bulk.numeric(session)
    for chunk in chunks(False):
        targets = [target(r) for r in chunk]
        if None in targets:
            raise DomainError("还有名称待确认，不能导入")
        methods = ["new" if t == "new" else ("review" if r.get("chosen") else r["method"]) for r, t in zip(chunk, targets)]
        keyed = [n for n, m in enumerate(methods) if m in ("new", "review", "name")]  # rows whose name key is needed
        keys = dict(zip(keyed, name_keys([chunk[n]["name"] for n in keyed])))
        named = [n for n in keyed if methods[n] == "name"]
        matched_keys = dict(zip(named, name_keys([chunk[n]["matched_name"] for n in named])))
        firm_ids = [new_firms[keys[n]] if t == "new" else t for n, t in enumerate(targets)]
        lacking = sorted({f for f, r in zip(firm_ids, chunk) if not r["township_id"]})
        firm_townships = {}
        for start in range(0, len(lacking), 500):
            firm_townships.update(session.execute(select(Firm.id, Firm.township_id).where(
                Firm.id.in_(lacking[start:start + 500]))).all())
        entries = []
        for n, (r, firm_id, method) in enumerate(zip(chunk, firm_ids, methods)):
            amount, extra = r["investment_wan"], r["extra"]
            entries.append((batch.id, kind, firm_id, r["row"], r["name"][:200], r["project_name"][:200], r["remark"],
                            "{}" if extra == {} else bulk.json_text(extra),
                            numeric(Decimal(amount) if amount is not None else None),
                            r["township_id"] or firm_townships.get(firm_id), method,
                            numeric(Decimal(str(r["score"]))) if method in ("name", "review") else None))
            if method in ("review", "new") or (method == "name" and keys[n] != matched_keys[n]):
                aliases[keys[n]] = (r["name"], firm_id, {"name": "auto"}.get(method, method))
        bulk.insert(session, WhiteListEntry.__table__, ENTRY_COLUMNS, entries)
        written += len(entries)
        if progress is not None:
            progress(written, total)
    remember_aliases(session, aliases, actor)
    batch.created_firm_ids = sorted(set(new_firms.values()))
    current = newer_current(session, kind, label)
    lifecycle.record(session, "wl_batch", batch.id, None, actor, None, "committed",
                     f"{WHITELIST_KINDS[kind]} {label}：{total} 行，新建企业 {len(new_firms)} 家"
                     + (f"（早于当前批次 {current.label}，当前名单不变）" if current else ""))
    session.flush()
    return batch


ENTRY_COLUMNS = ("batch_id", "kind", "firm_id", "row_no", "written_name", "project_name", "remark", "extra",
                 "investment_wan", "township_id", "match_method", "match_score")


def _create_firms(session: Session, rows: dict[str, dict]) -> dict[str, int]:
    """The firms to create, one per name key: {name key: firm id}. A code another firm has is left off."""
    codes = sorted({r["uscc"] for r in rows.values() if r["uscc"]})
    codes_used = set()
    for start in range(0, len(codes), 500):
        codes_used.update(session.scalars(select(Firm.uscc).where(Firm.uscc.in_(codes[start:start + 500]))))
    made: dict[str, Firm] = {}
    for key, r in rows.items():
        code = r["uscc"] if r["uscc"] and r["uscc"] not in codes_used else None
        made[key] = Firm(uscc=code, township_id=r["township_id"], industry=r["industry"] or "other")
        codes_used.add(code)
    set_firm_names([(firm, rows[key]["name"]) for key, firm in made.items()])  # their pinyin spelt together
    session.add_all(made.values())
    session.flush()
    return {key: firm.id for key, firm in made.items()}


def _fill_codes(session: Session, rows: list[tuple[int, str]]) -> None:
    """A name-matched firm without a USCC takes the code the file gives, if no other firm has it."""
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        firms = {f.id: f for f in session.scalars(select(Firm).where(Firm.id.in_({f for f, _ in chunk})))}
        used = set(session.scalars(select(Firm.uscc).where(Firm.uscc.in_({c for _, c in chunk}))))
        for firm_id, code in chunk:
            firm = firms.get(firm_id)
            if firm is not None and not firm.uscc and code not in used:
                firm.uscc = code
                used.add(code)
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

"""The white-list import as background jobs: the upload is stored and a job reads and checks it, resolves the
names and stages the preview (or lists every error, all of them in a downloadable .xlsx); the commit is a
second job, one transaction. Previews not committed in PREVIEW_DAYS expire.

Texts are kept as msgids with their values, never as finished sentences: the errors (the summary's first ones and
the file of all of them), the phases and the results' labels. A page, or the .xlsx of errors built when it is
downloaded, puts them in its reader's language, so an import checked in Chinese reads in English later."""
from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import Iterable, Iterator

import xlsxwriter
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...models import User, WhiteListImport, utcnow
from ...text import N_
from ..core import collector
from ..core.errors import Conflict, DomainError, NotFound
from ..core.sheets import SheetLimits
from ..core.translate import translator
from ..jobs.records import JobContext
from . import batches, staging
from .checking import MAPPING_CHOICES, RowError, RowSpool, check_grid, has_header_for, remembered_mappings
from .files import read_grid

log = logging.getLogger(__name__)

PREVIEW_DAYS = 7
ERRORS_SHOWN = 200
UPLOADS, ERROR_FILES = "whitelist_uploads", "whitelist_errors"
OPEN_STATES = ("checking", "mapping", "failed", "preview", "committing")


def upload_path(folder: Path, import_id: int) -> Path:
    return Path(folder) / UPLOADS / f"import-{import_id}.bin"


def errors_path(folder: Path, import_id: int) -> Path:
    """Every error of a failed import, one JSON line each (`RowError.stored()`): the .xlsx is built from it in the
    language of who downloads it (`write_errors_xlsx`)."""
    return Path(folder) / ERROR_FILES / f"import-{import_id}.jsonl"


def legacy_errors_path(folder: Path, import_id: int) -> Path:
    """The .xlsx of errors an import made before errors were kept as msgids (in Chinese)."""
    return Path(folder) / ERROR_FILES / f"import-{import_id}.xlsx"


def check_upload_size(size: int, limits: SheetLimits) -> None:
    """Before the upload is read: its size against the limit."""
    if size > limits.max_file_bytes:
        mb = f"{limits.max_file_bytes / 1024 / 1024:.0f}"
        raise DomainError("文件大小超过上限 %(mb)s MB", field="file", mb=mb)


def start_import(session: Session, actor: User | None, folder: Path, data: bytes, kind: str, label: str,
                 filename: str, sheet: str = "") -> WhiteListImport:
    """Record the import (state checking) and store the file it will read; the caller submits the check job."""
    label = batches.check_batch_label(session, kind, label)
    imp = WhiteListImport(kind=kind, batch_label=label, filename=(filename or "upload")[:200],
                          summary={"sheet": sheet[:100]}, state="checking", error_count=0,
                          created_by_id=actor.id if actor else None,
                          expires_at=utcnow() + timedelta(days=PREVIEW_DAYS))
    session.add(imp)
    session.flush()
    path = upload_path(folder, imp.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return imp


def attach_job(session: Session, imp: WhiteListImport, job_id: int) -> None:
    imp.job_id = job_id


def get(session: Session, import_id: int) -> WhiteListImport:
    imp = session.get(WhiteListImport, import_id) if 0 < import_id < 2**31 else None
    if imp is None:
        raise NotFound("导入记录不存在")
    return imp


def open_imports(session: Session) -> list[WhiteListImport]:
    """Imports still to be dealt with (the white-list page lists them so a left page is found again)."""
    return list(session.scalars(select(WhiteListImport).where(WhiteListImport.state.in_(OPEN_STATES))
                                .order_by(WhiteListImport.created_at.desc())))


def choose_mapping(session: Session, imp: WhiteListImport, chosen: dict[str, str]) -> dict[str, str]:
    """Header choices from the mapping screen: the errors by header (empty when all are chosen); the caller
    remembers them and submits a new check job. Only an import waiting for its mapping takes them."""
    errors = {h: N_("请选择对应字段") for h, f in chosen.items() if f not in MAPPING_CHOICES}
    if errors:
        return errors
    moved = session.execute(update(WhiteListImport).where(WhiteListImport.id == imp.id,
                                                          WhiteListImport.state == "mapping")
                            .values(state="checking")).rowcount
    if not moved:
        raise Conflict("该导入已在处理中")
    return {}


def begin_commit(session: Session, imp: WhiteListImport) -> None:
    """preview -> committing, once: a second click (or a second tab) is told the commit is already under way."""
    if imp.state == "expired":
        raise Conflict("该预览已超过 7 天未确认，已过期删除：请重新上传")
    if imp.pending_reviews:
        raise DomainError("还有 %(n)s 行名称待确认，请先完成名称确认", n=imp.pending_reviews)
    moved = session.execute(update(WhiteListImport).where(WhiteListImport.id == imp.id,
                                                          WhiteListImport.state == "preview")
                            .values(state="committing")).rowcount
    if not moved:
        raise Conflict("该导入已在导入中、已导入或已放弃")


def cancel_commit(session: Session, imp: WhiteListImport) -> None:
    """committing -> preview (the commit job could not be queued)."""
    session.execute(update(WhiteListImport).where(WhiteListImport.id == imp.id,
                                                  WhiteListImport.state == "committing").values(state="preview"))


# ---------------------------------------------------------------------------------------------------- the jobs

def _limits(config: dict) -> SheetLimits:
    from ..core.sheets import limits_from

    return limits_from(config) if config else SheetLimits()


def _set(ctx: JobContext, import_id: int, **values) -> None:
    with ctx.factory() as session:
        session.execute(update(WhiteListImport).where(WhiteListImport.id == import_id).values(**values))
        session.commit()


def check_job(ctx: JobContext) -> dict:
    """Read, check, resolve, compare and stage. Ends in preview, mapping (headers to choose) or failed."""
    import_id = int(ctx.params["import_id"])
    try:
        with collector.paused():
            return _check(ctx, import_id)
    except Exception as exc:  # noqa: BLE001 - the import must not stay "checking" for ever
        error = (RowError.of(exc) if isinstance(exc, DomainError)
                 else RowError(None, None, N_("检查时出错：%(error)s"), params={"error": type(exc).__name__}))
        with ctx.factory() as session:
            still = session.scalar(select(WhiteListImport.state).where(WhiteListImport.id == import_id))
        if still == "checking":
            _fail_import(ctx, import_id, [error])
        raise


def _check(ctx: JobContext, import_id: int) -> dict:
    progress = ctx.progress
    with ctx.factory() as session:
        imp = get(session, import_id)
        if imp.state != "checking":
            raise Conflict("该导入不在检查中")
        kind, label, filename, sheet = imp.kind, imp.batch_label, imp.filename, (imp.summary or {}).get("sheet", "")
        path = upload_path(ctx.folder, import_id)
        if not path.exists():
            _fail_import(ctx, import_id, [RowError(None, None, N_("上传的文件已不存在，请重新上传"))])
            raise DomainError("上传的文件已不存在，请重新上传")
        progress.phase(N_("读取文件"))
        remembered = remembered_mappings(session)
        spool = RowSpool()
        try:
            return _check_spooled(ctx, session, import_id, path, (kind, label, filename, sheet), remembered, spool)
        finally:
            spool.close()


def _check_spooled(ctx: JobContext, session, import_id: int, path: Path, what: tuple, remembered: dict,
                   spool: RowSpool) -> dict:
    """Read and check the file row by row into the spool (the reader is let go after), then resolve, compare
    and stage the rows a chunk at a time: memory holds the firm index and one chunk, not the file."""
    kind, label, filename, sheet = what
    progress = ctx.progress
    try:
        grid = read_grid(path.read_bytes(), filename, sheet or None, has_header_for(remembered), _limits(ctx.config))
        progress.phase(N_("检查每一行"), max(0, grid.height - 1))
        checked = check_grid(session, grid, kind, remembered, progress=progress.update, max_errors=None, spool=spool)
    except DomainError as exc:
        _fail_import(ctx, import_id, [RowError.of(exc, field=None)])
        return {"import_id": import_id, "state": "failed", "errors": 1}
    grid.release()  # the workbook's cells: every row is in the spool now
    del grid
    if checked.unknown_headers:
        mapping = {"sheet": checked.sheet, "header_row": checked.header_row,
                   "columns": [{"index": c.index, "header": c.header, "field": c.field} for c in checked.columns],
                   "samples": {str(k): v for k, v in checked.samples.items()}}
        _set(ctx, import_id, state="mapping", summary={"sheet": sheet, "mapping": mapping})
        return {"import_id": import_id, "state": "mapping"}
    if checked.errors:
        _fail_import(ctx, import_id, checked.errors)
        return {"import_id": import_id, "state": "failed", "errors": len(checked.errors)}
    thresholds = batches.Thresholds(ctx.config.get("RESOLVE_AUTO_THRESHOLD", 92),
                                    ctx.config.get("RESOLVE_REVIEW_THRESHOLD", 75))
    try:
        label = batches.check_batch_label(session, kind, label)
        progress.phase(N_("匹配企业名称"), checked.row_count)
        resolver = batches.firm_resolver(session, thresholds)
        comparison = None
        done = 0
        for chunk in spool.chunks():
            batches.resolve_chunk(session, resolver, chunk)
            if comparison is None:  # after the first chunk: the name index (if any name needs it) is built first
                comparison = batches.Comparison(session, kind, label)
            comparison.feed(chunk)
            if not comparison.errors:  # staged as it goes, each chunk its own short transaction
                staging.insert(session, import_id, chunk)
                session.commit()
            done += len(chunk)
            progress.update(done)
        del resolver
        summary = (comparison or batches.Comparison(session, kind, label)).summary()
    except batches.ImportRejected as exc:
        session.rollback()
        _fail_import(ctx, import_id, exc.errors)
        return {"import_id": import_id, "state": "failed", "errors": len(exc.errors)}
    except DomainError as exc:
        session.rollback()
        _fail_import(ctx, import_id, [RowError.of(exc)])
        return {"import_id": import_id, "state": "failed", "errors": 1}
    except BaseException:
        session.rollback()
        with ctx.factory() as other:
            staging.remove(other, [import_id])
            other.commit()
        raise
    session.rollback()
    progress.phase(N_("保存预览"), 1)
    summary["sheet"] = sheet
    moved = session.execute(update(WhiteListImport).where(WhiteListImport.id == import_id,
                                                          WhiteListImport.state == "checking").values(
        summary=summary, state="preview", error_count=0, expires_at=utcnow() + timedelta(days=PREVIEW_DAYS))).rowcount
    if not moved:  # discarded or expired meanwhile: its rows go
        staging.remove(session, [import_id])
    session.commit()
    path.unlink(missing_ok=True)
    return {"import_id": import_id, "state": "preview", "rows": summary["rows"],
            "url": f"/whitelists/imports/{import_id}", "label": N_("查看预览")}


def _fail_import(ctx: JobContext, import_id: int, errors: list[RowError]) -> None:
    """Every error into a file (row, column, value, msgid and values); the first ERRORS_SHOWN into the summary."""
    write_errors(errors_path(ctx.folder, import_id), errors)
    shown = [e.stored() for e in errors[:ERRORS_SHOWN]]
    with ctx.factory() as session:
        staging.remove(session, [import_id])
        session.execute(update(WhiteListImport).where(WhiteListImport.id == import_id).values(
            state="failed", error_count=len(errors), summary={"errors": shown, "error_count": len(errors)}))
        session.commit()
    upload_path(ctx.folder, import_id).unlink(missing_ok=True)


def write_errors(path: Path, errors: list[RowError]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for e in errors:
            out.write(json.dumps(e.stored(), ensure_ascii=False) + "\n")


def read_errors(path: Path) -> Iterator[RowError]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield RowError.from_stored(json.loads(line))


def write_errors_xlsx(target, errors: Iterable[RowError], locale: str | None = None) -> None:
    """The list of errors (row, column, value, reason) as a workbook in `locale` (None: Chinese), row by row."""
    tr = translator(locale)
    book = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    sheet = book.add_worksheet(tr(N_("错误清单"))[:31])
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 2, 20)
    sheet.set_column(3, 3, 60)
    sheet.write_row(0, 0, [tr(N_("行号")), tr(N_("列")), tr(N_("值")), tr(N_("原因"))])
    for n, e in enumerate(errors, start=1):
        if e.row is not None:
            sheet.write_number(n, 0, e.row)
        sheet.write_string(n, 1, e.column_in(tr))
        sheet.write_string(n, 2, e.value or "")
        sheet.write_string(n, 3, e.reason(tr))
    book.close()


def commit_job(ctx: JobContext) -> dict:
    """Write the batch in one transaction. On failure the import goes back to preview, nothing written."""
    with collector.paused():
        return _commit(ctx, int(ctx.params["import_id"]))


def _commit(ctx: JobContext, import_id: int) -> dict:
    ctx.progress.phase(N_("写入名单"))
    with ctx.factory() as session:
        imp = get(session, import_id)
        if imp.state != "committing":
            raise Conflict("该导入不在导入中")
        actor = session.get(User, ctx.user_id) if ctx.user_id else None
        ctx.progress.phase(N_("写入名单"), staging.count(session, import_id))
        try:
            pending = imp.pending_reviews
            if pending:
                raise DomainError("还有 %(n)s 行名称待确认，请先完成名称确认", n=pending)
            batch = batches.commit_chunks(session, actor, imp.kind, imp.batch_label, imp.filename,
                                          batches.staged_chunks(session, import_id),
                                          staging.count(session, import_id), progress=ctx.progress.update)
            staging.remove(session, [import_id])
            imp.state, imp.batch_id = "committed", batch.id
            session.commit()
        except Exception:
            session.rollback()
            _set(ctx, import_id, state="preview")
            raise
        return {"import_id": import_id, "batch_id": batch.id, "rows": batch.row_count,
                "url": f"/whitelists/{batch.kind}?batch={batch.id}",
                # the label's values: {"t": msgid} is translated where shown, a plain value is user data
                "label": N_("%(kind)s %(batch)s"), "label_params": {"kind": {"t": batch.kind_label}, "batch": batch.label}}


def expire_previews(session: Session, folder: Path | None = None, now=None) -> int:
    """Imports left unfinished past their expiry: expired, their staged rows and files removed."""
    now = now or utcnow()
    stale = list(session.scalars(select(WhiteListImport.id).where(
        WhiteListImport.state.in_(("checking", "mapping", "failed", "preview")),
        WhiteListImport.expires_at.is_not(None), WhiteListImport.expires_at < now)))
    for start in range(0, len(stale), 500):
        chunk = stale[start:start + 500]
        session.execute(update(WhiteListImport).where(WhiteListImport.id.in_(chunk)).values(state="expired"))
        staging.remove(session, chunk)
    if folder is not None:
        for import_id in stale:
            upload_path(folder, import_id).unlink(missing_ok=True)
            errors_path(folder, import_id).unlink(missing_ok=True)
            legacy_errors_path(folder, import_id).unlink(missing_ok=True)
    return len(stale)

"""The six white lists: overview, list pages with filters and export (district, township, banks), and the
district's import: upload, header mapping, preview with add/gone/changed, name review, commit, undo."""
from __future__ import annotations

import tempfile
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import func, select

from ...config import files_dir
from ...domain.core.errors import DomainError
from ...domain.core.sheets import limits_from
from ...domain.whitelists import batches, export_files, import_jobs, staging
from ...domain.whitelists import lists as whitelists
from ...domain.whitelists.checking import FIELDS, MAPPING_CHOICES, RowError, needs_mark, remember_mappings
from ...models import Firm, Township
from ...models.whitelists import PROJECT_KINDS, WHITELIST_KINDS, WhiteListEntry, WhiteListImport
from ...text import N_
from .. import i18n, nav
from ..common import Page, apply_domain_error, apply_sort, paginate, roles_required, session
from .forms import ActionForm, ImportForm

bp = Blueprint("whitelists", __name__, url_prefix="/whitelists")
VIEW_ROLES = whitelists.VIEW_ROLES
STATUS_TABS = {"all": N_("全部"), "add": N_("新增"), "changed": N_("变更"), "same": N_("不变"), "review": N_("待确认"),
               "new": N_("新建企业")}
# how an entry was matched, in the list's narrow column
MATCH_SHORT = {"uscc": N_("信用代码"), "alias": N_("已确认名称"), "name": N_("名称"), "review": N_("人工确认"),
               "new": N_("新建企业")}

for _role in VIEW_ROLES:
    nav.add(_role, "whitelists.index", "白名单", "list-stars")
nav.add("district", "whitelists.upload", "导入白名单", "upload")


@bp.app_context_processor
def _list_badges() -> dict:
    """Firm lists elsewhere show which white lists each firm is on: firm_whitelists(firms) -> {id: kinds}."""
    return {"WHITELIST_KINDS": WHITELIST_KINDS,
            "firm_whitelists": lambda firms: whitelists.whitelist_kinds_by_firm(session(), [f.id for f in firms])}


def _fail(exc: DomainError):
    if exc.status in (403, 404):
        abort(exc.status, i18n.error_text(exc))
    flash(i18n.error_text(exc), "danger")


def _html(message: str, **params) -> Markup:
    """`message` in the reader's language as HTML, its values escaped (those wrapped by i18n.data stay marked)."""
    text = Markup(escape(gettext(message)))
    return text % params if params else text


@bp.app_template_global("wl_error_line")
def error_line(stored: dict) -> Markup:
    """An error of a file as an import keeps it (RowError.stored()), in the reader's language; its values from
    the file marked as user data."""
    return RowError.from_stored(stored).text(_html, i18n.data)


@bp.app_template_global("wl_note_line")
def note_line(note: str) -> Markup:
    """A staged row's resolution note in the reader's language (the firm's name in it marked)."""
    return batches.note_text(note, _html, i18n.data)


@bp.app_template_global("wl_order_line")
def order_line(summary: dict, label: str) -> Markup:
    """Where an older batch goes among the list's batches, in the reader's language."""
    # a label of digits reads the same in every language: only one with words in it is marked as user data
    return batches.order_note(summary.get("previous_label"), summary.get("current_label"), label, _html,
                              lambda v: i18n.data(v) if needs_mark(v) else v)


def _thresholds() -> batches.Thresholds:
    return batches.Thresholds(current_app.config["RESOLVE_AUTO_THRESHOLD"],
                              current_app.config["RESOLVE_REVIEW_THRESHOLD"])


@bp.get("/")
@roles_required(*VIEW_ROLES)
def index():
    db = session()
    current = whitelists.current_batches(db)
    counts = {}
    for kind in WHITELIST_KINDS:
        query = whitelists.visible_entries(current_user, kind, whitelists.ListFilters(), db)
        counts[kind] = db.scalar(select(func.count()).select_from(query.subquery()))
    pending = import_jobs.open_imports(db) if current_user.role == "district" else []
    return render_template("whitelists/index.html", kinds=WHITELIST_KINDS, current=current, counts=counts,
                           batches=whitelists.batches(db, active_only=False), pending=pending,
                           undo_form=ActionForm())


def _filters() -> whitelists.ListFilters:
    return whitelists.ListFilters(
        batch_id=request.args.get("batch", type=int), township_id=request.args.get("township", type=int),
        industry=request.args.get("industry", ""), q=request.args.get("q", ""),
        open_request=request.args.get("open") == "1" and current_user.role in ("district", "township"))


SORTS = {"row": WhiteListEntry.row_no, "name": Firm.name, "amount": WhiteListEntry.investment_wan,
         "project": WhiteListEntry.project_name}


def _sort() -> str:
    """The order the list is shown in, as apply_sort reads ?sort= (an unknown column: file order)."""
    key = request.args.get("sort", "row")
    return ("-" if key.startswith("-") else "") + (key.lstrip("-") if key.lstrip("-") in SORTS else "row")


def _list_query(kind: str, filters: whitelists.ListFilters | None = None):
    query = whitelists.visible_entries(current_user, kind, filters or _filters(), session())
    return apply_sort(query, SORTS, "row")


@bp.get("/<kind>")
@roles_required(*VIEW_ROLES)
def entries(kind: str):
    if kind not in WHITELIST_KINDS:
        abort(404)
    db = session()
    filters = _filters()
    filters.batch_id = whitelists.list_batch_id(db, kind, filters)
    page = paginate(_list_query(kind, filters), current_app.config["PAGE_SIZE"],
                    total=whitelists.entry_count(current_user, kind, filters, db))
    kind_batches = whitelists.batches(db, kind)
    return render_template("whitelists/list.html", kind=kind, kind_label=WHITELIST_KINDS[kind], page=page,
                           project=kind in PROJECT_KINDS, batches=kind_batches,
                           current=whitelists.current_batches(db).get(kind),
                           townships=db.scalars(select(Township).order_by(Township.id)).all(),
                           methods=MATCH_SHORT)


@bp.get("/<kind>/export.<fmt>")
@roles_required(*VIEW_ROLES)
def export(kind: str, fmt: str):
    if kind not in WHITELIST_KINDS or fmt not in ("xlsx", "csv"):
        abort(404)
    locale = i18n.locale()  # headers, labels and the file's name in the language of who downloads it
    header, title = whitelists.export_header(kind, locale), whitelists.export_title(kind, locale)
    if fmt == "xlsx":
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        mime = "text/csv; charset=utf-8"
    headers = {"Content-Disposition": f"attachment; filename=whitelist-{kind}.{fmt}; "
                                      f"filename*=UTF-8''{quote(f'{title}.{fmt}')}"}
    filters = _filters()
    if not (filters.township_id or filters.industry or filters.q.strip() or filters.open_request):
        # the whole list (of the reader's scope): kept as a file per version of the list, see export_files
        db = session()
        filters.batch_id = whitelists.list_batch_id(db, kind, filters)
        query = _list_query(kind, filters)
        scope = f"t{current_user.township_id}" if current_user.role == "township" else "all"
        name = export_files.file_name(kind, scope, locale, _sort(), fmt, (
            export_files.list_stamp(db, filters.batch_id), header, title, whitelists.export_labels(locale)))
        path = export_files.kept_file(_folder(), name, lambda out: _write_export(kind, fmt, query, header, title,
                                                                                locale, out))
        response = send_file(path, mimetype=mime, max_age=0)
        response.headers.update(headers)
        return response
    # Filtered: streamed in constant memory, plain columns read 1,000 rows at a time, the CSV sent as it is
    # written, the workbook written row by row (constant_memory) to a temporary file and sent from it. The stream
    # has its own session: the request's is closed when the view returns, before the body is sent.
    # The query runs here, inside the view, so that a bad filter is handled like on any page.
    own = current_app.extensions["db_sessionmaker"]()
    try:
        result = own.execute(whitelists.export_select(_list_query(kind, filters)).execution_options(yield_per=1000))
    except Exception:
        own.close()
        raise

    def entries_():
        try:
            yield from result
        finally:
            own.close()

    rows = whitelists.export_plain_rows(kind, entries_(), locale)
    if fmt == "xlsx":
        data = whitelists.xlsx_chunks(header, rows, title)
    else:
        data = whitelists.csv_chunks(header, rows)
    return Response(data, mimetype=mime, headers=headers)


def _write_export(kind: str, fmt: str, query, header: list[str], title: str, locale: str, out) -> None:
    """Write the export of `query` to the binary file `out` (rows read 1,000 at a time in a session of its own)."""
    with current_app.extensions["db_sessionmaker"]() as own:
        result = own.execute(whitelists.export_select(query).execution_options(yield_per=1000))
        rows = whitelists.export_plain_rows(kind, result, locale)
        if fmt == "xlsx":
            whitelists.write_xlsx(out, header, rows, title)
        else:
            for chunk in whitelists.csv_chunks(header, rows):
                out.write(chunk)


# ------------------------------------------------------------------ import (district only)
# Upload -> the file is stored and a job checks it (import_jobs.check_job) -> the preview page shows the job's
# progress, then the preview, the mapping screen or the errors. The commit is a job too.

def _jobs():
    return current_app.extensions["jobs"]


def _folder() -> Path:
    return files_dir(current_app)


def _submit_check(db, imp) -> None:
    job = _jobs().submit(db, "wl_check", current_user, {"import_id": imp.id})
    import_jobs.attach_job(db, imp, job.id)
    db.commit()


@bp.route("/import", methods=["GET", "POST"])
@roles_required("district")
def upload():
    db = session()
    form = ImportForm()
    if request.method == "GET":
        form.kind.data = form.kind.data or request.args.get("kind", "")
    if form.validate_on_submit():
        limits = limits_from(current_app.config)
        stream = form.file.data.stream
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(0)
        try:
            import_jobs.check_upload_size(size, limits)
            imp = import_jobs.start_import(db, current_user, _folder(), form.file.data.read(), form.kind.data,
                                           form.batch.data.strip(), form.file.data.filename or "upload",
                                           (form.sheet.data or "").strip())
            db.commit()
            _submit_check(db, imp)
        except DomainError as exc:
            db.rollback()
            exc.field = exc.field if exc.field in ("batch", "sheet", "kind") else "file"
            apply_domain_error(exc, form)
        else:
            return redirect(url_for("whitelists.preview", import_id=imp.id))
    return render_template("whitelists/upload.html", form=form, errors=[]), (422 if form.errors else 200)


@bp.route("/imports/<int:import_id>/mapping", methods=["GET", "POST"])
@roles_required("district")
def mapping(import_id: int):
    db = session()
    imp = _import_or_abort(db, import_id, state=None)
    info = (imp.summary or {}).get("mapping")
    if imp.state != "mapping" or not info:
        return redirect(url_for("whitelists.preview", import_id=imp.id))
    checked = SimpleNamespace(sheet=info["sheet"], header_row=info["header_row"],
                              columns=[SimpleNamespace(**c) for c in info["columns"]],
                              samples={int(k): v for k, v in info["samples"].items()})
    form = ActionForm()
    errors = {}
    if form.validate_on_submit():
        chosen = {c.header: request.form.get(f"map-{c.index}", "") for c in checked.columns if c.field is None}
        try:
            errors = import_jobs.choose_mapping(db, imp, chosen)
            if not errors:
                remember_mappings(db, chosen)
                db.commit()
                _submit_check(db, imp)
                return redirect(url_for("whitelists.preview", import_id=imp.id))
        except DomainError as exc:
            db.rollback()
            flash(i18n.error_text(exc), "danger")
            return redirect(url_for("whitelists.preview", import_id=imp.id))
    meta = {"batch": imp.batch_label, "filename": imp.filename}
    return render_template("whitelists/mapping.html", checked=checked, meta=meta, form=form, choices=MAPPING_CHOICES,
                           errors=errors, kind_label=WHITELIST_KINDS[imp.kind]), (422 if errors else 200)


@bp.get("/imports/<int:import_id>/errors.xlsx")
@roles_required("district")
def errors_xlsx(import_id: int):
    """Every error of a failed import as a workbook in the reader's language, built from the stored msgids."""
    imp = _import_or_abort(session(), import_id, state=None)
    path, legacy = import_jobs.errors_path(_folder(), imp.id), import_jobs.legacy_errors_path(_folder(), imp.id)
    if imp.state != "failed" or not (path.exists() or legacy.exists()):
        abort(404)
    name = gettext("错误清单-%(name)s", name=imp.filename) + ".xlsx"
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if not path.exists():  # made before errors were kept as msgids: in Chinese, as it was written
        return send_file(legacy, as_attachment=True, download_name=name, mimetype=mime)
    book = tempfile.TemporaryFile()
    import_jobs.write_errors_xlsx(book, import_jobs.read_errors(path), i18n.locale())
    book.seek(0)
    return send_file(book, as_attachment=True, download_name=name, mimetype=mime)


def _import_or_abort(db, import_id: int, state: str | None = "preview") -> WhiteListImport:
    try:
        return batches.get_import(db, import_id, state)
    except DomainError as exc:
        abort(exc.status, i18n.error_text(exc))


@bp.get("/imports/<int:import_id>")
@roles_required("district")
def preview(import_id: int):
    db = session()
    imp = _import_or_abort(db, import_id, state=None)
    if imp.state == "mapping":
        return redirect(url_for("whitelists.mapping", import_id=imp.id))
    if imp.state in ("checking", "committing", "failed", "expired"):
        return render_template("whitelists/import_status.html", imp=imp, s=imp.summary or {}, form=ActionForm()), \
            (422 if imp.state == "failed" else 200)
    tab = request.args.get("tab", "all") if request.args.get("tab") in STATUS_TABS else "all"
    try:
        page_no = min(max(1, int(request.args.get("page", 1))), 2**31 // 50)
    except ValueError:
        page_no = 1
    per_page = 50
    rows, total = staging.page(db, imp.id, tab, (page_no - 1) * per_page, per_page)
    page = Page(rows, page_no, per_page, total)
    townships = dict(db.execute(select(Township.id, Township.name)).all())
    return render_template("whitelists/preview.html", imp=imp, s=imp.summary, page=page, tab=tab, tabs=STATUS_TABS,
                           townships=townships, project=imp.kind in PROJECT_KINDS, fields=FIELDS,
                           target=batches.target, form=ActionForm())


@bp.route("/imports/<int:import_id>/review", methods=["GET", "POST"])
@roles_required("district")
def review(import_id: int):
    db = session()
    imp = _import_or_abort(db, import_id)
    form = ActionForm()
    if form.validate_on_submit():
        choices = {}
        for key, value in request.form.items():
            if key.startswith("choice-") and key[7:].isdigit():
                choices[int(key[7:])] = value
        try:
            decided = batches.decide(db, current_user, imp, choices)
        except DomainError as exc:
            db.rollback()
            flash(i18n.error_text(exc), "danger")
            imp = _import_or_abort(db, import_id)
        else:
            db.commit()
            if decided:
                flash(gettext("已确认 %(n)s 个名称，已记住这些写法", n=decided), "success")
            else:
                flash(gettext("没有选择任何名称的对应企业，未做任何确认：请在每行选择对应的企业或“新企业”后再保存"), "warning")
                return redirect(url_for("whitelists.review", import_id=imp.id))
            if not imp.pending_reviews:
                return redirect(url_for("whitelists.preview", import_id=imp.id))
            return redirect(url_for("whitelists.review", import_id=imp.id))
    rows, total = staging.review_rows(db, imp.id, 100)
    townships = dict(db.execute(select(Township.id, Township.name)).all())
    return render_template("whitelists/review.html", imp=imp, rows=rows, total=total, form=form,
                           townships=townships, project=imp.kind in PROJECT_KINDS)


def _act(action, back: str):
    """A POST action: CSRF check, the domain call, one commit; a refused action flashes and goes back."""
    if not ActionForm().validate_on_submit():
        abort(400)
    db = session()
    try:
        result = action(db)
    except DomainError as exc:
        db.rollback()
        _fail(exc)
        return None, redirect(back)
    db.commit()
    return result, None


@bp.post("/imports/<int:import_id>/commit")
@roles_required("district")
def commit(import_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    db = session()
    imp = _import_or_abort(db, import_id, state=None)
    try:
        import_jobs.begin_commit(db, imp)
        db.commit()
    except DomainError as exc:
        db.rollback()
        _fail(exc)
        return redirect(url_for("whitelists.preview", import_id=import_id))
    try:
        job = _jobs().submit(db, "wl_commit", current_user, {"import_id": imp.id})
    except DomainError as exc:  # the queue is down: back to the preview, nothing written
        import_jobs.cancel_commit(db, imp)
        db.commit()
        _fail(exc)
        return redirect(url_for("whitelists.preview", import_id=import_id))
    import_jobs.attach_job(db, imp, job.id)
    db.commit()
    flash(gettext("正在后台导入，完成后本页显示结果"), "info")
    return redirect(url_for("whitelists.preview", import_id=import_id))


@bp.post("/imports/<int:import_id>/discard")
@roles_required("district")
def discard(import_id: int):
    imp = _import_or_abort(session(), import_id, state=None)
    if imp.state not in ("preview", "failed", "mapping"):
        abort(409, gettext("该导入已确认、已放弃或正在处理"))
    _, refused = _act(lambda db: batches.discard(db, current_user, imp), url_for("whitelists.index"))
    if not refused:
        flash(gettext("已放弃本次导入，名单未改变"), "info")
    return refused or redirect(url_for("whitelists.index"))


@bp.post("/batches/<int:batch_id>/undo")
@roles_required("district")
def undo(batch_id: int):
    batch, refused = _act(lambda db: batches.undo_batch(db, current_user, batch_id), url_for("whitelists.index"))
    if not refused:
        flash(_html(N_("已撤销%(kind)s %(batch)s"), kind=gettext(batch.kind_label), batch=i18n.data(batch.label)),
              "success")
    return refused or redirect(url_for("whitelists.index"))

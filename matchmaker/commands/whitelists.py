"""White-list commands: import-whitelist, export-whitelist, and resolve-names (which needs no database)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..domain.core.translate import cli as _
from ..models.whitelists import WHITELIST_KINDS

KIND = click.Choice(sorted(WHITELIST_KINDS))
OUT_COLUMNS = ("matched_uscc", "matched_name", "score", "decision")
NAME_HEADERS = ("name", "企业名称", "名称", "单位名称", "公司名称")
USCC_HEADERS = ("uscc", "统一社会信用代码", "信用代码")


def _thresholds():
    from ..domain.whitelists.batches import Thresholds

    return Thresholds(current_app.config["RESOLVE_AUTO_THRESHOLD"], current_app.config["RESOLVE_REVIEW_THRESHOLD"])


@click.command("import-whitelist")
@click.argument("kind", type=KIND)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch", "batch_label", required=True, help="batch label starting with the year, e.g. 2023")
@click.option("--sheet", default=None, help="sheet name (default: the first sheet with a header row)")
@click.option("--map", "mappings", multiple=True, metavar="HEADER=FIELD",
              help="map an unknown header (remembered): FIELD is name, uscc, township, industry, project_name, "
                   "investment_wan, remark, extra or ignore")
@click.option("--dry-run", is_flag=True, help="check and compare only; write nothing")
@with_appcontext
def import_whitelist_command(kind: str, file: Path, batch_label: str, sheet: str | None, mappings: tuple[str, ...],
                             dry_run: bool):
    """Import a white list from .xlsx or .csv: check, resolve firms, compare with the previous batch, commit."""
    from ..domain.core.errors import DomainError
    from ..domain.core.sheets import limits_from
    from ..domain.whitelists import batches
    from ..domain.whitelists.checking import check_file, remember_mappings

    with current_app.extensions["db_sessionmaker"]() as session:
        try:
            if mappings:
                remember_mappings(session, dict(m.split("=", 1) for m in mappings if "=" in m))
                if not dry_run:
                    session.commit()
            checked = check_file(session, file.read_bytes(), file.name, kind, sheet,
                                 limits=limits_from(current_app.config))
            if checked.unknown_headers:
                raise DomainError("以下表头无法识别，请用 --map 表头=字段 指定，或在网页“导入白名单”中指定（会被记住）："
                                  "%(headers)s", headers=_("、").join(checked.unknown_headers))
            rows, summary = batches.preview(session, checked, batch_label, _thresholds())
        except batches.ImportRejected as exc:
            for error in exc.errors:
                click.secho(str(error), fg="red", err=True)
            raise click.ClickException(_(exc.msgid, **exc.params)) from None
        except DomainError as exc:
            raise click.ClickException(_(exc.msgid, **exc.params)) from None
        click.echo(_summary_line(summary))
        if dry_run:
            click.echo(_("试运行：未写入任何数据"))
            return
        if summary["review"]:
            imp = batches.stage(session, None, kind, batch_label, file.name, rows, summary)
            session.commit()
            raise click.ClickException(_("有 %(n)s 行名称需要人工确认：请在网页 %(url)s 完成确认后导入（本次未写入名单）",
                                         n=summary["review"], url=f"/whitelists/imports/{imp.id}"))
        batch = batches.commit_rows(session, None, kind, batch_label, file.name, rows)
        session.commit()
        click.echo(_("已导入%(kind)s %(batch)s：%(rows)s 行", kind=_(WHITELIST_KINDS[kind]), batch=batch.label,
                     rows=batch.row_count))


def _summary_line(s: dict) -> str:
    prev = _("（对比上一批次 %(batch)s）", batch=s["previous_label"]) if s["previous_label"] else \
        _("（没有更早的批次可对比）") if s.get("current_label") else _("（首个批次）")
    line = _("共 %(rows)s 行%(previous)s：新增 %(add)s，变更 %(changed)s，不变 %(same)s，移出 %(gone)s；"
             "新建企业 %(new_firms)s，待确认 %(review)s", rows=s["rows"], previous=prev, add=s["add"],
             changed=s["changed"], same=s["same"], gone=s["gone"], new_firms=s["new_firms"], review=s["review"])
    return line + (f"\n{s['order_note']}" if s.get("order_note") else "")


@click.command("export-whitelist")
@click.argument("kind", type=KIND)
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="output file, .xlsx or .csv")
@click.option("--batch", "batch_label", default=None, help="batch label (default: the current batch)")
@click.option("--township", "township_name", default=None, help="only this township")
@with_appcontext
def export_whitelist_command(kind: str, output: Path, batch_label: str | None, township_name: str | None):
    """Export a white list (current batch by default) to .xlsx or .csv."""
    from sqlalchemy import select

    from ..domain.whitelists import lists as whitelists
    from ..models import Township, User
    from ..models.whitelists import WhiteListBatch, WhiteListEntry

    if output.suffix.lower() not in (".xlsx", ".csv"):
        raise click.ClickException(_("输出文件须为 .xlsx 或 .csv"))
    with current_app.extensions["db_sessionmaker"]() as session:
        filters = whitelists.ListFilters()
        if batch_label:
            filters.batch_id = session.scalar(select(WhiteListBatch.id).where(
                WhiteListBatch.kind == kind, WhiteListBatch.label == batch_label, WhiteListBatch.state == "active"))
            if filters.batch_id is None:
                raise click.ClickException(_("没有批次 %(batch)s", batch=batch_label))
        if township_name:
            filters.township_id = session.scalar(select(Township.id).where(Township.name == township_name))
            if filters.township_id is None:
                raise click.ClickException(_("没有镇街 %(township)s", township=township_name))
        query = whitelists.visible_entries(User(role="district"), kind, filters, session)
        entries = session.scalars(query.order_by(WhiteListEntry.row_no, WhiteListEntry.id)).all()
        header, rows = whitelists.export_table(kind, entries)
    data = whitelists.to_xlsx(header, rows, WHITELIST_KINDS[kind]) if output.suffix.lower() == ".xlsx" \
        else whitelists.to_csv(header, rows)
    output.write_bytes(data)
    click.echo(_("已导出 %(n)s 行到 %(output)s", n=len(rows), output=output))


def _read_table(path: Path, registry: bool = False) -> tuple[list[str], list[dict]]:
    from ..domain.core.errors import DomainError
    from ..domain.core.sheets import DEFAULT_LIMITS, MIB, SheetLimits
    from ..domain.whitelists.files import read_csv_bytes

    # a registry of every firm may be far longer than an uploaded list; a local file, still read within limits
    limits = SheetLimits(max_rows=2_000_000, max_file_bytes=512 * MIB) if registry else DEFAULT_LIMITS
    try:
        rows = read_csv_bytes(path.read_bytes(), limits)
    except DomainError as exc:
        raise click.ClickException(_("%(file)s：%(error)s", file=path, error=_(exc.msgid, **exc.params))) from None
    if not rows:
        raise click.ClickException(_("%(file)s 是空文件", file=path))
    header = [h.strip() for h in rows[0]]
    return header, [dict(zip(header, r + [""] * (len(header) - len(r)))) for r in rows[1:] if any(c.strip() for c in r)]


def _column(header: list[str], wanted: tuple[str, ...], path: Path, required: bool = True) -> str | None:
    lowered = {h.lower(): h for h in header}
    for name in wanted:
        if name in lowered:
            return lowered[name]
    if required:
        raise click.ClickException(_("%(file)s 缺少 %(column)s 列", file=path, column=wanted[0]))
    return None


@click.command("resolve-names")
@click.argument("registry", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("names", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--auto-threshold", type=float, default=None, help="default: MATCHMAKER_RESOLVE_AUTO or 92")
@click.option("--review-threshold", type=float, default=None, help="default: MATCHMAKER_RESOLVE_REVIEW or 75")
def resolve_names_command(registry: Path, names: Path, output: Path, auto_threshold, review_threshold):
    """Match NAMES.csv (column name) against REGISTRY.csv (columns uscc,name); no database needed.

    OUT.csv has the NAMES columns plus matched_uscc, matched_name, score (0-100) and decision (auto/review/new).
    """
    from ..config import resolve_thresholds
    from ..domain.firms.entity_resolution import AUTO, Resolver
    from ..domain.whitelists.lists import neutralise

    default_auto, default_review = resolve_thresholds()
    reg_header, reg_rows = _read_table(registry, registry=True)
    reg_name, reg_code = _column(reg_header, NAME_HEADERS, registry), _column(reg_header, USCC_HEADERS, registry)
    resolver = Resolver(((r[reg_code].strip() or f"#{i}", r[reg_code], r[reg_name]) for i, r in enumerate(reg_rows)),
                        auto_threshold=auto_threshold if auto_threshold is not None else default_auto,
                        review_threshold=review_threshold if review_threshold is not None else default_review)
    header, rows = _read_table(names)
    name_col = _column(header, NAME_HEADERS, names)
    code_col = _column(header, USCC_HEADERS, names, required=False)
    columns = [h for h in header if h not in OUT_COLUMNS] + list(OUT_COLUMNS)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writerow({c: neutralise(c) for c in columns})
    counts = {"auto": 0, "review": 0, "new": 0}
    resolutions = resolver.resolve_many((row[name_col], row[code_col] if code_col else None) for row in rows)
    for row, res in zip(rows, resolutions):
        shown = res.best if res.decision != "new" else None
        counts[res.decision] += 1
        written = {**row, "matched_uscc": (shown.uscc or "") if shown else "",
                   "matched_name": shown.name if shown else "", "score": f"{res.score:.1f}", "decision": res.decision}
        writer.writerow({key: neutralise(value) for key, value in written.items()})
    output.write_text(out.getvalue(), encoding="utf-8")
    click.echo(_("%(n)s 个名称：自动匹配 %(auto)s，待确认 %(review)s，新企业 %(new)s -> %(output)s", n=len(rows),
                 auto=counts[AUTO], review=counts["review"], new=counts["new"], output=output), err=True)


COMMANDS = [import_whitelist_command, export_whitelist_command, resolve_names_command]

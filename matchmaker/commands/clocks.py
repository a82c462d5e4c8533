"""Clock commands: `matchmaker sweep` (expire, re-route, escalate) and the working-day override table."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..domain.core.translate import cli as _
from ..domain.core.workdays import CST_OFFSET


def parse_now(text: str | None) -> datetime | None:
    """ISO date or date-time to naive UTC; without an offset it is read as Beijing time."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(_("“%(text)s”不是 ISO 日期时间（如 2025-01-28T09:00 或 2025-01-28T09:00+08:00）", text=text)) from None
    if not 2000 <= value.year <= 2100:
        raise click.BadParameter(_("“%(text)s”超出 2000–2100 年", text=text))
    if value.tzinfo is None:
        return value - CST_OFFSET
    return value.astimezone(timezone.utc).replace(tzinfo=None)


@click.command("sweep")
@click.option("--now", "now_text", default=None, help="run the clocks as at this ISO time (Beijing time unless "
                                                       "it has an offset); default: now")
@click.option("--json", "as_json", is_flag=True, help="print the result as one JSON line")
@with_appcontext
def sweep_command(now_text: str | None, as_json: bool):
    """Expire unclaimed leads past their claim deadline (re-routing their requests), escalate claimed leads past
    the contact or decision deadline. Idempotent; safe to run every few minutes and concurrently."""
    from ..domain.requests import sweep

    cfg = current_app.config
    with current_app.extensions["db_sessionmaker"]() as session:
        result = sweep.sweep(session, parse_now(now_text), claim_workdays=cfg["CLAIM_WORKDAYS"],
                             contact_workdays=cfg["CONTACT_WORKDAYS"], decision_workdays=cfg["DECISION_WORKDAYS"])
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, sort_keys=True))
        return
    click.echo(_("[%(today)s] 超时线索 %(expired)s 条，转派需求 %(rerouted)s 个（新线索 %(new_leads)s 条），"
                 "转为未匹配 %(unmatched)s 个；超期督办：未联系 %(contact)s 条，未决定 %(decision)s 条",
                 today=result.today, expired=result.expired, rerouted=result.rerouted_requests,
                 new_leads=result.new_leads, unmatched=result.unmatched, contact=result.escalated["contact"],
                 decision=result.escalated["decision"]))
    if result.calendar_fallback_days:
        click.secho(_("注意：未来60天中有 %(days)s 天不在调休表和 chinese_calendar 数据范围内，"
                      "暂按周一至周五计算工作日。请在“工作日调休”页补录。", days=result.calendar_fallback_days),
                    fg="yellow", err=True)


@click.command("load-workdays")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--complete", is_flag=True, help="the file is a whole year's schedule: mark its years as fully "
                                               "entered (their unlisted days are plain Monday-Friday)")
@with_appcontext
def load_workdays_command(path: Path, complete: bool):
    """Load working-day overrides from a CSV (date,is_workday,note; 1 = working day, 0 = day off)."""
    from ..domain.core import workdays
    from ..domain.core.errors import DomainError

    with current_app.extensions["db_sessionmaker"]() as session:
        try:
            count = workdays.load_overrides_csv(session, path, complete=complete)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        session.commit()
        marked = sorted(workdays.complete_years(session))
    click.echo(_("已载入 %(count)s 个调休日期（%(file)s）", count=count, file=path.name))
    if complete:
        click.echo(_("已标记为全年已录入的年份：%(years)s", years=_("、").join(str(y) for y in marked)))
    else:
        click.echo(_("提示：若该文件是整年安排，请加 --complete 或在“工作日调休”页标记该年“全年已录入”，否则仍会提示。"))


COMMANDS = [sweep_command, load_workdays_command]

"""`matchmaker report monthly|quarterly|annual`: a bulletin as .xlsx (the issued snapshot when there is one),
and `matchmaker report remind`: remind the banks that have not reported a month."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..domain.core.translate import cli as _

OPTIONS = {"monthly": ("--month", "月份，如 2022-03"), "quarterly": ("--quarter", "季度，如 2022Q1"),
           "annual": ("--year", "年份，如 2022")}


@click.group("report")
def report_group():
    """Bulletins (月通报 / 季评价 / 年考核) as Excel files, and reminders to report."""


def _export(kind: str, key: str, output: Path, live: bool) -> None:
    from ..domain.banks import bulletin_xlsx, bulletins, periods
    from ..domain.core.errors import DomainError

    with current_app.extensions["db_sessionmaker"]() as session:
        try:
            period = periods.parse(kind, key)
        except DomainError as exc:
            raise click.BadParameter(exc.message) from None
        issued = [] if live else bulletins.editions(session, kind, period.key)
        if issued:
            data, status = issued[0].data, _("已发布（第%(edition)s版）", edition=issued[0].edition)
        else:
            data, status = bulletins.compute(session, period), _("未发布（实时数据）")
        output.write_bytes(bulletin_xlsx.workbook(data, status))
    click.echo(_("%(title)s：%(status)s，已写入 %(output)s", title=data["title"], status=status, output=output))


def _make(kind: str) -> click.Command:
    option, help_text = OPTIONS[kind]

    @click.option(option, "key", required=True, help=help_text)
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
                  help="the .xlsx file to write")
    @click.option("--live", is_flag=True, help="today's figures even if the bulletin was issued")
    @with_appcontext
    def command(key: str, output: Path, live: bool):
        _export(kind, key, output, live)

    command.__doc__ = {"monthly": "月通报 for a month as .xlsx.", "quarterly": "季评价 for a quarter as .xlsx.",
                       "annual": "年考核 for a year as .xlsx."}[kind]
    return report_group.command(kind)(command)


for _kind in OPTIONS:
    _make(_kind)


@report_group.command("remind")
@click.option("--month", "key", required=True, help="月份，如 2022-03")
@with_appcontext
def remind_command(key: str):
    """Notify the administrators of every bank that has not reported the month."""
    from ..domain.banks import periods, report_deadlines
    from ..domain.core.errors import DomainError

    with current_app.extensions["db_sessionmaker"]() as session:
        try:
            month = periods.parse_month(key)
            banks = report_deadlines.remind(session, month, f"/reports/submit?month={periods.month_key(month)}")
        except DomainError as exc:
            raise click.BadParameter(exc.message) from None
        session.commit()
    click.echo(_("已提醒 %(n)s 家银行：%(banks)s", n=len(banks),
                 banks=_("、").join(b.name for b in banks) or _("（全部已报送）")))


COMMANDS = [report_group]

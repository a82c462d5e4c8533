"""`matchmaker event-followups [--escalate]`: event intentions with no progress (safe to run from cron), and
`matchmaker event-report ID -o F.xlsx`: an event's report as Excel."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..domain.requests.labels import lead_no


def _session():
    return current_app.extensions["db_sessionmaker"]()


@click.command("event-followups")
@click.option("--escalate", is_flag=True, help="notify township, district and manager (once per lead state)")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="as if on this date")
@click.option("--workdays", type=int, default=None, help="override the setting (working days without progress)")
@with_appcontext
def followups_command(escalate: bool, today, workdays: int | None):
    """List event intentions whose lead has not moved for N working days; optionally escalate them."""
    from ..domain.events import intentions as event_intentions

    day: date | None = today.date() if today else None
    with _session() as session:
        items = event_intentions.followups(session, None, today=day, workdays=workdays)
        for f in items:
            row = f.intention
            click.echo(f"意向#{row.id}\t{row.event.title}\t{row.firm.name}\t{row.bank.name}\t"
                       f"线索 {lead_no(row.lead_id)} {f.lead.state_label}\t{f.idle_workdays}个工作日无进展")
        click.echo(f"共 {len(items)} 条超期未推进的意向")
        if escalate:
            n = event_intentions.escalate(session, today=day, workdays=workdays)
            session.commit()
            click.echo(f"已督办 {n} 条（已督办且状态未变的不重复通知）")


@click.command("event-report")
@click.argument("event_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="the .xlsx file to write")
@with_appcontext
def report_command(event_id: int, output: Path):
    """Write an event's report (attendance, intentions and what became of them) as .xlsx."""
    from ..domain.events import report as event_report
    from ..models import MatchmakingEvent

    with _session() as session:
        event = session.get(MatchmakingEvent, event_id)
        if event is None:
            raise click.ClickException(f"活动 {event_id} 不存在")
        report = event_report.event_report(session, event)
        output.write_bytes(event_report.report_xlsx(report))
    click.echo(f"{event.title}：意向 {report.totals.count} 笔，已放款 {report.totals.disbursed} 笔，已写入 {output}")


COMMANDS = [followups_command, report_command]

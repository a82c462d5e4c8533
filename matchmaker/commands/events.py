"""`matchmaker event-followups [--escalate]`: event intentions with no progress (safe to run from cron), and
`matchmaker event-report ID -o F.xlsx`: an event's report as Excel."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..domain.core.translate import cli as _
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
            click.echo(_("意向#%(id)s\t%(event)s\t%(firm)s\t%(bank)s\t线索 %(lead)s %(state)s\t%(days)s个工作日无进展",
                         id=row.id, event=row.event.title, firm=row.firm.name, bank=row.bank.name,
                         lead=lead_no(row.lead_id), state=_(f.lead.state_label), days=f.idle_workdays))
        click.echo(_("共 %(n)s 条超期未推进的意向", n=len(items)))
        if escalate:
            n = event_intentions.escalate(session, today=day, workdays=workdays)
            session.commit()
            click.echo(_("已督办 %(n)s 条（已督办且状态未变的不重复通知）", n=n))


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
            raise click.ClickException(_("活动 %(id)s 不存在", id=event_id))
        report = event_report.event_report(session, event)
        output.write_bytes(event_report.report_xlsx(report))
    click.echo(_("%(title)s：意向 %(count)s 笔，已放款 %(disbursed)s 笔，已写入 %(output)s", title=event.title,
                     count=report.totals.count, disbursed=report.totals.disbursed, output=output))


COMMANDS = [followups_command, report_command]

"""`matchmaker audit verify`: walk the hash chains of the history and the ledgers, store the result for the
district's page, and exit non-zero naming the first row whose content, order or link is wrong (for cron)."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ..domain.core import audit_chain
from ..domain.core.translate import cli as _


@click.group("audit")
def audit_group():
    """Tamper-evident history."""


@audit_group.command("verify")
@click.option("--no-store", is_flag=True, help="do not record this check (the district's page shows the last)")
@with_appcontext
def verify_command(no_store: bool):
    """Verify every chain; exit code 1 and the first wrong row if one was edited, deleted, swapped or forged."""
    with current_app.extensions["db_sessionmaker"]() as session:
        outcome = audit_chain.verify(session, store=not no_store)
        session.commit()
    for report in outcome.reports:
        if report.problem:
            click.echo(_("%(table)s: 第一处问题：%(problem)s", table=report.table, problem=report.problem), err=True)
        else:
            click.echo(_("%(table)s: %(rows)s 条，链完整（链头 %(head)s…）", table=report.table, rows=report.rows,
                         head=report.head[1][:16]))
    if not outcome.ok:
        click.echo(_("核验未通过：历史记录被改动"), err=True)
        sys.exit(1)
    click.echo(_("核验通过"))


COMMANDS = [audit_group]

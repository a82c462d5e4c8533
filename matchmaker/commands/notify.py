"""`matchmaker send-outbox`: send queued e-mail/SMS notices outside any request's transaction."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..domain.core.translate import cli as _


@click.command("send-outbox")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100000),
              help="send at most this many messages in this run")
@click.option("--queue", "to_queue", is_flag=True, help="enqueue a send job for the worker instead of sending here")
@with_appcontext
def send_outbox_command(limit: int, to_queue: bool):
    """Send pending outbox messages (and retry failed ones); safe to run repeatedly, e.g. every minute from cron.
    The worker (`matchmaker worker`) also sends them every five minutes by itself."""
    from ..domain.notify import outbox

    if to_queue:
        job_id = current_app.extensions["jobs"].submit_internal("send_outbox", {"limit": limit})
        click.echo(_("已加入后台任务 #%(id)s", id=job_id))
        return

    enabled = outbox.enabled_channels()
    unknown = [c for c in outbox.configured_channels() if c not in enabled]
    if unknown:
        click.secho(_("注意：未注册的发送渠道 %(channels)s，已忽略", channels=", ".join(unknown)), fg="yellow")
    result = outbox.send_pending(current_app.extensions["db_sessionmaker"], limit=limit)
    for error in result.errors:
        click.secho(_("失败 %(error)s", error=error), fg="red", err=True)
    click.echo(_("本次取出 %(claimed)s 条：发送成功 %(sent)s 条，失败 %(failed)s 条（失败的将在下次运行时重试）",
                 claimed=result.claimed, sent=result.sent, failed=result.failed))


COMMANDS = [send_outbox_command]

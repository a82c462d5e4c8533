"""`matchmaker worker`: the job queue's consumer (Huey) for production, next to gunicorn; `matchmaker jobs`:
the recent jobs and their state."""
from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from ..domain.core.translate import cli as _


@click.command("worker")
@click.option("--workers", type=click.IntRange(1, 16), default=2, show_default=True, help="worker threads")
@click.option("--no-periodic", is_flag=True, help="do not run the periodic jobs (upkeep, outbox) in this worker")
@with_appcontext
def worker_command(workers: int, no_periodic: bool):
    """Run background jobs (white-list imports, bulletins, reports, outbox) until stopped (Ctrl+C / SIGTERM)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    queue = current_app.extensions["jobs"]
    click.echo(_("matchmaker worker：%(n)s 个线程，队列 %(queue)s", n=workers, queue=queue.url))
    queue.make_consumer(workers=workers, periodic=not no_periodic).run()


@click.command("jobs")
@click.option("--limit", default=20, show_default=True)
@with_appcontext
def jobs_command(limit: int):
    """List the most recent background jobs."""
    from sqlalchemy import select

    from ..domain.jobs.records import kind_label
    from ..models import Job

    with current_app.extensions["db_sessionmaker"]() as session:
        for job in session.scalars(select(Job).order_by(Job.id.desc()).limit(limit)):
            progress = f"{job.done}/{job.total}" if job.total else job.phase
            click.echo(f"#{job.id:<6} {kind_label(job.kind):<10} {job.state_label:<4} {progress:<16} "
                       f"{job.created_at:%Y-%m-%d %H:%M} {job.error[:60]}")


COMMANDS = [worker_command, jobs_command]

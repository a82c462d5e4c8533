"""`matchmaker backup -o FILE` and `matchmaker restore FILE`: the whole database to one file and back
(SQLite online backup; PostgreSQL pg_dump / pg_restore, custom format)."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..domain.core import backups
from ..domain.core.errors import DomainError
from ..domain.core.translate import cli as _


@click.command("backup")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="backup file to write (replaced if it exists)")
@with_appcontext
def backup_command(output: Path):
    """Back up the database to FILE (SQLite: online backup API; PostgreSQL: pg_dump, custom format)."""
    try:
        how = backups.backup(current_app.config["DATABASE_URL"], output)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(_("已备份到 %(file)s：%(how)s", file=output, how=how))


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="restore even though the database already holds tables")
@with_appcontext
def restore_command(source: Path, force: bool):
    """Restore a backup made by `matchmaker backup` into an empty database (PostgreSQL: pg_restore)."""
    current_app.extensions["db_engine"].dispose()
    try:
        said = backups.restore(current_app.config["DATABASE_URL"], source, force=force)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(said)


COMMANDS = [backup_command, restore_command]

"""The `matchmaker` command: init, seed, demo, run, create-user (and more added by feature modules).

What a command writes for people is in the terminal's language (issue 19): English when MATCHMAKER_LOCALE or the
POSIX locale (LC_ALL / LC_MESSAGES / LANG) is en*, Chinese otherwise (`translate.cli_locale`). Messages are
msgids through `_` (extracted by scripts/i18n); option help stays English, like the code."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import config
from .domain.core.translate import cli as _

# Commands that build data and serve no page: their app leaves the web layer out (it is the slower half to load).
WITHOUT_PAGES = {"demo", "seed", "init"}


def _app_factory():
    from . import create_app

    command = click.get_current_context(silent=True)
    return create_app(web=not (command is not None and command.info_name in WITHOUT_PAGES))


@click.group(cls=FlaskGroup, create_app=_app_factory, add_default_commands=False, add_version_option=False)
def main():
    """市中区银企融资对接平台 — matchmaker command line."""


def _engine():
    return current_app.extensions["db_engine"]


def _session():
    return current_app.extensions["db_sessionmaker"]()


@click.command("init")
@with_appcontext
def init_command():
    """Create the database schema, or upgrade it to the newest migration; compile the translation catalogues."""
    from . import catalogues
    from .domain.core import schema

    schema.upgrade(_engine())
    try:
        catalogues.compile_all()
    except OSError as exc:  # an installed copy may be read-only: its wheel carries them compiled
        click.secho(_("注意：翻译目录未编译（%(error)s）", error=exc), fg="yellow")
    click.echo(_("数据库已就绪：%(url)s", url=_engine().url.render_as_string(hide_password=True)))


def _seed() -> list[str]:
    from .domain.core import reference

    with _session() as session:
        warnings = reference.load_all(session, config.SEED_DIR)
        session.commit()
    return warnings


@click.command("seed")
@with_appcontext
def seed_command():
    """Load reference data: townships, the 22 banks with targets, product kinds and products (idempotent)."""
    for warning in _seed():
        click.secho(_("注意：%(warning)s", warning=warning), fg="yellow")
    click.echo(_("基础数据已加载：11个镇街、22家银行及2021–2023年目标、产品目录"))


@click.command("demo")
@click.option("--firms", default=200, show_default=True, help="number of demo firms")
@click.option("--requests", "request_count", default=120, show_default=True, help="number of demo requests")
@click.option("--yes", is_flag=True, help="do not ask before wiping a non-SQLite database")
@with_appcontext
def demo_command(firms: int, request_count: int, yes: bool):
    """Start over: a fresh database with reference data, demo firms, requests and one account per role."""
    from .demo import core as demo
    from .demo import scale
    from .domain.core import schema

    engine = _engine()
    if engine.dialect.name != "sqlite" and not yes:
        click.confirm(_("将清空数据库 %(url)s，继续？", url=engine.url.render_as_string(hide_password=True)),
                      abort=True)
    schema.drop_all(engine)
    schema.upgrade(engine)
    for warning in _seed():
        click.secho(_("注意：%(warning)s", warning=warning), fg="yellow")
    with _session() as session:
        if firms > scale.BULK_FROM_FIRMS or request_count > scale.BULK_FROM_REQUESTS:
            # Large sizes: the ordinary demo underneath, the rest written in bulk, one bar per phase.
            bars = scale.terminal_progress()
            demo_accounts = scale.build(session, firms=firms, requests=request_count, progress=bars)["accounts"]
            bars.phase(_("提交"), 1)
            session.commit()
            bars.advance(1)
            scale.analyse(session, bars)
            bars.close()
        else:
            bars = scale.terminal_progress()  # a bar per phase on a terminal, a line per phase otherwise
            demo_accounts = demo.build(session, firms=firms, requests=request_count, phases=bars)
            bars.phase(_("提交"), 1)
            session.commit()
            bars.advance(1)
            bars.close()
    click.echo("\n" + _("演示账户（密码均为 %(password)s）：", password=demo.DEMO_PASSWORD))
    shown = set()
    for acc in demo_accounts:
        if acc.role in shown and acc.username not in ("manager17", "bankadmin17"):
            continue
        shown.add(acc.role)
        click.echo(f"  {acc.username:<14} {acc.role:<13} {acc.note}")
    click.echo("  " + _("（每家银行另有 managerN / bankadminN，N 为附件序号 1–22；各镇街有 township-<代码>）"))


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug/--no-debug", default=False)
@click.option("--worker", "embedded_worker", is_flag=True, help="run background jobs in this process even with Redis")
def run_command(host: str, port: int, debug: bool, embedded_worker: bool):
    """Serve the app (development server)."""
    from werkzeug.serving import run_simple

    app = _app_factory()
    app.debug = debug
    jobs = app.extensions["jobs"]
    if not jobs.url.startswith("redis") or embedded_worker:
        # the single-machine default: background jobs run in a thread of this process (with Redis, the separate
        # `matchmaker worker` runs them unless --worker asks for one here too)
        jobs.start_thread()
        click.echo(_("后台任务在本进程中运行（队列 %(queue)s）", queue=jobs.url))
    click.echo(_("matchmaker 运行于 %(url)s （Ctrl+C 退出）", url=f"http://{host}:{port}/"))
    # run_simple, not app.run: Flask ignores app.run() inside its own CLI.
    run_simple(host, port, app, use_reloader=False, use_debugger=debug, threaded=True)


@click.command("create-user")
@click.option("--username", prompt=True)
@click.option("--role", type=click.Choice(["enterprise", "bank_manager", "bank_admin", "township", "district"]),
              prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--bank", "bank_name", default=None, help="bank name (bank roles)")
@click.option("--township", "township_name", default=None, help="township name (township role)")
@click.option("--firm-uscc", default=None, help="firm's USCC (enterprise role)")
@click.option("--display-name", default="")
@with_appcontext
def create_user_command(username, role, password, bank_name, township_name, firm_uscc, display_name):
    """Create an account of any role."""
    from sqlalchemy import select

    from .domain.accounts import users as accounts
    from .domain.core.errors import DomainError
    from .models import Bank, Firm, Township

    with _session() as session:
        bank = session.scalar(select(Bank).where(Bank.name == bank_name)) if bank_name else None
        township = session.scalar(select(Township).where(Township.name == township_name)) if township_name else None
        firm = session.scalar(select(Firm).where(Firm.uscc == firm_uscc)) if firm_uscc else None
        try:
            accounts.create_user(session, username, password, role, display_name=display_name,
                                 bank_id=bank.id if bank else None, township_id=township.id if township else None,
                                 firm_id=firm.id if firm else None)
        except DomainError as exc:
            raise click.ClickException(_(exc.msgid, **exc.params)) from None
        session.commit()
    click.echo(_("已创建账户 %(name)s（%(role)s）", name=username, role=role))


def feature_commands() -> list[click.Command]:
    """Commands contributed by feature modules in matchmaker/commands/."""
    import importlib

    from .commands import FEATURE_MODULES

    found = []
    for name in FEATURE_MODULES:
        found.extend(importlib.import_module(f"matchmaker.commands.{name}").COMMANDS)
    return found


def register_cli(app) -> None:
    """Attach the commands to the app's CLI (for `flask --app matchmaker` and app.test_cli_runner())."""
    for command in (init_command, seed_command, demo_command, create_user_command, *feature_commands()):
        app.cli.add_command(command)


for _command in (init_command, seed_command, demo_command, run_command, create_user_command, *feature_commands()):
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""`matchmaker create-token`: make an API token for a bank's or the district's scripts; prints it once."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..domain.core.translate import cli as _


@click.command("create-token")
@click.option("--bank", "bank_seq", type=int, help="银行序号（bank.seq）；与 --district 二选一")
@click.option("--district", is_flag=True, help="区金融办的令牌")
@click.option("--name", required=True, help="令牌名称，如“信贷系统”")
@click.option("--scope", "scopes", multiple=True, required=True,
              help="权限，可多次给出：leads:read leads:write reports:write requests:read district:read")
@click.option("--days", type=int, default=90, show_default=True, help="有效天数（1–366）")
@with_appcontext
def create_token_command(bank_seq: int | None, district: bool, name: str, scopes: tuple[str, ...], days: int):
    """Make an API token and print it (only its hash is stored: it cannot be shown again)."""
    from sqlalchemy import select

    from ..domain.api import tokens
    from ..domain.core.errors import DomainError
    from ..models import Bank

    if district == (bank_seq is not None):
        raise click.UsageError(_("请给出 --bank 或 --district 之一"))
    with current_app.extensions["db_sessionmaker"]() as session:
        bank_id = None
        if bank_seq is not None:
            bank_id = session.scalar(select(Bank.id).where(Bank.seq == bank_seq))
            if bank_id is None:
                raise click.BadParameter(_("没有序号为 %(seq)s 的银行", seq=bank_seq), param_hint="--bank")
        try:
            token, raw = tokens.create(session, None, name, list(scopes), days,
                                       owner="district" if district else "bank", bank_id=bank_id)
        except DomainError as exc:
            raise click.BadParameter(exc.message, param_hint=exc.field) from None
        session.commit()
        click.echo(_("令牌“%(name)s”已生成（%(scopes)s，到期 %(expires)s），只显示这一次：", name=token.name,
                     scopes=_("、").join(token.scopes), expires=f"{token.expires_at:%Y-%m-%d}"))
        click.echo(raw)


COMMANDS = [create_token_command]

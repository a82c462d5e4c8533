"""`matchmaker serve`: the production server (gunicorn with gunicorn.conf.py), started only when the settings are
safe for the number of workers: a fixed secret key (each worker would otherwise sign sessions and CSRF tokens
with its own random key) and a shared rate-limit store (each worker would otherwise count logins on its own)."""
from __future__ import annotations

import os
import runpy
import shutil
import sys
import tempfile

import click

from .. import config
from ..domain.core.translate import cli as _


def gunicorn_conf() -> str:
    return str(config.ROOT / "gunicorn.conf.py")


def check_settings(workers: int) -> list[str]:
    """What makes these settings unsafe to serve with `workers` processes (empty when safe)."""
    problems = []
    instance = tempfile.mkdtemp(prefix="matchmaker-check-")
    try:
        cfg = config.load(instance)
    except config.ConfigError as exc:
        return [str(exc)]
    finally:
        shutil.rmtree(instance, ignore_errors=True)
    if workers > 1 and not os.environ.get("MATCHMAKER_SECRET_KEY"):
        problems.append(_("%(n)s 个进程须共用同一密钥：请设置 %(setting)s", n=workers, setting="MATCHMAKER_SECRET_KEY"))
    storage = cfg["RATELIMIT_STORAGE_URI"]
    if workers > 1 and storage.startswith("memory://"):
        problems.append(_("%(n)s 个进程不能各自在内存中计数登录次数：请设置 %(setting)s", n=workers,
                          setting="MATCHMAKER_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0"))
    elif storage.startswith(("redis://", "rediss://")):
        import redis

        try:
            redis.Redis.from_url(storage, socket_connect_timeout=3, socket_timeout=3).ping()
        except redis.RedisError as exc:
            problems.append(_("无法连接限流存储 %(storage)s：%(error)s", storage=storage, error=exc))
    return problems


@click.command("serve")
@click.option("--bind", default=None, help="address:port (default MATCHMAKER_BIND or 127.0.0.1:8000)")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="processes (default MATCHMAKER_WORKERS or 2 × cores + 1)")
@click.option("--threads", type=click.IntRange(1, 64), default=None, help="threads per process (default 4)")
def serve_command(bind: str | None, workers: int | None, threads: int | None):
    """Serve with gunicorn (production), after checking the settings."""
    conf = gunicorn_conf()
    if workers is None:
        workers = int(runpy.run_path(conf)["workers"])
    problems = check_settings(workers)
    if problems:
        raise click.ClickException(_("拒绝启动：") + "\n  " + "\n  ".join(problems))
    argv = [sys.executable, "-m", "gunicorn", "-c", conf, "--workers", str(workers)]
    if bind:
        argv += ["--bind", bind]
    if threads:
        argv += ["--threads", str(threads)]
    click.echo(_("matchmaker serve: gunicorn, %(n)s 个进程（%(conf)s）", n=workers, conf=conf), err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)


COMMANDS = [serve_command]

"""matchmaker — 市中区银企融资对接平台. `create_app` is the application factory; nothing runs at import."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from . import config as config_module
from .config import ROOT


def create_app(config: dict | None = None, *, web: bool = True) -> Flask:
    """Build the Flask app: settings, database, extensions, blueprints, error pages, CLI. `web=False` leaves out
    the pages and the job queue (for a command that serves none and queues nothing, such as `matchmaker demo`:
    about two seconds less to start)."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_relative_config=True,
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(config_module.load(app.instance_path, config))
    app.secret_key = app.config["SECRET_KEY"]

    from . import db

    db.init_app(app)

    if web:
        from . import queue
        from .web import register_web

        queue.init_app(app)

        register_web(app)

    from .cli import register_cli

    register_cli(app)
    return app

"""/api/v1/: JSON for banks' systems and the district, with bearer tokens (no cookies, no CSRF). Every rule is
the domain's; this package only authenticates, validates shapes and translates errors."""
from __future__ import annotations

from flask import Flask

from ... import senders
from ...domain.api import webhooks
from . import district, leads, reports  # noqa: F401  (routes register on the blueprint)
from .core import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    # the outbox's "webhook" channel, reading endpoints through this app's database
    senders.register(webhooks.WebhookSender(app.extensions["db_sessionmaker"]))

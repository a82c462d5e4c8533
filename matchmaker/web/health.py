"""GET /healthz: the app is up and the database answers, within a deadline: a database that accepts connections
but never answers gives 503 within MATCHMAKER_HEALTH_TIMEOUT seconds (default 1.5), not a hung request."""
from __future__ import annotations

import os
import threading

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import limiter

bp = Blueprint("health", __name__)


def _deadline() -> float:
    return float(current_app.config.get("HEALTH_TIMEOUT") or os.environ.get("MATCHMAKER_HEALTH_TIMEOUT") or 1.5)


def _probe(engine, outcome: dict) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        outcome["ok"] = True
    except SQLAlchemyError as exc:
        outcome["reason"] = exc.__class__.__name__
    except Exception as exc:  # a driver error outside SQLAlchemy's wrapping still means "unavailable"
        outcome["reason"] = exc.__class__.__name__


@bp.get("/healthz")
@limiter.exempt
def healthz():
    # the probe runs in a daemon thread so that the answer keeps its deadline even while the driver waits out its
    # own connect timeout (libpq's minimum is 2 s); the thread ends when that timeout fires
    outcome: dict = {}
    probe = threading.Thread(target=_probe, args=(current_app.extensions["db_engine"], outcome), daemon=True)
    probe.start()
    probe.join(_deadline())
    if outcome.get("ok"):
        return jsonify({"status": "ok", "database": "ok"})
    reason = outcome.get("reason", "timeout")
    return jsonify({"status": "error", "database": "unavailable", "reason": reason}), 503

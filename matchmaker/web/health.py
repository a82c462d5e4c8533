"""GET /healthz: the app is up and the database answers."""
from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..db import get_session
from ..extensions import limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        get_session().execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return jsonify({"status": "error", "database": "unavailable", "reason": str(exc.__class__.__name__)}), 503
    return jsonify({"status": "ok", "database": "ok"})

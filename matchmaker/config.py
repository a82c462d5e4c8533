"""Settings read from MATCHMAKER_* environment variables, with safe defaults for local use."""
from __future__ import annotations

import os
import secrets
from pathlib import Path



def _share_root() -> Path:
    """Where templates/, static/, seed/, migrations/ and gunicorn.conf.py are: inside the package as _share/ when
    installed from a wheel or `pip install .` (setup.py copies them there), beside the package in a checkout."""
    installed = Path(__file__).resolve().parent / "_share"
    return installed if installed.is_dir() else Path(__file__).resolve().parent.parent


ROOT = _share_root()
SEED_DIR = ROOT / "seed"


class ConfigError(RuntimeError):
    """Raised when the app would start with settings unsafe for production."""


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def default_database_url(instance_path: str) -> str:
    """An SQLite file in the Flask instance folder."""
    return "sqlite:///" + str(Path(instance_path) / "matchmaker.sqlite")


def resolve_thresholds() -> tuple[float, float]:
    """Entity resolution (0-100): link automatically at or above the first, send to review at or above the second."""
    return (float(os.environ.get("MATCHMAKER_RESOLVE_AUTO", "92")),
            float(os.environ.get("MATCHMAKER_RESOLVE_REVIEW", "75")))


def load(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the app's settings: defaults, then environment, then explicit overrides (tests)."""
    env = os.environ.get("MATCHMAKER_ENV", "development")
    cfg: dict = {
        "ENV_NAME": env,
        "DATABASE_URL": os.environ.get("MATCHMAKER_DATABASE_URL") or default_database_url(instance_path),
        "SECRET_KEY": os.environ.get("MATCHMAKER_SECRET_KEY"),
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_STORAGE_URI": os.environ.get("MATCHMAKER_RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": os.environ.get("MATCHMAKER_LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("MATCHMAKER_SECURE_COOKIES", env == "production"),
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        # routing
        "ROUTING_FANOUT": int(os.environ.get("MATCHMAKER_ROUTING_FANOUT", "3")),
        # entity resolution thresholds (0-100, rapidfuzz scale)
        "RESOLVE_AUTO_THRESHOLD": resolve_thresholds()[0],
        "RESOLVE_REVIEW_THRESHOLD": resolve_thresholds()[1],
        # working-day clocks
        "CLAIM_WORKDAYS": int(os.environ.get("MATCHMAKER_CLAIM_WORKDAYS", "2")),
        "CONTACT_WORKDAYS": int(os.environ.get("MATCHMAKER_CONTACT_WORKDAYS", "3")),
        "DECISION_WORKDAYS": int(os.environ.get("MATCHMAKER_DECISION_WORKDAYS", "10")),
        "PAGE_SIZE": 25,
    }
    if overrides:
        cfg.update(overrides)
    if not cfg["SECRET_KEY"]:
        if cfg["ENV_NAME"] == "production":
            raise ConfigError("MATCHMAKER_SECRET_KEY must be set when MATCHMAKER_ENV=production")
        cfg["SECRET_KEY"] = secrets.token_hex(32)
    return cfg

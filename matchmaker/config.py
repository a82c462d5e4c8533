"""Settings read from MATCHMAKER_* environment variables, with safe defaults for local use."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
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


ENVIRONMENTS = ("development", "production")
MIN_SECRET_BYTES = 32


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def workers() -> int:
    """How many processes serve the app: MATCHMAKER_WORKERS, else WEB_CONCURRENCY (gunicorn's), else 1."""
    if os.environ.get("MATCHMAKER_WORKERS", "").strip():
        return _int("MATCHMAKER_WORKERS", 1, minimum=1)
    return _int("WEB_CONCURRENCY", 1, minimum=1)


def session_settings(env: str) -> dict:
    """Sign-in cookies, login lifetime, idle timeout and the throttles of the account pages."""
    secure = _bool("MATCHMAKER_SECURE_COOKIES", env == "production")
    return {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        # also the longest a sign-in lasts, checked on the server (domain/accounts/sessions.py)
        "REMEMBER_COOKIE_DURATION": timedelta(days=_int("MATCHMAKER_REMEMBER_DAYS", 14, minimum=1)),
        "IDLE_MINUTES": _int("MATCHMAKER_IDLE_MINUTES", 120),
        "WORKERS": workers(),
        "REGISTER_RATE_LIMIT": os.environ.get("MATCHMAKER_REGISTER_RATE_LIMIT", "5 per minute;30 per hour"),
        "PASSWORD_RATE_LIMIT": os.environ.get("MATCHMAKER_PASSWORD_RATE_LIMIT", "10 per minute;50 per hour"),
    }


def check_production(cfg: dict) -> None:
    """Refuse to start with settings that are unsafe, or wrong, in production."""
    if cfg["ENV_NAME"] not in ENVIRONMENTS:
        raise ConfigError(f"MATCHMAKER_ENV must be exactly 'development' or 'production', got {cfg['ENV_NAME']!r}")
    if cfg["ENV_NAME"] != "production":
        return
    if not cfg["SECRET_KEY"]:
        raise ConfigError("MATCHMAKER_SECRET_KEY must be set when MATCHMAKER_ENV=production")
    if len(str(cfg["SECRET_KEY"]).encode()) < MIN_SECRET_BYTES:
        raise ConfigError(f"MATCHMAKER_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes in production "
                          "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')")
    if str(cfg["RATELIMIT_STORAGE_URI"]).startswith("memory://") and cfg["WORKERS"] > 1:
        raise ConfigError(f"MATCHMAKER_RATELIMIT_STORAGE_URI=memory:// counts per process; with {cfg['WORKERS']} "
                          "workers set it to a shared store, e.g. redis://127.0.0.1:6379/1")


def default_database_url(instance_path: str) -> str:
    """An SQLite file in the Flask instance folder."""
    return "sqlite:///" + str(Path(instance_path) / "matchmaker.sqlite")


def resolve_thresholds() -> tuple[float, float]:
    """Entity resolution (0-100): link automatically at or above the first, send to review at or above the second."""
    return (float(os.environ.get("MATCHMAKER_RESOLVE_AUTO", "92")),
            float(os.environ.get("MATCHMAKER_RESOLVE_REVIEW", "75")))


def files_dir(app) -> Path:
    """The folder for stored files: FILES_DIR, else the instance folder. File names carry database ids, so one
    folder belongs to one database."""
    return Path(app.config.get("FILES_DIR") or app.instance_path)


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
        **session_settings(env),
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
        # guess the language from Accept-Language: off while most pages are Chinese only (issue 19 converts them
        # folder by folder); a half-English page is worse than a Chinese one for a reader whose browser says en-US
        "LOCALE_FROM_BROWSER": os.environ.get("MATCHMAKER_LOCALE_FROM_BROWSER", "1") == "1",
        # where stored files go (uploads, licences, files jobs make); the instance folder when empty
        "FILES_DIR": os.environ.get("MATCHMAKER_FILES_DIR", ""),
        # background jobs: redis://… (production) or sqlite:///file; empty = SQLite beside the app's database
        "JOBS_URL": os.environ.get("MATCHMAKER_JOBS_URL", ""),
        "JOBS_NAME": os.environ.get("MATCHMAKER_JOBS_NAME", "matchmaker"),
        # uploaded spreadsheets (white lists, monthly figures): checked before they are read
        "SHEET_MAX_ROWS": int(os.environ.get("MATCHMAKER_SHEET_MAX_ROWS", "200000")),
        "SHEET_MAX_COLS": int(os.environ.get("MATCHMAKER_SHEET_MAX_COLS", "200")),
        "SHEET_MAX_CELL_CHARS": int(os.environ.get("MATCHMAKER_SHEET_MAX_CELL_CHARS", "2000")),
    }
    if overrides:
        cfg.update(overrides)
    check_production(cfg)
    if not cfg["SECRET_KEY"]:
        cfg["SECRET_KEY"] = secrets.token_hex(32)
    return cfg

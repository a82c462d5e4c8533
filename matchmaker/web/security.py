"""Security headers on every response, through Flask-Talisman: a Content-Security-Policy that allows no inline
script (scripts are files under static/js/, handlers are listeners), no framing (frame-ancestors 'none' and
X-Frame-Options DENY), nosniff, a Referrer-Policy, and HSTS when the request came over HTTPS."""
from __future__ import annotations

from flask import Flask
from flask_talisman import Talisman

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    # style attributes carry computed widths (progress bars); no script can run through them
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

talisman = Talisman()


def register(app: Flask) -> None:
    talisman.init_app(
        app,
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        # TLS ends at the reverse proxy: HSTS is sent when the request says it came over HTTPS
        force_https=False,
        strict_transport_security=True,
        strict_transport_security_max_age=31536000,
        strict_transport_security_include_subdomains=False,
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        session_cookie_http_only=True,
        permissions_policy={"camera": "()", "microphone": "()", "geolocation": "()"},
    )

"""Production is strict and every response is armoured: MATCHMAKER_ENV is exactly development or production, a
production secret key has 32 bytes or more, the in-memory rate-limit store is refused with several workers;
registration and password resets are throttled and registration does not say which usernames exist; a `next`
that is not a plain path is ignored (CR/LF gave a 500); every page carries the security headers and no
template holds inline script."""
import re
from pathlib import Path

import pytest

from matchmaker import config, create_app
from matchmaker.config import ConfigError

from .conftest import PASSWORD, login
from .test_bad_input import registration

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
GOOD_KEY = "k" * 32


@pytest.fixture
def production(monkeypatch, tmp_path):
    """create_app under MATCHMAKER_ENV=production with the given environment."""
    made = []

    def make(**env):
        monkeypatch.setenv("MATCHMAKER_ENV", "production")
        monkeypatch.setenv("MATCHMAKER_SECRET_KEY", GOOD_KEY)
        for name in ("MATCHMAKER_WORKERS", "WEB_CONCURRENCY", "MATCHMAKER_RATELIMIT_STORAGE_URI"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/prod.sqlite"})
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["db_engine"].dispose()


@pytest.mark.parametrize("name", ["Production", "prod", "PRODUCTION", "dev", "staging", " production", ""])
def test_an_unknown_environment_name_refuses_to_start(production, name):
    with pytest.raises(ConfigError, match="exactly 'development' or 'production'"):
        production(MATCHMAKER_ENV=name)


def test_a_short_secret_key_refuses_to_start_in_production(production):
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        production(MATCHMAKER_SECRET_KEY="x")
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        production(MATCHMAKER_SECRET_KEY="k" * 31)
    assert production(MATCHMAKER_SECRET_KEY=GOOD_KEY).config["SECRET_KEY"] == GOOD_KEY


@pytest.mark.parametrize("env", [{"MATCHMAKER_WORKERS": "4"}, {"WEB_CONCURRENCY": "2"}])
def test_the_memory_rate_limit_store_is_refused_with_several_workers(production, env, monkeypatch, tmp_path):
    with pytest.raises(ConfigError, match="memory://"):
        production(**env)
    monkeypatch.setenv("MATCHMAKER_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/5")
    settings = config.load(str(tmp_path), None)  # the settings pass; the app would need the redis client
    assert settings["WORKERS"] > 1 and settings["RATELIMIT_STORAGE_URI"].startswith("redis://")
    monkeypatch.delenv("MATCHMAKER_RATELIMIT_STORAGE_URI")
    for name in env:
        monkeypatch.delenv(name)
    assert production(MATCHMAKER_WORKERS="1").config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_a_bad_worker_count_is_named(production):
    with pytest.raises(ConfigError, match="MATCHMAKER_WORKERS"):
        production(MATCHMAKER_WORKERS="four")


def test_development_still_starts_without_a_key(monkeypatch, tmp_path):
    monkeypatch.setenv("MATCHMAKER_ENV", "development")
    monkeypatch.delenv("MATCHMAKER_SECRET_KEY", raising=False)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/dev.sqlite"})
    assert len(app.config["SECRET_KEY"]) >= 32
    app.extensions["db_engine"].dispose()


def test_registration_is_throttled(app_config, db):
    app = create_app({**app_config, "RATELIMIT_ENABLED": True, "REGISTER_RATE_LIMIT": "2 per minute"})
    client = app.test_client()
    statuses = [client.post("/register", data=registration(password="x")).status_code for _ in range(4)]
    assert statuses == [200, 200, 429, 429]
    assert client.get("/register").status_code == 200  # the form itself still opens
    app.extensions["db_engine"].dispose()


def test_password_pages_are_throttled(app_config, users):
    app = create_app({**app_config, "RATELIMIT_ENABLED": True, "PASSWORD_RATE_LIMIT": "2 per minute",
                      "LOGIN_RATE_LIMIT": "100 per minute"})
    district = login(app.test_client(), "district1")
    statuses = [district.post(f"/accounts/{users['township'].id}/reset-password").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    client = login(app.test_client(), "firm1")
    statuses = [client.post("/account/password", data={"old_password": "wrong-guess-1", "new_password": "x",
                                                       "new_password2": "x"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    app.extensions["db_engine"].dispose()


def test_registration_does_not_say_which_usernames_exist(client, users):
    taken = client.post("/register", data=registration(username="firm1")).get_data(as_text=True)
    assert "已被使用" not in taken and "该用户名不可用" in taken
    upper = client.post("/register", data=registration(username="FIRM1")).get_data(as_text=True)
    assert "该用户名不可用" in upper


@pytest.mark.parametrize("target", ["/requests/\r\nSet-Cookie: x=1", "/requests/\nx", "/a b",
                                    "javascript:alert(1)", "http://evil.example/", "//evil.example", "/\\evil",
                                    "\t/requests/", "/requests/\x00"])
def test_a_next_that_is_not_a_plain_path_is_ignored(app, users, target):
    client = app.test_client()
    response = client.post("/login", query_string={"next": target},
                           data={"username": "firm1", "password": PASSWORD})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/"
    response = client.post("/notifications/1/read", data={"next": target})
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert "evil" not in response.headers["Location"] and "\n" not in response.headers["Location"]


HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def check_headers(response, path):
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (path, name)
    csp = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0], path
    assert "Strict-Transport-Security" not in response.headers  # plain http: no HSTS


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def check_no_inline_script(html: str, path: str):
    assert not INLINE_SCRIPT.search(html), (path, INLINE_SCRIPT.search(html).group(0))
    assert not INLINE_HANDLER.search(html), (path, INLINE_HANDLER.search(html).group(0))
    assert "javascript:" not in html, path


def pages(app) -> list[str]:
    """Every GET page that takes no argument in its path."""
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static"})


def test_every_page_carries_the_security_headers_and_no_inline_script(app, as_role, users):
    paths = pages(app)
    assert len(paths) > 30
    clients = {"anonymous": app.test_client(), **{role: as_role(role) for role in
                                                  ("district", "township", "bank_admin", "enterprise")}}
    rendered = 0
    for who, client in clients.items():
        for path in paths + ["/no-such-page", "/static/js/app.js"]:
            response = client.get(path)
            assert response.status_code < 500, (who, path)
            check_headers(response, f"{who} {path}")
            if response.mimetype == "text/html":
                check_no_inline_script(response.get_data(as_text=True), f"{who} {path}")
                rendered += 1
    assert rendered > 60


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    behind_proxy = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "max-age" in behind_proxy.headers["Strict-Transport-Security"]


def test_no_template_holds_inline_script():
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 50
    for path in templates:
        text = path.read_text(encoding="utf-8")
        check_no_inline_script(text, str(path.relative_to(TEMPLATES)))

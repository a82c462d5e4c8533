"""No user action produces a 500: every POST route of the app, for every role, with junk in every field any of
our forms has (NaN, negatives, huge numbers, impossible dates, empty strings, markup)."""
import importlib
import inspect
import pkgutil

import pytest
from flask_wtf import FlaskForm

import matchmaker.web as web_pkg

from . import factories

JUNK = ["sNaN", "-1", "9" * 40, "2026-02-30", "", "<script>alert(1)</script>", "１２３"]
ARG_VALUES = {"kind": "high_tech", "day": "2026-01-01", "year": "2022", "month": "2022-03", "quarter": "2022Q1",
              "period": "2022-03", "token": "x", "fmt": "xlsx", "channel": "email"}


def form_field_names() -> set[str]:
    names = {"csrf_token", "firm_id", "bank_id", "q", "note"}
    for info in pkgutil.walk_packages(web_pkg.__path__, f"{web_pkg.__name__}."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, FlaskForm):
                names.update(name for name, value in vars(cls).items() if hasattr(value, "field_class"))
                for base in cls.__mro__:
                    names.update(name for name, value in vars(base).items() if hasattr(value, "field_class"))
    return names


def concrete_paths(app, method: str) -> list[str]:
    """Every rule of the app that answers `method`, with its URL arguments filled in."""
    paths = []
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or rule.endpoint == "static":
            continue
        path = rule.rule
        for arg in rule.arguments:
            converter = rule._converters[arg].__class__.__name__
            value = "1" if converter == "IntegerConverter" else ARG_VALUES.get(arg, "1")
            path = path.replace(f"<int:{arg}>", value).replace(f"<{arg}>", value).replace(f"<string:{arg}>", value)
        paths.append(path)
    return sorted(set(paths))


def post_routes(app) -> list[str]:
    return sorted(set(concrete_paths(app, "POST")) - {"/logout"})


@pytest.mark.parametrize("role", ["enterprise", "bank_manager", "bank_admin", "township", "district"])
def test_junk_in_every_post_never_500(app, as_role, db, users, firm, bank, role):
    factories.routed_request(db, firm, bank)
    db.commit()
    client = as_role(role)
    names = form_field_names()
    failures = []
    for path in post_routes(app):
        for junk in JUNK:
            response = client.post(path, data={name: junk for name in names})
            if response.status_code >= 500:
                failures.append((path, junk, response.status_code))
    assert failures == []


def test_every_post_route_is_covered(app):
    paths = post_routes(app)
    assert len(paths) > 40 and "/requests/new" in paths and "/bank/leads/1/claim" in paths


QUERY_NAMES = ["page", "sort", "state", "township", "bank", "q", "year", "month", "quarter", "batch", "kind",
               "industry", "tab", "mine", "period", "metric", "role", "status", "firm_id", "open", "first_loan"]


@pytest.mark.parametrize("role", ["enterprise", "bank_manager", "bank_admin", "township", "district"])
def test_junk_in_every_query_string_never_500(app, as_role, db, users, firm, bank, role):
    factories.routed_request(db, firm, bank)
    db.commit()
    client = as_role(role)
    failures = []
    for path in concrete_paths(app, "GET"):
        for junk in ["-5", "9" * 40, "sNaN", "2026-13", "'\"%_"]:
            response = client.get(path, query_string={name: junk for name in QUERY_NAMES})
            if response.status_code >= 500:
                failures.append((path, junk, response.status_code))
    assert failures == []


def test_every_post_route_refuses_a_missing_csrf_token(app_config, users):
    """With CSRF on (as in production), a POST without the token changes nothing: 400 on every route."""
    from matchmaker import create_app

    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    statuses = {path: client.post(path, data={"username": "district1"}).status_code for path in post_routes(app)}
    statuses["/logout"] = client.post("/logout").status_code
    assert {path: s for path, s in statuses.items() if s != 400} == {}
    app.extensions["db_engine"].dispose()

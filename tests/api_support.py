"""Helpers for the API tests: make a token through the domain and call the API with it."""
from __future__ import annotations

from matchmaker.domain.api import tokens


def make_token(db, owner_user, scopes=None, days: int = 30, name: str = "核心系统") -> str:
    """A raw token made by `owner_user` (a bank admin or the district), committed."""
    owner, _ = tokens.owner_of(owner_user)
    scopes = scopes or list(tokens.allowed_scopes(owner))
    _, raw = tokens.create(db, owner_user, name, scopes, days)
    db.commit()
    return raw


def auth(raw: str, **headers) -> dict:
    return {"Authorization": f"Bearer {raw}", **headers}


class SpecChecker:
    """Checks every API answer against the served OpenAPI document (JSON Schema 2020-12, as OpenAPI 3.1 is)."""

    def __init__(self, client):
        import re

        from jsonschema import Draft202012Validator
        from referencing import Registry, Resource

        self.doc = client.get("/api/v1/openapi.json").get_json()
        self.registry = Registry().with_resource("urn:spec", Resource.from_contents(
            self.doc, default_specification=__import__("referencing.jsonschema").jsonschema.DRAFT202012))
        self.validator_class = Draft202012Validator
        self.routes = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path)
                       for path in self.doc["paths"]]
        self.seen: set[tuple[str, str, int]] = set()

    def operation(self, method: str, path: str) -> tuple[str, dict]:
        for pattern, template in self.routes:
            if pattern.match(path) and method.lower() in self.doc["paths"][template]:
                return template, self.doc["paths"][template][method.lower()]
        raise AssertionError(f"{method} {path} is not in the OpenAPI document")

    def check(self, response):
        method, path = response.request.method, response.request.path
        template, op = self.operation(method, path)
        status = str(response.status_code)
        assert status in op["responses"], f"{method} {template} answered {status}, not documented"
        schema = op["responses"][status]["content"]["application/json"]["schema"]
        ref = {"$ref": "urn:spec" + schema["$ref"]} if "$ref" in schema else schema
        self.validator_class(ref, registry=self.registry).validate(response.get_json())
        self.seen.add((method, template, response.status_code))
        return response


class Api:
    """A test client for /api/v1/ with a token; every answer is checked against the OpenAPI document."""

    def __init__(self, app, raw: str, checker: SpecChecker | None = None):
        self.client = app.test_client()
        self.raw = raw
        self.checker = checker or SpecChecker(self.client)

    def get(self, path, **kwargs):
        return self.checker.check(self.client.get(path, headers=auth(self.raw), **kwargs))

    def post(self, path, json=None, key: str | None = None, **kwargs):
        headers = auth(self.raw, **({"Idempotency-Key": key} if key else {}))
        return self.checker.check(self.client.post(path, json=json, headers=headers, **kwargs))

"""Schemathesis drives every operation of the OpenAPI document against the live app (WSGI) with generated
inputs, once with a bank token and once with a district token: no 5xx, every answer's status, content type and
body as the document says."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from . import factories
from .api_support import make_token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def tokens_by_owner(db, users, firm, bank):
    factories.routed_request(db, firm, bank)
    db.commit()
    return {"bank": make_token(db, users["bank_admin"]), "district": make_token(db, users["district"])}


def _drive(app, raw: str) -> int:
    """Every operation of the served document, with generated inputs; returns how many operations ran."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    count = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {raw}"}, checks=CHECKS)

        run()
        count += 1
    return count


def test_api_with_a_bank_token(app, tokens_by_owner):
    assert _drive(app, tokens_by_owner["bank"]) == 14


def test_api_with_a_district_token(app, tokens_by_owner):
    assert _drive(app, tokens_by_owner["district"]) == 14

"""District and report endpoints, rate limits per token, and the OpenAPI document: valid, and every operation
answered by a bank token and a district token within its schema."""
from __future__ import annotations

from datetime import date

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from matchmaker import create_app
from matchmaker.domain.banks import bulletins, periods
from matchmaker.models import History, MonthlyReport, WhiteListBatch, WhiteListEntry

from . import factories
from .api_support import Api, SpecChecker, auth, make_token

FIGURES = {"deposits": "100", "loans": "105.5", "industrial_loans": "14.4", "new_industrial_loans": "3000",
           "first_loan_count": 2, "first_loan_amount": "150.5", "ip_pledge_loans": "1000", "green_loans": "1500",
           "kechuang_loans": "1000", "zhengyinbao_loans": "1000", "supply_chain_bills": "500.0001"}


@pytest.fixture
def checker(app):
    return SpecChecker(app.test_client())


def test_monthly_report_push_uses_the_uploads_checks_and_versions(app, db, users, bank, checker):
    api = Api(app, make_token(db, users["bank_admin"], ["reports:write"], name="报表系统"), checker)
    made = api.post("/api/v1/reports/monthly", json={"month": "2022-03", "figures": FIGURES})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["version"] == 1 and body["figures_yuan"]["supply_chain_bills"] == 5_000_001
    assert body["figures_yuan"]["loans"] == 10_550_000_000 and body["bank_id"] == bank.id
    same = api.post("/api/v1/reports/monthly", json={"month": "2022-03", "figures": FIGURES, "note": "再报"})
    assert same.status_code == 422 and "完全相同" in same.get_json()["error"]["message"]
    changed = {**FIGURES, "industrial_loans": "14.5"}
    no_note = api.post("/api/v1/reports/monthly", json={"month": "2022-03", "figures": changed})
    assert no_note.status_code == 422 and no_note.get_json()["error"]["field"] == "note"
    assert api.post("/api/v1/reports/monthly", json={"month": "2022-03", "figures": changed,
                                                     "note": "补报"}).get_json()["version"] == 2
    bad = api.post("/api/v1/reports/monthly", json={"month": "2022-04", "figures": {**FIGURES, "loans": "abc"}})
    assert bad.status_code == 422 and "loans" in bad.get_json()["error"]["details"]["errors"]
    missing = api.post("/api/v1/reports/monthly", json={"month": "2022-04", "figures": {"loans": "1"}})
    assert missing.status_code == 422 and "deposits" in missing.get_json()["error"]["details"]["errors"]
    future = api.post("/api/v1/reports/monthly", json={"month": "2099-01", "figures": FIGURES})
    assert future.status_code == 422 and future.get_json()["error"]["field"] == "month"
    assert api.post("/api/v1/reports/monthly", json={"month": "junk", "figures": FIGURES}
                    ).get_json()["error"]["field"] == "month"
    db.expire_all()
    rows = db.scalars(select(MonthlyReport).order_by(MonthlyReport.version)).all()
    assert [(r.version, r.source) for r in rows] == [(1, "api"), (2, "api")]
    assert {r.submitted_by_id for r in rows} == {api_user(db)}
    jump = api.post("/api/v1/reports/monthly", json={"month": "2022-04", "figures": {**FIGURES, "loans": "500"}})
    assert jump.status_code == 422 and jump.get_json()["error"]["field"] == "confirm_jump"
    assert api.post("/api/v1/reports/monthly", json={"month": "2022-04", "figures": {**FIGURES, "loans": "500"},
                                                     "confirm": True}).status_code == 201


def api_user(db):
    from matchmaker.models import ApiToken

    return db.scalar(select(ApiToken.user_id))


def test_district_reads_requests_figures_whitelists_and_bulletins(app, db, users, firm, bank, other_bank, checker):
    req, lead = factories.routed_request(db, firm, bank)
    factories.MonthlyReportFactory(bank_id=bank.id, month=date(2022, 3, 1))
    batch = WhiteListBatch(kind="above_scale", label="2022", state="active")
    db.add(batch)
    db.flush()
    db.add(WhiteListEntry(batch_id=batch.id, kind="above_scale", firm_id=firm.id, written_name=firm.name))
    db.commit()
    api = Api(app, make_token(db, users["district"], name="省平台"), checker)
    requests_page = api.get("/api/v1/requests?limit=10").get_json()
    assert [r["id"] for r in requests_page["items"]] == [req.id]
    assert requests_page["items"][0]["lead_ids"] == [lead.id]
    assert api.get(f"/api/v1/requests/{req.id}").get_json()["firm_name"] == firm.name
    assert api.get("/api/v1/requests?state=draft").get_json()["items"] == []
    figures = api.get("/api/v1/district/bank-figures?month=2022-03").get_json()
    row = next(b for b in figures["banks"] if b["bank_id"] == bank.id)
    assert row["reported"] and row["figures_yuan"]["deposits"] == 10_000_000_000
    assert next(b for b in figures["banks"] if b["bank_id"] == other_bank.id)["reported"] is False
    assert api.get("/api/v1/district/bank-figures?month=13").status_code == 422
    entries = api.get("/api/v1/district/whitelist-entries?kind=above_scale").get_json()
    assert entries["total"] == 1 and entries["items"][0]["firm_id"] == firm.id
    assert api.get("/api/v1/district/whitelist-entries?kind=nope").get_json()["error"]["field"] == "kind"
    assert api.get("/api/v1/district/bulletins/monthly/2022-03").status_code == 404
    issued = bulletins.issue(db, users["district"], periods.parse("monthly", "2022-03"))
    db.commit()
    frozen = api.get("/api/v1/district/bulletins/monthly/2022-03").get_json()
    assert frozen["edition"] == 1 and frozen["data"]["title"] == issued.data["title"]
    # the frozen numbers, not today's: a correction after issue does not change them
    factories.MonthlyReportFactory(bank_id=bank.id, month=date(2022, 3, 1), version=2, deposits=1)
    db.commit()
    assert api.get("/api/v1/district/bulletins/monthly/2022-03").get_json()["data"] == frozen["data"]
    assert api.get("/api/v1/district/bulletins/weekly/2022-03").status_code == 404
    # a bank token has none of these scopes
    bank_api = Api(app, make_token(db, users["bank_admin"]), checker)
    for path in ("/api/v1/requests", "/api/v1/district/bank-figures?month=2022-03",
                 "/api/v1/district/whitelist-entries?kind=above_scale", "/api/v1/district/bulletins/monthly/2022-03"):
        assert bank_api.get(path).status_code == 403, path
    assert db.scalar(select(History).where(History.entity == "lead")) is None  # reading changed nothing


def test_rate_limit_is_per_token(app_config, db, users):
    app = create_app({**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                      "API_RATE_LIMIT": "3 per minute"})
    try:
        one = make_token(db, users["bank_admin"], name="a")
        two = make_token(db, users["bank_admin"], name="b")
        client = app.test_client()
        assert [client.get("/api/v1/leads", headers=auth(one)).status_code for _ in range(3)] == [200] * 3
        limited = client.get("/api/v1/leads", headers=auth(one))
        assert limited.status_code == 429
        assert limited.get_json()["error"]["code"] == "rate_limited"
        assert client.get("/api/v1/leads", headers=auth(two)).status_code == 200
    finally:
        app.extensions["db_engine"].dispose()


def test_the_openapi_document_is_valid_and_covers_every_route(app):
    client = app.test_client()
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    served = {(rule.rule, method) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
              and rule.endpoint not in ("api.openapi", "api.docs") for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    import re

    assert {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule), m) for rule, m in served} == documented
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer",
                                                             "bearerFormat": "mmk_…"}


def test_every_operation_answers_within_its_schema_for_both_kinds_of_token(app, db, users, firm, bank, checker):
    _, lead = factories.routed_request(db, firm, bank)
    db.commit()
    bank_api = Api(app, make_token(db, users["bank_admin"]), checker)
    district_api = Api(app, make_token(db, users["district"]), checker)
    calls = [("get", "/api/v1/leads", None), ("get", f"/api/v1/leads/{lead.id}", None),
             ("post", f"/api/v1/leads/{lead.id}/claim", None), ("post", f"/api/v1/leads/{lead.id}/contact", {}),
             ("post", f"/api/v1/leads/{lead.id}/review", {}),
             ("post", f"/api/v1/leads/{lead.id}/approve", {"amount_yuan": 1000, "rate_pct": "4", "term_months": 6}),
             ("post", f"/api/v1/leads/{lead.id}/decline", {"code": "documents"}),
             ("post", f"/api/v1/leads/{lead.id}/disburse", {"amount_yuan": 1000, "disbursed_on": "2022-01-01"}),
             ("post", "/api/v1/reports/monthly", {"month": "2022-03", "figures": FIGURES}),
             ("get", "/api/v1/requests", None), ("get", f"/api/v1/requests/{lead.request_id}", None),
             ("get", "/api/v1/district/bank-figures?month=2022-03", None),
             ("get", "/api/v1/district/whitelist-entries?kind=above_scale", None),
             ("get", "/api/v1/district/bulletins/annual/2022", None)]
    for api in (bank_api, district_api):
        for method, path, body in calls:
            response = getattr(api, method)(path, **({"json": body} if body is not None else {}))
            assert response.status_code < 500, (path, response.get_json())
    operations = {(m.upper(), p) for p, ops in checker.doc["paths"].items() for m in ops}
    assert {(m, p) for m, p, _ in checker.seen} == operations


def test_the_docs_page_uses_the_vendored_redoc(app):
    client = app.test_client()
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/static/vendor/redoc/redoc.standalone.js" in page and "/api/v1/openapi.json" in page
    assert "http" not in page.split("<body>")[1]  # nothing from a CDN
    assert client.get("/static/vendor/redoc/redoc.standalone.js").status_code == 200

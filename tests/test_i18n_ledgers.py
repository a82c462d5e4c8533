"""Issue 19 for the instrument ledgers, API tokens, webhooks and the JSON API: the pages read in English with no
Chinese left outside user data (and in Chinese with no English interface word), form and domain errors come in
the reader's language, the ledger .xlsx is in the requester's language, and an API error keeps its machine `code`
while its `message` follows the call's Accept-Language (Chinese without one)."""
from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from matchmaker.domain.api import webhooks
from matchmaker.domain.core import audit_chain
from matchmaker.domain.ledgers import entries
from matchmaker.models import Instrument, OutboxMessage, utcnow

from .api_support import SpecChecker, auth, make_token
from .conftest import login
from .test_i18n import cjk_left, english_left


@pytest.fixture
def booked(db, users, firm, bank):
    """A guarantee issued (and partly released) on a firm and a bank, and a reversed bridge loan."""
    g = db.scalar(select(Instrument).where(Instrument.code == "guarantee_gov"))
    case = entries.open_case(db, users["district"], g, "issued", 1_230_000, date(2024, 1, 2), firm_id=firm.id,
                             bank_id=bank.id, term_days=365, note="本行担保")
    entries.follow(db, users["district"], case.id, "released", 230_000, date(2024, 6, 2))
    bridge = db.scalar(select(Instrument).where(Instrument.code == "bridge_district"))
    wrong = entries.open_case(db, users["district"], bridge, "drawn", 500_000, date(2024, 3, 1), firm_id=firm.id,
                              bank_id=bank.id, term_days=10, note="登错")
    entries.reverse(db, users["district"], wrong.id, "金额登错")
    db.commit()
    return case


def reader(app, users, role: str, locale: str):
    client = app.test_client()
    client.set_cookie("locale", locale)
    return login(client, users[role].username)


def ledger_pages(case) -> list[str]:
    i = case.instrument_id
    return ["/ledgers/", f"/ledgers/?instrument={i}&by=bank", f"/ledgers/?instrument={i}&by=industry",
            f"/ledgers/?instrument={i}&by=township", f"/ledgers/entries?instrument={i}",
            f"/ledgers/entries?case={case.id}", f"/ledgers/entries?instrument={i}&by=month&key=2024-01",
            "/ledgers/new", f"/ledgers/instruments/{i}", "/ledgers/audit", "/api-tokens/"]


def test_the_ledger_pages_read_in_english_and_in_chinese(app, db, users, booked):
    english = reader(app, users, "district", "en")
    chinese = reader(app, users, "district", "zh_Hans_CN")
    for verified in (False, True):
        if verified:
            audit_chain.verify(db)
            db.commit()
        for url in ledger_pages(booked):
            html = english.get(url).get_data(as_text=True)
            assert '<html lang="en">' in html, url
            assert not cjk_left(html), (url, cjk_left(html))
            zh = chinese.get(url).get_data(as_text=True)
            assert not english_left(zh), (url, english_left(zh))
    page = english.get(f"/ledgers/entries?case={booked.id}").get_data(as_text=True)
    assert "Record what happened next" in page and "Guarantee released" in page and "Reason for the reversal" in page
    assert "<span data-user>本行担保</span>" in page  # the note is data
    overview = english.get("/ledgers/").get_data(as_text=True)
    assert "Instrument ledgers" in overview or "Ledgers" in overview
    assert "Compensation rate" in overview and "Guarantor paid out" in overview and "History verification" in overview
    assert "Chain intact" in english.get("/ledgers/audit").get_data(as_text=True)
    # the goals page's panel (the page itself is the targets' own)
    goals = english.get("/targets/").get_data(as_text=True)
    panel = goals[goals.index('<div class="card mb-3"><div class="card-body">\n  <h2 class="h6">Use of the instruments'):]
    panel = '<html lang="en">' + panel[:panel.index("</table>")]
    assert "Cases / turnovers" in panel and not cjk_left(panel), cjk_left(panel)


@pytest.mark.parametrize("role", ["township", "enterprise", "bank_manager", "bank_admin"])
def test_the_other_roles_ledger_pages_read_in_english(app, users, booked, role):
    client = reader(app, users, role, "en")
    for url in ("/ledgers/", f"/ledgers/entries?instrument={booked.instrument_id}"):
        html = client.get(url).get_data(as_text=True)
        assert not cjk_left(html), (url, cjk_left(html))
        assert "only the entries that concern you" in html or "Ledger entries" in html


def test_ledger_form_and_domain_errors_in_each_language(app, users, booked):
    english = reader(app, users, "district", "en")
    chinese = reader(app, users, "district", "zh_Hans_CN")
    form = {"instrument_id": booked.instrument_id, "event": "issued", "amount_wan": "", "on_date": "2025-01-02"}
    assert "Enter the amount" in english.post("/ledgers/new", data=form).get_data(as_text=True)
    assert "请填写金额" in chinese.post("/ledgers/new", data=form).get_data(as_text=True)
    too_much = dict(form, amount_wan="999999")
    html = english.post("/ledgers/new", data=too_much).get_data(as_text=True)
    assert "Not enough capacity on" in html and "(CNY 10k)" in html
    assert "额度不足" in chinese.post("/ledgers/new", data=too_much).get_data(as_text=True)
    refused = english.post(f"/ledgers/instruments/{booked.instrument_id}", data={
        "name": "x", "capital_wan": "0.01", "leverage": "1", "active": "y"})
    assert refused.status_code == 400 and "more than the new capacity" in refused.get_data(as_text=True)
    done = english.post(f"/ledgers/entries/{booked.id}/reverse", data={"note": "wrong"}, follow_redirects=True)
    assert "reverse those first" in done.get_data(as_text=True)


def test_the_ledger_export_is_in_the_requesters_language(app, users, booked):
    url = f"/ledgers/entries.xlsx?instrument={booked.instrument_id}"
    english = load_workbook(io.BytesIO(reader(app, users, "district", "en").get(url).data))
    sheet = english.active
    assert sheet.title == "Ledger"
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["No.", "Date", "Instrument", "Event"] and "Amount (CNY)" in header
    events = {row[3] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert events == {"Guarantee issued", "Guarantee released"}
    chinese = load_workbook(io.BytesIO(reader(app, users, "district", "zh_Hans_CN").get(url).data)).active
    assert chinese.title == "台账" and [c.value for c in chinese[1]][:2] == ["编号", "日期"]


def test_token_and_webhook_pages_read_in_english(app, db, users):
    client = reader(app, users, "bank_admin", "en")
    made = client.post("/api-tokens/", data={"name": "贷款系统", "scopes": ["leads:read"], "days": "90"})
    html = made.get_data(as_text=True)
    assert made.status_code == 200 and "It is shown only this once" in html and "Read leads" in html
    assert not cjk_left(html), cjk_left(html)
    chinese = reader(app, users, "bank_admin", "zh_Hans_CN")
    zh = chinese.post("/api-tokens/", data={"name": "核心系统", "scopes": ["leads:read"], "days": "90"})
    assert "新令牌已生成" in zh.get_data(as_text=True) and not english_left(zh.get_data(as_text=True))
    bad = client.post("/api-tokens/", data={"name": "", "scopes": [], "days": "0"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Enter a token name" in text and "Choose at least one scope" in text
    endpoint, _secret = webhooks.register(db, users["bank_admin"], "https://loan.bank.cn/hook", ["lead.new"])
    db.add(OutboxMessage(channel="webhook", recipient=webhooks.recipient_of(endpoint), status="failed",
                         attempts=1, created_at=utcnow(), last_error="无法连接：超时",
                         payload={"event": "lead.new", "body": {}}))
    db.commit()
    for url in ("/api-tokens/", "/api-tokens/webhooks"):
        html = client.get(url).get_data(as_text=True)
        assert not cjk_left(html), (url, cjk_left(html))
        zh = reader(app, users, "bank_admin", "zh_Hans_CN").get(url).get_data(as_text=True)
        assert not english_left(zh), (url, english_left(zh))
    page = client.get("/api-tokens/webhooks").get_data(as_text=True)
    assert "Recent deliveries" in page and "Failed to send" in page and "A new lead was sent to our bank" in page
    refused = client.post("/api-tokens/webhooks", data={"url": "ftp://x", "events": ["lead.new"]})
    assert "must be a full address starting with http://" in refused.get_data(as_text=True)
    made = client.post("/api-tokens/webhooks", data={"url": "https://loan.bank.cn/h2", "events": ["lead.new"]})
    html = made.get_data(as_text=True)
    assert "The signing secret is shown only this once" in html and not cjk_left(html), cjk_left(html)
    zh = reader(app, users, "bank_admin", "zh_Hans_CN").post(
        "/api-tokens/webhooks", data={"url": "https://loan.bank.cn/h3", "events": ["lead.new"]})
    assert "签名密钥只显示这一次" in zh.get_data(as_text=True) and not english_left(zh.get_data(as_text=True))
    district = reader(app, users, "district", "en").get("/api-tokens/").get_data(as_text=True)
    assert "District finance office" in district and not cjk_left(district)


# --- the JSON API ------------------------------------------------------------------------------------------------

def test_api_errors_keep_their_code_and_follow_accept_language(app, db, users):
    client = app.test_client()
    checker = SpecChecker(client)
    read_only = make_token(db, users["bank_admin"], scopes=["leads:read"])
    cases = [  # (method, path, headers, body, status, code, English message, Chinese message)
        ("get", "/api/v1/leads", {}, None, 401, "unauthorized", "A valid API token is required", "缺少有效的接口令牌"),
        ("post", "/api/v1/leads/1/claim", auth(read_only), None, 403, "forbidden",
         "This token lacks the “leads:write” scope", "该令牌没有“leads:write”权限"),
        ("get", "/api/v1/leads?cursor=nope", auth(read_only), None, 422, "validation", "Invalid cursor",
         "游标无效"),
        ("get", "/api/v1/leads?limit=0", auth(read_only), None, 422, "validation", "Field “limit” is out of range",
         "字段“limit”超出允许范围"),
    ]
    for method, path, headers, body, status, code, en, zh in cases:
        for language, expected in (("en-GB,en;q=0.9", en), (None, zh), ("zh-CN", zh), ("fr", zh)):
            sent = dict(headers, **({"Accept-Language": language} if language else {}))
            response = getattr(client, method)(path, headers=sent, json=body)
            error = response.get_json()["error"]
            assert (response.status_code, error["code"]) == (status, code), (path, response.get_json())
            assert expected in error["message"], (path, language, error["message"])
            assert response.headers["Content-Language"] == ("en" if expected == en else "zh-CN")
            assert "Accept-Language" in response.headers.get("Vary", "")
            checker.check(response)  # the English message is still the documented error shape
    unknown = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "en"})
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "not_found"
    assert unknown.get_json()["error"]["message"] == "The page or record you asked for does not exist."


def test_the_api_documentation_page_follows_the_readers_language(app):
    client = app.test_client()
    assert '<html lang="zh-CN">' in client.get("/api/v1/docs").get_data(as_text=True)
    client.set_cookie("locale", "en")
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert '<html lang="en">' in html and "API documentation" in html
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "Accept-Language" in spec["info"]["description"]

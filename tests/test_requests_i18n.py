"""Financing requests, leads, overdue cases and declines in English (issue 19): the pages, their form and domain
errors, and the routing reasons ("why this bank", "why not this product") written in the reader's language from
what routing stored (msgid and values), so a request routed while its firm read Chinese reads in English later."""
from __future__ import annotations

from datetime import date

from flask import render_template_string

from matchmaker.domain.requests import eligibility, financing, leads
from matchmaker.domain.requests.eligibility import reason_text, says
from matchmaker.web.requests.reasons import ShownLead, part_reason, rule_reason

from . import factories
from .test_i18n import CJK, cjk_left


def _english(client):
    client.set_cookie("locale", "en")
    return client


def _routed(db, users, firm):
    req = financing.file_request(db, users["district"], firm, amount_yuan=1_000_000, term_months=12,
                                 purpose="购买原材料", collateral="property")
    db.commit()
    assert req.leads, "the test firm should match a bank"
    return req


def test_routing_keeps_reasons_as_msgids_and_values_and_the_chinese_text(db, users, firm):
    req = _routed(db, users, firm)
    parts = req.leads[0].score_parts
    assert set(parts) >= {"product_fit", "whitelist", "target_gap", "speed", "workload", "nearby"}
    for part in parts.values():
        assert part["why"] and reason_text(part["why"]) == part["reason"]
        assert CJK.search(part["reason"])  # the stored text stays Chinese (API, exports)
    assert parts["workload"]["why"][0][0] == "在办线索 %(open)s / 容量 %(capacity)s"


def test_a_request_routed_in_chinese_shows_its_reasons_in_english(app, db, users, firm):
    req = _routed(db, users, firm)
    client = factories_login(app, users, "enterprise")
    html = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert f"Financing request R-{req.id}" in html and "Why this bank" in html
    assert "Open leads" in html and "Banks and why they were chosen" in html
    assert "在办线索" not in html and "网点" not in html  # the reasons, written again in English
    assert "Sent to <span data-user>" in html and "推送至" not in html  # the history's notes the system wrote
    assert not cjk_left(html), cjk_left(html)
    chinese = factories_login(app, users, "enterprise", locale="zh_Hans_CN")
    assert "在办线索" in chinese.get(f"/requests/{req.id}").get_data(as_text=True)


def test_the_bank_sees_the_lead_and_inbox_in_english(app, db, users, firm, bank):
    routed = _routed(db, users, firm)
    req, lead = factories.routed_request(db, firm, bank)  # a lead for the manager's bank, with routing's reasons
    lead.score_parts = routed.leads[0].score_parts
    lead.claim_deadline = date(2026, 12, 3)
    db.commit()
    client = factories_login(app, users, "bank_manager")
    inbox = client.get("/bank/").get_data(as_text=True)
    assert "Leads" in inbox and "Awaiting claim" in inbox and "Claim by" in inbox and "3 Dec 2026" in inbox
    assert not cjk_left(inbox), cjk_left(inbox)
    html = client.get(f"/bank/leads/{lead.id}").get_data(as_text=True)
    assert f"Lead L-{lead.id}" in html and "Claim this lead" in html and "Visible once claimed" in html
    assert "Claim by 3 Dec 2026" in html and "Open leads" in html and "在办线索" not in html
    assert not cjk_left(html), cjk_left(html)


def test_request_list_new_form_and_overdue_read_in_english(app, users):
    client = factories_login(app, users, "enterprise")
    html = client.get("/requests/").get_data(as_text=True)
    assert "Financing requests" in html and "All states" in html
    assert not cjk_left(html), cjk_left(html)
    html = client.get("/requests/new").get_data(as_text=True)
    assert "Amount requested (CNY 10k)" in html and "What happens after you submit?" in html
    overdue = factories_login(app, users, "district").get("/overdue/").get_data(as_text=True)
    assert "Overdue cases" in overdue and "Still overdue" in overdue
    assert not cjk_left(overdue), cjk_left(overdue)


def test_a_request_form_error_in_english(app, users):
    client = factories_login(app, users, "enterprise")
    html = client.post("/requests/new", data={"amount_wan": "", "term_months": "999", "purpose": "",
                                              "collateral": "nope"}).get_data(as_text=True)
    assert "Enter the amount requested" in html
    assert "The term must be 1–360 months" in html
    assert "Enter the purpose of the funds" in html
    assert "Not a valid choice" in html  # WTForms' own, through its translations


def test_an_offer_above_the_request_is_refused_in_english_and_the_confirm_box_shows(app, db, users, firm, bank):
    req, lead = factories.routed_request(db, firm, bank)
    req.amount = 1_000_000
    manager = users["bank_manager"]
    leads.claim(db, manager, lead.id)
    leads.record_contact(db, manager, lead.id)
    leads.start_review(db, manager, lead.id)
    db.commit()
    client = factories_login(app, users, "bank_manager")
    response = client.post(f"/bank/leads/{lead.id}/approve",
                           data={"amount_wan": "1000", "rate_pct": "3.8", "term_months": "12"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "above what the firm asked for (100 in CNY 10k)" in html and 'name="confirm_over"' in html
    html = client.post(f"/bank/leads/{lead.id}/decline", data={"code": "", "note": ""}).get_data(as_text=True)
    assert "Choose a reason for declining" in html


def test_eligibility_reasons_in_each_language(app):
    product = eligibility.ProductRules(id=1, bank_id=1, kind_code="credit", name="科创贷", min_amount=100_000,
                                       max_amount=5_000_000, min_term=6, max_term=36,
                                       collateral=frozenset({"property"}), first_loan_only=True,
                                       preferred_whitelists=frozenset(), min_firm_age=3)
    firm = eligibility.FirmFacts(id=1, township_id=None, has_bank_loan=True, industry="chemicals",
                                 founded_year=2024, tax_credit_grade=None)
    request = eligibility.RequestFacts(amount=8_000_000, term_months=12, collateral="none", interests=frozenset())
    results = {r.rule: r for r in eligibility.evaluate(product, firm, request, date(2026, 6, 1))}
    assert results["first_loan"].reason == "仅限从未获得过银行贷款的企业（首贷）；企业曾获得银行贷款"
    assert results["firm_age"].reason == "须成立满 3 年；企业成立于 2024 年（满 2 年）"
    with app.test_request_context(headers={"Cookie": "locale=en"}):
        assert str(rule_reason(results["firm_age"])) == \
            "At least 3 years in business; the firm was founded in 2024 (2 years ago)"
        assert str(rule_reason(results["first_loan"])).endswith("the firm has had a bank loan")
        assert not CJK.search(str(rule_reason(results["term"])))


def test_names_in_reasons_are_marked_and_reasons_stored_as_text_are_marked_chinese(app):
    why = [says("企业关注的产品：%(kind)s", kind="科创贷<b>"), says("纳税信用 A 级（税务核验）")]
    with app.test_request_context(headers={"Cookie": "locale=en"}):
        html = str(part_reason({"reason": "…", "why": why}))
        assert html == ("A product the firm asked for: <span data-user>科创贷&lt;b&gt;</span>; "
                        "Tax credit grade A (verified by the tax bureau)")
        legacy = str(part_reason({"reason": "在办线索 3 / 容量 10"}))  # stored as text before reasons had msgids
        assert legacy == '<span lang="zh-CN">在办线索 3 / 容量 10</span>'
        assert not cjk_left(f'<html lang="en">{legacy}</html>')
        assert part_reason({"reason": "暂无历史响应记录"}) == "No claims on record yet"  # text that is a msgid
        # the shared _score_parts.html writes `part.reason|t`: a written reason passes through, still marked
        assert render_template_string("{{ r|t }}", r=part_reason({"why": why})) == html
        shown = ShownLead(type("Lead", (), {"score_parts": {"speed": {"value": 1, "why": [says("暂无历史响应记录")]}},
                                            "id": 7})())
        assert shown.id == 7 and shown.score_parts["speed"]["reason"] == "No claims on record yet"
        assert render_template_string("{{ part_reason(p) }}", p={"why": [says("无")]}) == "none"


def factories_login(app, users, role: str, locale: str = "en"):
    from .conftest import login

    client = app.test_client()
    client.set_cookie("locale", locale)
    return login(client, users[role].username)


def test_history_notes_the_system_wrote_are_read_back_and_written_in_english(app):
    from matchmaker.domain.requests import notes
    from matchmaker.web.requests.reasons import note_text

    samples = {
        notes.note(notes.ROUTED, bank="建行解放路支行", score="64.4"): "Sent to <span data-user>建行解放路支行</span>, score 64.4",
        notes.note(notes.ROUTED_LATE, bank="农行", score="5.0"): "Sent to <span data-user>农行</span>, score 5.0 (passed",
        notes.note(notes.ROUTED_MANY, n=3): "Sent to 3 banks",
        notes.note(notes.APPROVED, amount="480 万元", rate="3.85%", term=12): "Credit CNY 4.8m at 3.85% a year",
        notes.note(notes.DISBURSED, amount="1.50 亿元"): "Disbursed CNY 150m",
        notes.note(notes.EXPIRED, date=date(2021, 4, 2)): "Not claimed by the deadline (2 Apr 2021)",
        notes.note(notes.DECLINED, reason_label="资料不齐全", note="缺报表"): "Incomplete documents: <span data-user>缺报表",
        "资料不齐全": "Incomplete documents",
        notes.WITHDRAWN: "Withdrawn by the firm",
    }
    with app.test_request_context(headers={"Cookie": "locale=en"}):
        for stored, english in samples.items():
            assert notes.parse(stored) is not None, stored
            assert str(note_text(stored)).startswith(english), (stored, str(note_text(stored)))
        typed = "已电话联系企业，约定上门调查"  # what a manager typed: shown as typed (the page marks it as data)
        assert notes.parse(typed) is None and note_text(typed) == typed

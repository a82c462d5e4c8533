"""Issue 19 for the district's pages (dashboard, banks, targets and base figures, products, routing weights,
working days) and the bank admin's managers and products: in English they hold no Chinese outside user data, in
Chinese no English interface word; their form errors and flashes come in the reader's language."""
from __future__ import annotations

import pytest

from .conftest import login
from .test_i18n import cjk_left, english_left

PAGES = {  # url -> (role, an English phrase the page must show)
    "/district/": ("district", "District bank–enterprise matchmaking overview"),
    "/district/banks": ("district", "Banks in the district"),
    "/district/products": ("district", "District financial product catalogue"),
    "/district/weights/": ("district", "Routing weights"),
    "/district/workdays/": ("district", "Working-day table"),
    "/targets/": ("district", "Each bank's targets, latest figures and gaps"),
    "/targets/edit/2024": ("district", "Set each bank's 2024 targets"),
    "/targets/base": ("district", "Base figures: each bank's balances at the end of December 2020"),
    "/products/new": ("district", "Eligibility rules"),
    "/bank/products": ("bank_admin", "New product"),
    "/bank/managers": ("bank_admin", "New account"),
}



def _get(app, users, role, url, locale):
    client = app.test_client()
    client.set_cookie("locale", locale)
    login(client, users[role].username)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


@pytest.mark.parametrize("url", sorted(PAGES))
def test_page_reads_in_english(app, users, url):
    role, phrase = PAGES[url]
    html = _get(app, users, role, url, "en")
    assert phrase in html
    assert not cjk_left(html), cjk_left(html)


@pytest.mark.parametrize("url", sorted(PAGES))
def test_page_reads_in_chinese(app, users, url):
    role, _phrase = PAGES[url]
    html = _get(app, users, role, url, "zh_Hans_CN")
    assert not english_left(html), english_left(html)


def _client(app, users, role, locale):
    client = app.test_client()
    client.set_cookie("locale", locale)
    return login(client, users[role].username)


def test_form_errors_and_flashes_in_english(app, users, bank):
    district = _client(app, users, "district", "en")
    html = district.post("/district/workdays/", data={"day": "", "is_workday": "0"}).get_data(as_text=True)
    assert "Enter the date (e.g. 2027-02-08)" in html
    html = district.post("/products/new", data={"name": "", "max_amount_wan": "-5"}).get_data(as_text=True)
    assert "Enter the product name" in html
    html = district.post("/district/weights/", data={"product_fit": "500"}).get_data(as_text=True)
    assert "A weight must be 0–100" in html
    html = district.post("/targets/edit/2024", data={f"ind_{bank.id}": "abc", f"ldr_{bank.id}": "80"}).get_data(
        as_text=True)
    assert "“abc” is not a valid number" in html
    response = district.post("/district/workdays/years/2027/complete", follow_redirects=True)
    assert "2027 marked “whole year entered”" in response.get_data(as_text=True)
    response = district.post("/district/workdays/", data={"day": "2027-02-08", "is_workday": "1", "note": "春节调休"},
                             follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Saved: 8 Feb 2027 is a working day" in html
    assert "<span data-user>春节调休</span>" in html  # the note is the district's own text


def test_form_errors_and_flashes_in_chinese(app, users, bank):
    district = _client(app, users, "district", "zh_Hans_CN")
    html = district.post("/products/new", data={"name": ""}).get_data(as_text=True)
    assert "请填写产品名称" in html
    html = district.post("/targets/edit/2024", data={f"ind_{bank.id}": "abc", f"ldr_{bank.id}": "80"}).get_data(
        as_text=True)
    assert "工业贷款目标“abc”不是有效的数字" in html
    response = district.post("/district/workdays/", data={"day": "2027-02-08", "is_workday": "1"},
                             follow_redirects=True)
    assert "已保存：2027-02-08 上班" in response.get_data(as_text=True)


def test_domain_texts_follow_the_locale_given(db, users):
    """The targets' goals panel and the working-day warning in the locale a page (or a job) asks for; Chinese
    when none is given, as the bulletins and the CLI read them."""
    from datetime import date

    from markupsafe import Markup

    from matchmaker.domain.banks import targets
    from matchmaker.domain.core import workdays

    district = {"ldr_pct": None, "industrial_loans": 0, "reported": 0, "banks": 2, "complete": False,
                "missing": ["甲银行", "乙银行"]}
    english = {g["key"]: g for g in targets.goals_panel(db, district, "en")}
    assert english["ldr"]["label"] == "District LDR"
    assert english["ldr"]["note"] == "0 of 2 banks reported (not reported: 甲银行, 乙银行)"
    chinese = {g["key"]: g for g in targets.goals_panel(db, district)}
    assert chinese["ldr"]["note"] == "0 / 2 家已报送（未报送：甲银行、乙银行）"
    marked = {g["key"]: g for g in targets.goals_panel(db, district, "en", mark=lambda n: Markup("<b>%s</b>") % n)}
    assert "(not reported: <b>甲银行</b>, <b>乙银行</b>)" in str(marked["ldr"]["note"])
    coverage = workdays.coverage(db, date(2026, 12, 1))
    assert "beyond the chinese_calendar data" in coverage.text("en")
    assert "超出 chinese_calendar 的数据范围" in coverage.message

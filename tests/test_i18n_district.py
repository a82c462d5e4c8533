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

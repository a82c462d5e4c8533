"""The shared translation layer (issue 19): glossary labels, shared partials, money in the reader's locale,
notices and e-mails in their recipient's language."""
from __future__ import annotations

import pytest

from matchmaker.domain.core.money import amount_text, chart_unit

from .test_i18n import cjk_left


@pytest.mark.parametrize("yuan, zh, en", [
    (0, "0 万元", "CNY 0"),
    (800, "0.08 万元", "CNY 800"),
    (1500, "0.15 万元", "CNY 1.5k"),
    (125_000, "12.5 万元", "CNY 125k"),
    (995_000, "99.5 万元", "CNY 995k"),
    (999_950, "100 万元", "CNY 1m"),  # the unit is chosen on the rounded value
    (8_000_000, "800 万元", "CNY 8m"),
    (12_345_600, "1,234.56 万元", "CNY 12.35m"),
    (999_999_999, "10.00 亿元", "CNY 1bn"),
    (1_234_567_890, "12.35 亿元", "CNY 1.23bn"),
    (-125_000, "-12.5 万元", "CNY -125k"),
    (None, "—", "—"),
])
def test_an_amount_reads_in_each_language(yuan, zh, en):
    assert amount_text(yuan) == amount_text(yuan, "zh_Hans_CN") == zh  # files and notes stay Chinese by default
    assert amount_text(yuan, "en") == en


def test_a_chart_axis_has_an_english_unit():
    assert chart_unit([5 * 10**8]) == (10**8, "亿元")
    assert chart_unit([5 * 10**8], "en") == (10**6, "CNY m")
    assert chart_unit([2 * 10**9], "en") == (10**9, "CNY bn")
    assert chart_unit([5000, None], "en") == (10**3, "CNY k")


def test_the_money_filter_follows_the_page(app):
    from matchmaker.web.filters import money

    app.config["LOCALE_FROM_BROWSER"] = True
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert money(8_000_000) == "CNY 8m"
    with app.test_request_context():
        assert money(8_000_000) == "800 万元"


def test_labels_and_shared_partials_in_english(app):
    """A glossary dict's value (a marked msgid) and a shared partial, rendered in English."""
    from flask import render_template_string

    from matchmaker.models.requests import DECLINE_REASONS, LEAD_STATES

    app.config["LOCALE_FROM_BROWSER"] = True
    with app.test_request_context(headers={"Accept-Language": "en"}):
        html = render_template_string(
            '<html lang="en">{% from "_macros.html" import lead_badge, request_badge %}'
            '{% from "_filters.html" import industry_select, submit %}'
            '{{ lead_badge("claimed") }}{{ request_badge("funded") }}{{ industry_select() }}{{ submit() }}'
            '{{ DECLINE_REASONS["collateral"][0]|t }} {{ DECLINE_REASONS["collateral"][2]|t }}</html>')
        assert "Claimed" in html and "Disbursed" in html and "All industries" in html and "Machinery" in html
        assert "Insufficient collateral" in html
        assert not cjk_left(html), cjk_left(html)
        assert LEAD_STATES["claimed"] == "已认领" and DECLINE_REASONS["collateral"][1] is True  # stored as before


def test_the_home_page_reads_in_english(client):
    client.set_cookie("locale", "en")
    html = client.get("/").get_data(as_text=True)
    assert "Township finance advisers follow every case" in html
    assert not cjk_left(html), cjk_left(html)


def test_a_shared_form_limit_in_english(app, users):
    """limits.check_amount through AmountRange: the message and its field label in the reader's language."""
    from flask_babel import lazy_gettext as _l
    from flask_wtf import FlaskForm

    from matchmaker.web.fields import AmountRange, FiniteDecimalField

    class Form(FlaskForm):
        class Meta:
            csrf = False

        amount = FiniteDecimalField(_l("申请金额"), validators=[AmountRange(100, _l("申请金额"))])

    app.config["LOCALE_FROM_BROWSER"] = True
    for headers, over, bad in (
            ({"Accept-Language": "en"}, "Amount requested cannot exceed 100 (in CNY 10k)",
             "Amount requested “1e9” is not a valid number"),
            ({}, "申请金额不能超过 100 万元", "申请金额“1e9”不是有效的数字")):
        with app.test_request_context(method="POST", data={"amount": "500"}, headers=headers):
            form = Form()
            assert not form.validate() and form.amount.errors == [over]
        with app.test_request_context(method="POST", data={"amount": "1e9"}, headers=headers):
            form = Form()
            assert not form.validate() and form.amount.errors == [bad]

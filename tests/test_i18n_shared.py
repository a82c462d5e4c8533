"""The shared translation layer (issue 19): glossary labels, shared partials, money in the reader's locale,
notices and e-mails in their recipient's language."""
from __future__ import annotations

import pytest

from matchmaker.domain.core.money import amount_text, chart_unit

from .conftest import login
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


# --- notices and e-mails in the recipient's language -------------------------------------------------------------

def _notices(db, user):
    from sqlalchemy import select

    from matchmaker.models import Notification

    db.expire_all()
    return list(db.scalars(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)))


def test_one_event_notifies_each_recipient_in_their_own_language(app, as_role, db, users, firm, bank, monkeypatch):
    """The claim notice goes to the firm's user (English) and the township's official (Chinese); the e-mails
    built from it follow each recipient too."""
    from sqlalchemy import select

    from matchmaker import senders
    from matchmaker.domain.notify import notifications
    from matchmaker.models import OutboxMessage

    from . import factories

    monkeypatch.setenv("MATCHMAKER_NOTIFY_CHANNELS", "email")
    users["enterprise"].locale = "en"
    notifications.save_preference(db, users["enterprise"], email="firm@example.com")
    notifications.save_preference(db, users["township"], email="town@example.com")
    req, lead = factories.routed_request(db, firm, bank)
    db.commit()
    assert as_role("bank_manager").post(f"/bank/leads/{lead.id}/claim").status_code == 302  # a Chinese page

    [english] = _notices(db, users["enterprise"])
    assert english.title.startswith(f"{bank.name} has claimed your financing request ")
    assert "has claimed your financing request" in english.title
    assert english.body.startswith("The account manager in charge (")
    [chinese] = _notices(db, users["township"])
    assert f"{bank.name}已认领您的融资需求" in chinese.title and chinese.body.startswith("负责的客户经理（")

    mails = {m.recipient: m for m in db.scalars(select(OutboxMessage))}
    sender = senders.SmtpEmailSender(senders.SmtpSettings(host="x", sender="noreply@example.gov.cn"))
    monkeypatch.setenv("MATCHMAKER_PUBLIC_URL", "https://rz.example.gov.cn")
    mail = sender.build("firm@example.com", mails["firm@example.com"].payload)
    assert mail["Subject"] == "[Bank–Firm Match] " + english.title
    content = mail.get_content()
    assert "View: https://rz.example.gov.cn/requests/" in content and "please do not reply" in content
    assert not [c for c in content.replace(bank.name, "") if "\u4e00" <= c <= "\u9fff"], content
    mail = sender.build("town@example.com", mails["town@example.com"].payload)
    assert mail["Subject"] == "【银企对接】" + chinese.title
    assert "查看：https://rz.example.gov.cn/requests/" in mail.get_content() and "请勿回复" in mail.get_content()


def test_bulk_notices_and_amounts_follow_each_recipient(db, users, firm, bank):
    """The set-based paths (new leads to a bank's staff, expired leads) write each row in its reader's language,
    amounts in the reader's form."""
    from matchmaker.domain.requests import followups

    from . import factories

    users["bank_manager"].locale = "en"
    req, lead = factories.routed_request(db, firm, bank)
    req.amount = 8_000_000
    db.flush()
    followups.leads_routed(db, req, [lead])
    followups.notify_expired(db, [lead])
    db.commit()
    new, expired = _notices(db, users["bank_manager"])
    assert new.title == f"New lead: {firm.name} asks for CNY 8m"
    assert expired.title == f"Lead timed out and passed on: {firm.name} asks for CNY 8m"
    assert "went on to other banks" in expired.body
    new, expired = _notices(db, users["bank_manager2"])
    assert new.title == f"新线索：{firm.name} 申请 800 万元"
    assert expired.title.startswith("线索已超时转派：")


def test_a_label_in_a_notice_is_translated_for_its_reader(db, users):
    """Values named *label are msgids (a state, a reason) and are translated; a callable gets the locale."""
    from matchmaker.domain.notify import notifications
    from matchmaker.text import N_

    users["district"].locale = "en"
    notifications.notify(db, "other", N_("转介进展：%(target_label)s%(state_label)s"),
                         body=N_("原因：%(reason)s"),
                         params={"target_label": "应急转贷资金", "state_label": "已对接", "reason": "资料齐全"},
                         user_ids=[users["district"].id, users["township"].id])
    notifications.notify(db, "other", N_("您的融资需求 %(no)s 暂未匹配到银行，已转介：%(targets)s"),
                         params={"no": "R1", "targets": notifications.joined(["应急转贷资金", "镇街金融辅导队"])},
                         user_ids=[users["district"].id, users["township"].id])
    db.commit()
    first, second = _notices(db, users["district"])
    assert first.title == "Referral update: Bridge-loan fund – Contacted"
    assert first.body == "Reason: 资料齐全"  # what a user typed stays as typed
    assert second.title.endswith("referred to: Bridge-loan fund, Township finance advisers")
    first, second = _notices(db, users["township"])
    assert first.title == "转介进展：应急转贷资金已对接" and second.title.endswith("已转介：应急转贷资金、镇街金融辅导队")


def test_the_notification_pages_read_in_english(app, db, users):
    from matchmaker.domain.notify import notifications
    from matchmaker.text import N_

    users["district"].locale = "en"
    notifications.notify(db, "firm", N_("企业认领已通过：%(firm)s"), params={"firm": "某某科技有限公司"},
                         link="/enterprise/", user_ids=[users["district"].id])
    db.commit()
    client = login(app.test_client(), users["district"].username)
    html = client.get("/notifications/").get_data(as_text=True)
    assert "Firm claim approved: 某某科技有限公司" in html and "Mark all as read" in html
    assert "Firm claims &amp; changes" in html  # the notice's kind, a glossary label
    assert not cjk_left(html), cjk_left(html)
    for url in ("/notifications/settings", "/notifications/outbox", "/district/users"):
        html = client.get(url).get_data(as_text=True)
        assert not cjk_left(html), (url, cjk_left(html))
    html = client.post("/notifications/settings", data={"email": "not-an-address", "sms_phone": "12"}).get_data(
        as_text=True)
    assert "Mobile number “12” is not a valid number" in html  # a shared limit, its label translated
    html = client.post("/notifications/settings", data={"email": "not-an-address"}).get_data(as_text=True)
    assert "The e-mail address is not valid" in html
    html = client.post("/district/users", data={"role": "enterprise", "username": "newfirm", "password": "x" * 12},
                       follow_redirects=True).get_data(as_text=True)
    assert "Firm accounts are created by the firms themselves" in html
    html = client.post("/notifications/read-all", follow_redirects=True).get_data(as_text=True)
    assert "Notices marked as read: 1" in html


# --- the command line ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("env, expected", [
    ({"MATCHMAKER_LOCALE": "en"}, "en"),
    ({"MATCHMAKER_LOCALE": "", "LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"MATCHMAKER_LOCALE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "en_US.UTF-8"}, "en"),
    ({"MATCHMAKER_LOCALE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"}, None),
    ({"MATCHMAKER_LOCALE": "", "LC_ALL": "zh_CN.UTF-8"}, None),
])
def test_the_command_line_follows_the_terminals_language(monkeypatch, env, expected):
    from matchmaker.domain.core.translate import cli_locale

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli_locale() == expected


def test_commands_write_in_english_for_an_english_terminal(app, db, users, monkeypatch):
    from matchmaker.domain.notify import notifications

    notifications.notify(db, "other", "测试", user_ids=[users["district"].id])
    db.commit()
    runner = app.test_cli_runner()
    monkeypatch.setenv("MATCHMAKER_LOCALE", "en")
    result = runner.invoke(args=["create-user", "--username", "cli-en", "--role", "district", "--password", "x" * 12])
    assert result.exit_code != 0 and "This password is too common or too simple" in result.output, result.output
    result = runner.invoke(args=["create-user", "--username", "cli-en", "--role", "district",
                                 "--password", "Lk9-vq3-Tz7-pw"])
    assert result.exit_code == 0 and "Account cli-en created (district)" in result.output, result.output
    result = runner.invoke(args=["send-outbox"])
    assert "Taken this run: 0; sent: 0; failed: 0" in result.output
    monkeypatch.setenv("MATCHMAKER_LOCALE", "zh_Hans_CN")
    assert "本次取出 0 条" in runner.invoke(args=["send-outbox"]).output

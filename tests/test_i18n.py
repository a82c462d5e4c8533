"""The translation layer (issue 19): the catalogues are complete and current, the converted pages read in English
with no Chinese left outside user data and in Chinese with no English interface words, form errors (ours and
WTForms' own) come in the reader's language, and the language switch is remembered per user and per cookie.

Pages are converted folder by folder. CONVERTED lists what the crawls enforce: a session that converts more
pages adds them here (and its Python folders to babel.cfg). User data in a page is marked by the `data` filter
(<span data-user>) or a `data-user` attribute; text in another language than the page's carries `lang`."""
from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import url_for
from sqlalchemy import select

from matchmaker.catalogues import TRANSLATIONS
from matchmaker.models import History, User

from .conftest import login

REPO = Path(__file__).resolve().parent.parent
ANONYMOUS = None
SIGNED_IN = ("district", "township", "enterprise", "bank_manager", "bank_admin")

# endpoint -> the roles whose GET of it the crawls check (ANONYMOUS: signed out)
CONVERTED: dict[str, tuple] = {
    "auth.login": (ANONYMOUS,),
    "auth.register": (ANONYMOUS,),
    "account.password": SIGNED_IN,
    "account.history": ("district", "bank_admin"),
    "ledgers.index": SIGNED_IN,
    "ledgers.entries": SIGNED_IN,
    "ledgers.new": ("district",),
    "ledgers.audit": ("district",),
    "tokens.index": ("district", "bank_admin"),
    "tokens.webhook_list": ("bank_admin",),
    "main.index": (ANONYMOUS,),
    "notifications.index": SIGNED_IN,
    "notifications.settings": SIGNED_IN,
    "notifications.outbox_page": ("district",),
    "district.users": ("district",),
    "district.dashboard": ("district",),
    "district.banks": ("district",),
    "products.district_list": ("district",),
    "products.bank_list": ("bank_admin",),
    "products.new": ("district", "bank_admin"),
    "workdays.index": ("district",),
    # bulletins, monthly reports, the listing pipeline
    "bulletins.settings_page": ("district",),
    "listing.index": ("district",),
    "listing.new": ("district",),
    "reports.status": ("district",),
    "reports.index": ("bank_admin",),
    "requests.index": SIGNED_IN,
    "bank.inbox": ("bank_manager", "bank_admin"),
    "overdue.index": ("township", "district", "bank_manager", "bank_admin"),
    "whitelists.index": ("district", "township", "bank_manager", "bank_admin"),
    "whitelists.upload": ("district",),
    "jobs.index": SIGNED_IN,
}
# the error page, reached through a path nothing serves
ERROR_PATHS = ("/no-such-page",)

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
# an English word in a Chinese page: three letters or more with a lower-case one (codes like ABCD-EFGH are fine)
ENGLISH_WORD = re.compile(r"\b[A-Za-z]*[a-z][A-Za-z]*\b")
# words that belong in the Chinese text itself (an example of a common password, file formats)
ZH_ALLOWED = {"password", "Excel", "xlsx", "xls", "csv"}
CHECKED_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-confirm")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class InterfaceText(HTMLParser):
    """The text a reader sees (and the attributes read out or shown), less user data, scripts and text marked
    as another language than the page's."""

    def __init__(self, page_lang: str):
        super().__init__(convert_charrefs=True)
        self.page_lang = page_lang
        self.stack: list[bool] = []  # per open element: is its content skipped?
        self.parts: list[str] = []

    def _skipped(self) -> bool:
        return bool(self.stack) and self.stack[-1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang")
        skip = (self._skipped() or "data-user" in attrs or tag in ("script", "style")
                or (lang is not None and tag != "html" and lang.split("-")[0] != self.page_lang.split("-")[0]))
        if not skip:
            self.parts.extend(attrs[a] for a in CHECKED_ATTRIBUTES if attrs.get(a))
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.parts.append(attrs["value"])
        if tag not in VOID:
            self.stack.append(skip)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not self._skipped() and data.strip():
            self.parts.append(data.strip())


def interface_text(html: str) -> list[str]:
    lang = re.search(r'<html lang="([^"]+)"', html).group(1)
    parser = InterfaceText(lang)
    parser.feed(html)
    return parser.parts


def cjk_left(html: str) -> list[str]:
    return [t for t in interface_text(html) if CJK.search(t)]


def english_left(html: str) -> list[str]:
    return [t for t in interface_text(html)
            if any(w not in ZH_ALLOWED and len(w) >= 3 for w in ENGLISH_WORD.findall(t))]


# --- (1) the catalogues -------------------------------------------------------------------------------------

def catalogues():
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/*.po"))


def test_there_is_an_english_catalogue():
    assert TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po" in catalogues()


@pytest.mark.parametrize("po", catalogues(), ids=lambda p: p.parent.parent.name)
def test_catalogue_has_no_empty_or_fuzzy_entry_and_keeps_placeholders(po):
    with po.open("rb") as f:
        catalog = read_po(f)
    empty, fuzzy, placeholders = [], [], []
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            fuzzy.append(message.id)
        if not message.string:
            empty.append(message.id)
        elif set(re.findall(r"%\((\w+)\)", message.id)) != set(re.findall(r"%\((\w+)\)", message.string)):
            placeholders.append(message.id)
    assert not empty, f"untranslated in {po}: {empty}"
    assert not fuzzy, f"fuzzy in {po}: {fuzzy}"
    assert not placeholders, f"placeholders differ in {po}: {placeholders}"


def test_catalogues_hold_every_marked_string(tmp_path):
    """What the code marks (extracted as `scripts/i18n update` does) is exactly what each catalogue holds: a
    string added without `scripts/i18n update`, or an entry left after its string went, fails here."""
    pot = tmp_path / "messages.pot"
    result = subprocess.run(["bash", str(REPO / "scripts" / "i18n"), "pot", str(pot)], cwd=REPO,
                            capture_output=True, text=True, timeout=300,
                            env={"PYBABEL": str(Path(sys.executable).parent / "pybabel"), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
    with pot.open("rb") as f:
        marked = {m.id for m in read_po(f) if m.id}
    assert len(marked) > 100
    for po in catalogues():
        with po.open("rb") as f:
            held = {m.id for m in read_po(f) if m.id}
        assert not marked - held, f"{po} lacks (run scripts/i18n update): {sorted(marked - held)}"
        assert not held - marked, f"{po} keeps entries nothing marks: {sorted(held - marked)}"


# --- (2) and (3): the crawls --------------------------------------------------------------------------------

def _pages_for(role):
    return [endpoint for endpoint, roles in CONVERTED.items() if role in roles]


@pytest.fixture
def history_rows(app, users):
    """Account changes to list on the account log (their notes are stored text: user data)."""
    client = login(app.test_client(), users["district"].username)
    target = users["bank_manager2"].id
    assert client.post(f"/accounts/{target}/deactivate").status_code == 302
    assert client.post(f"/accounts/{target}/reactivate").status_code == 302


def _crawl(app, users, locale: str):
    """(role, url, html) of every converted page and the error page, for every role, in `locale`."""
    pages = []
    for role in (ANONYMOUS, *SIGNED_IN):
        client = app.test_client()
        client.set_cookie("locale", locale)  # before signing in: the welcome is flashed in the reader's language
        if role is not None:
            login(client, users[role].username)
        with app.test_request_context():
            urls = [url_for(endpoint) for endpoint in _pages_for(role)]
        for url in [*urls, *ERROR_PATHS]:
            response = client.get(url)
            assert response.status_code in (200, 404), (role, url, response.status_code)
            pages.append((role, url, response.get_data(as_text=True)))
    return pages


def test_every_converted_page_reads_in_english(app, users, history_rows):
    pages = _crawl(app, users, "en")
    assert len(pages) >= sum(len(r) for r in CONVERTED.values()) + len(ERROR_PATHS) * 6
    left = {(role, url): cjk_left(html) for role, url, html in pages if cjk_left(html)}
    assert not left, left
    for _role, _url, html in pages:
        assert '<html lang="en">' in html


def test_every_converted_page_reads_in_chinese(app, users, history_rows):
    pages = _crawl(app, users, "zh_Hans_CN")
    left = {(role, url): english_left(html) for role, url, html in pages if english_left(html)}
    assert not left, left
    for _role, _url, html in pages:
        assert '<html lang="zh-CN">' in html


def test_user_data_stays_as_typed_and_is_marked(app, users, db):
    users["district"].display_name = "王科长"
    db.commit()
    client = app.test_client()
    client.set_cookie("locale", "en")
    login(client, users["district"].username)
    html = client.get("/account/password").get_data(as_text=True)
    assert "Welcome, <span data-user>王科长</span>" in html  # the flash names the person: marked too
    assert "<span data-user>王科长</span>" in html.split("Welcome,")[0]  # in the navigation
    assert not cjk_left(html)
    assert "District finance office" in html  # the role's label, translated


def test_the_crawl_would_catch_chinese_interface_text():
    page = '<html lang="en"><body><p>Sign in</p><span data-user>王科长</span><button lang="zh-CN">中文</button>'
    assert not cjk_left(page)
    assert cjk_left(page.replace("Sign in", "登录")) == ["登录"]
    assert cjk_left('<html lang="en"><input title="菜单"></html>') == ["菜单"]
    assert english_left('<html lang="zh-CN"><p>登录</p><p lang="en">English</p>') == []
    assert english_left('<html lang="zh-CN"><p>Not a valid choice</p>') == ["Not a valid choice"]


# --- (4) form errors in each language ------------------------------------------------------------------------

@pytest.mark.parametrize("locale, ours, wtforms_choice, wtforms_length", [
    ("en", "Enter your user name", "Not a valid choice", "between 3 and 64 characters"),
    ("zh_Hans_CN", "请输入用户名", "不是有效的选择", "3 到 64 个字符之间"),
])
def test_form_errors_in_each_language(client, locale, ours, wtforms_choice, wtforms_length):
    client.set_cookie("locale", locale)
    html = client.post("/login", data={"username": "", "password": ""}).get_data(as_text=True)
    assert ours in html
    html = client.post("/register", data={"industry": "nope", "username": "ab"}).get_data(as_text=True)
    assert wtforms_choice in html  # WTForms' own message, through its translations
    assert wtforms_length in html


def test_a_domain_error_is_shown_in_the_readers_language(app, users):
    client = login(app.test_client(), users["enterprise"].username)
    client.set_cookie("locale", "en")
    html = client.post("/account/password", data={"old_password": "wrong-one", "new_password": "x",
                                                  "new_password2": "x"}).get_data(as_text=True)
    assert "The current password is wrong" in html


# --- the switch ----------------------------------------------------------------------------------------------

def test_accept_language_is_the_first_guess(app, client):
    assert app.config["LOCALE_FROM_BROWSER"]  # the default, now that every page is converted
    assert {"Accept-Language", "Cookie"} <= set(client.get("/login").vary)
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert "登录" in client.get("/login", headers={"Accept-Language": "zh-TW,zh;q=0.9"}).get_data(as_text=True)
    assert "登录" in client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "登录" in client.get("/login").get_data(as_text=True)
    app.config["LOCALE_FROM_BROWSER"] = False  # MATCHMAKER_LOCALE_FROM_BROWSER=0: Chinese unless switched
    assert "登录" in client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)


def test_the_switch_is_remembered_by_cookie_for_a_visitor(app):
    client = app.test_client()
    response = client.post("/locale", data={"locale": "en", "next": "/register"},
                           headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/register")
    assert client.get_cookie("locale").value == "en"
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "登录" in app.test_client().get("/login").get_data(as_text=True)  # another browser: not switched


def test_the_switch_is_remembered_in_the_profile_for_a_user(app, users, db):
    client = login(app.test_client(), users["bank_manager"].username)
    assert client.post("/locale", data={"locale": "en", "next": "/account/password"}).status_code == 302
    user = db.scalar(select(User).where(User.id == users["bank_manager"].id).execution_options(populate_existing=True))
    assert user.locale == "en"
    row = db.scalar(select(History).where(History.entity == "user", History.entity_id == user.id,
                                          History.field == "locale"))
    assert (row.old_value, row.new_value) == (None, "en")
    # a preference, not account control: the district's account log leaves it out
    log = login(app.test_client(), users["district"].username).get("/accounts/history").get_data(as_text=True)
    assert "修改资料" not in log, log
    assert "开通账户" in log  # the log itself is there
    # another browser, Chinese cookie and Accept-Language: the profile wins once signed in
    other = app.test_client()
    other.set_cookie("locale", "zh_Hans_CN")
    assert "登录" in other.get("/login").get_data(as_text=True)
    login(other, users["bank_manager"].username)
    html = other.get("/account/password", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Change password" in html and '<html lang="en">' in html
    # and back
    other.post("/locale", data={"locale": "zh_Hans_CN"})
    assert "修改密码" in other.get("/account/password").get_data(as_text=True)


def test_an_unknown_language_is_refused_without_error(app, users):
    client = login(app.test_client(), users["district"].username)
    response = client.post("/locale", data={"locale": "xx" * 50, "next": "https://evil.example/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get_cookie("locale") is None


def test_the_switch_needs_the_csrf_token(app_config):
    from matchmaker import create_app

    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    try:
        client = app.test_client()
        assert client.post("/locale", data={"locale": "en"}).status_code == 400
        assert client.get_cookie("locale") is None
        html = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        assert client.post("/locale", data={"locale": "en", "csrf_token": token}).status_code == 302
        assert client.get_cookie("locale").value == "en"
    finally:
        app.extensions["jobs"].dispose()
        app.extensions["db_engine"].dispose()


def test_dates_and_numbers_follow_the_locale(app):
    from datetime import date, datetime
    from decimal import Decimal

    from matchmaker.web.filters import local_time
    from matchmaker.web.i18n import number

    app.config["LOCALE_FROM_BROWSER"] = True
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert local_time(datetime(2026, 12, 1, 2, 5)) == "1 Dec 2026, 10:05"
        assert local_time(date(2026, 3, 4)) == "4 Mar 2026"
        assert number(Decimal("1234567.505"), 1) == "1,234,567.5"
    with app.test_request_context():
        assert local_time(datetime(2026, 12, 1, 2, 5)) == "2026-12-01 10:05"
        assert number(Decimal("1234567.50")) == "1,234,567.5" and number(None) == "—"
        assert local_time(date(2026, 3, 4)) == "2026-03-04"


def test_the_sign_in_prompt_is_in_the_readers_language(client):
    client.set_cookie("locale", "en")
    response = client.get("/account/password", follow_redirects=True)
    assert "Please sign in first" in response.get_data(as_text=True)


def test_a_domain_error_keeps_its_chinese_text_and_its_values_apart():
    from matchmaker.domain.core.errors import Conflict

    exc = Conflict("账户 %(name)s 已是停用状态", name="王五")
    assert exc.message == str(exc) == "账户 王五 已是停用状态"  # the CLI, logs and the API read this
    assert (exc.msgid, exc.params) == ("账户 %(name)s 已是停用状态", {"name": "王五"})


def test_catalogues_compile_readable_and_only_when_stale(tmp_path):
    """What setup.py, `matchmaker init` and the app at start run: a .mo any user can read, rebuilt when its .po
    is newer."""
    import os
    import shutil

    from babel.support import Translations

    from matchmaker.catalogues import compile_all, stale

    source = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, source, ignore=shutil.ignore_patterns("*.mo"))
    assert stale(source) == catalogues_in(source)
    [mo] = compile_all(source)
    assert os.stat(mo).st_mode & 0o777 == 0o644
    assert stale(source) == []
    assert Translations.load(str(source), ["en"]).gettext("登录") == "Sign in"
    po = mo.with_suffix(".po")
    os.utime(po, (mo.stat().st_mtime + 10, mo.stat().st_mtime + 10))
    assert stale(source) == [po]


def catalogues_in(directory):
    return sorted(directory.glob("*/LC_MESSAGES/*.po"))

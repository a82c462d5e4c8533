"""The translation layer of the web: which language a request is shown in, the language switch in the
navigation, and the template helpers (`_`, `data`, `t`, dates in the locale).

Chinese is the source language: every msgid is the Chinese text, so a string not yet in a catalogue shows in
Chinese, never as a key. The language is the user's choice (user_account.locale), else the `locale` cookie
(anonymous visitors, and a user until they choose), else — unless LOCALE_FROM_BROWSER is off — the best match of
Accept-Language, else Chinese."""
from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date
from babel.dates import format_datetime as babel_datetime
from babel.numbers import format_decimal
from flask import Blueprint, Flask, current_app, flash, has_request_context, redirect, request, url_for
from flask_babel import Babel, get_locale, gettext
from flask_login import current_user
from markupsafe import Markup, escape

from ..catalogues import compile_all
from ..domain.accounts.preferences import DEFAULT_LOCALE, LOCALES, set_locale
from ..domain.core.errors import DomainError

COOKIE = "locale"
COOKIE_AGE = 365 * 24 * 3600
# Accept-Language tags -> our locales (any zh-* reads the Simplified Chinese pages)
_ACCEPT = {"zh": "zh_Hans_CN", "en": "en"}
HTML_LANG = {"zh_Hans_CN": "zh-CN", "en": "en"}
LOCALE_SHORT = {"zh_Hans_CN": "中", "en": "EN"}  # on the switch button; its title and aria-label name it in full

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE
    chosen = getattr(current_user, "locale", None) if current_user.is_authenticated else None
    if chosen in LOCALES:
        return chosen
    cookie = request.cookies.get(COOKIE)
    if cookie in LOCALES:
        return cookie
    if not current_app.config.get("LOCALE_FROM_BROWSER"):
        return DEFAULT_LOCALE
    best = request.accept_languages.best_match(list(_ACCEPT))
    return _ACCEPT.get(best, DEFAULT_LOCALE)


def locale() -> str:
    return str(get_locale() or DEFAULT_LOCALE)


def is_chinese() -> bool:
    return locale().startswith("zh")


def data(value) -> Markup:
    """Mark a value users typed (or a proper name: firm, bank, township, person) so the language tests know it
    is not interface text: <span data-user>…</span>. In an attribute, or where a span cannot go (<option>),
    put `data-user` on the element itself."""
    if value is None or value == "":
        return Markup("")
    return Markup('<span data-user>%s</span>') % value


def with_data(message: str, **values) -> Markup:
    """A translated message with named placeholders whose values are user data: the message escaped, the
    values wrapped by `data` (for flash messages that name a person or a firm)."""
    return Markup(escape(message)) % {k: data(v) for k, v in values.items()}


def translate(value) -> str:
    """A stored label (a Chinese msgid marked with N_ in the glossary) in the reader's language."""
    return gettext(str(value)) if value not in (None, "") else ""


def error_text(exc: DomainError) -> str:
    """A domain error's message in the reader's language, its named values filled in. A value named `label`
    or `…_label` is a marked msgid itself (a field's name, a unit: `limits.check_amount`), so it is translated
    too; every other value is shown as given."""
    if not exc.params:
        return gettext(exc.msgid)
    return gettext(exc.msgid, **labels_translated(exc.params, gettext))


def labels_translated(params: dict, translate_one) -> dict:
    """`params` with each value named `label` / `…_label` passed through `translate_one`."""
    return {k: (translate_one(str(v)) if (k == "label" or k.endswith("_label")) and v else v)
            for k, v in params.items()}


def local_datetime(value: datetime) -> str:
    """A Beijing-time datetime as the locale writes it. Chinese keeps the ISO form the printed pages and
    exports use (2026-12-01 10:49); English spells the month so day and month cannot be swapped."""
    if is_chinese():
        return value.strftime("%Y-%m-%d %H:%M")
    return babel_datetime(value, "d MMM y, HH:mm", locale=locale())


def number(value, digits: int = 2) -> str:
    """A number with the locale's grouping and decimal signs, up to `digits` decimals ("—" for none). The hook
    the money filters use for their digits; an amount with its unit is `|money` (web/filters.py: "CNY 8m")."""
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0." + "#" * digits if digits else "#,##0", locale=locale())


def local_date(value: date) -> str:
    if is_chinese():
        return value.isoformat()
    return format_date(value, "d MMM y", locale=locale())


@bp.post("/locale")
def switch():
    """The language switch: a POST with CSRF (it changes the user's stored preference, so no GET link that a
    prefetch or an <img> on another site could fire). Sets the cookie for everyone, and the profile field for a
    signed-in user, then goes back to the page it came from."""
    from .common import safe_next, session

    chosen = request.form.get("locale", "")
    back = safe_next(request.form.get("next")) or url_for("main.index")
    if chosen not in LOCALES:
        flash(gettext("不支持的语言"), "warning")
        return redirect(back)
    if current_user.is_authenticated:
        db = session()
        try:
            set_locale(db, current_user.id, chosen)
        except DomainError as exc:
            db.rollback()
            flash(error_text(exc), "warning")
            return redirect(back)
        db.commit()
    response = redirect(back)
    response.set_cookie(COOKIE, chosen, max_age=COOKIE_AGE, samesite="Lax", httponly=True,
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def init_app(app: Flask) -> None:
    # a checkout where nobody built the catalogues yet (tests, `pip install -e .` without the build hook)
    try:
        compile_all(only_stale=True)
    except OSError as exc:  # a read-only install: the wheel carries them compiled
        app.logger.warning("translation catalogues not compiled: %s", exc)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    Babel(app, locale_selector=select_locale)
    # WTForms' own messages ("Not a valid choice") in the request's language, through Flask-Babel
    app.config["WTF_I18N_ENABLED"] = True
    app.jinja_env.filters.update(data=data, t=translate, number=number)
    app.jinja_env.globals.update(LOCALES=LOCALES, current_locale=locale, HTML_LANG=HTML_LANG,
                                  LOCALE_SHORT=LOCALE_SHORT)
    app.register_blueprint(bp)

    @app.after_request
    def _vary(response):
        # a page's language depends on these: no shared cache may hand one reader's language to another
        if response.mimetype == "text/html":
            response.vary.add("Accept-Language")
            response.vary.add("Cookie")
        return response

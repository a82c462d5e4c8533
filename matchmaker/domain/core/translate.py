"""Text in a chosen language outside a web page: a notification in its recipient's language, a file a job builds
in the language of who asked for it, CLI output. Pages translate through Flask-Babel (matchmaker/web/i18n.py);
both read the same catalogues, so one msgid (the Chinese text) has one translation everywhere."""
from __future__ import annotations

from functools import lru_cache

from babel.support import NullTranslations, Translations

from ...catalogues import TRANSLATIONS, compile_all
from ..accounts.preferences import DEFAULT_LOCALE, LOCALES


@lru_cache(maxsize=None)
def _catalogue(locale: str) -> NullTranslations:
    if locale == DEFAULT_LOCALE or locale not in LOCALES:
        return NullTranslations()  # Chinese is the source language: the msgid is the text
    try:
        compile_all(only_stale=True)
    except OSError:  # a read-only install: the wheel carries them compiled
        pass
    return Translations.load(str(TRANSLATIONS), [locale])


def text(locale: str | None, message: str, **params) -> str:
    """`message` (a Chinese msgid, marked with N_) in `locale` (None: Chinese), its named placeholders filled.
    A value named `label` or `…_label` is a marked msgid itself and is translated too (as the web's
    i18n.error_text does); every other value is shown as given."""
    catalogue = _catalogue(locale or DEFAULT_LOCALE)
    translated = catalogue.gettext(message) if message else ""
    if not params:
        return translated
    return translated % {k: (catalogue.gettext(str(v)) if (k == "label" or k.endswith("_label")) and v else v)
                         for k, v in params.items()}


def translator(locale: str | None):
    """A `gettext(message, **params)` bound to `locale`, for code that writes many texts (a file's headers)."""
    return lambda message, **params: text(locale, message, **params)

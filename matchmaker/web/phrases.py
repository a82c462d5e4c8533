"""Showing a domain `Phrase` (matchmaker/text.py) in the reader's language: the `phrase` template filter (a
plain value through it is user data, marked as such) and `phrase_text` for flashes."""
from __future__ import annotations

from flask import Flask
from flask_babel import gettext
from markupsafe import Markup, escape

from ..text import Phrase, _is_amount
from .filters import money
from .i18n import data


def _value(key: str, value, markup: bool):
    if key.endswith("_labels"):
        return gettext("、").join(gettext(str(v)) for v in value)
    if _is_amount(key):
        return money(value)
    if (key == "label" or key.endswith("_label")) and value:
        return gettext(str(value))
    if isinstance(value, Phrase):
        return phrase(value) if markup else phrase_text(value)
    if markup and (key == "name" or key.endswith("_name")):
        return data(value)
    return value


def phrase_text(value) -> str:
    """A Phrase as plain text in the reader's language (a flash, an abort message)."""
    if not isinstance(value, Phrase):
        return "" if value is None else str(value)
    if not value.params:
        return gettext(value.msgid)
    return gettext(value.msgid) % {k: _value(k, v, False) for k, v in value.params.items()}


def phrase(value) -> Markup:
    """A Phrase for a page, its names marked as user data; any other value is user data itself."""
    if not isinstance(value, Phrase):
        return data(value)
    message = Markup(escape(gettext(value.msgid)))
    if not value.params:
        return message
    return message % {k: _value(k, v, True) for k, v in value.params.items()}


def init_app(app: Flask) -> None:
    app.jinja_env.filters["phrase"] = phrase

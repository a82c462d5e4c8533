"""Routing and eligibility reasons, and the system's history notes, in the reader's language: a lead's "why this
bank" and a product's "why not" are kept as what to say (msgid and values, `domain/requests/eligibility.says`), so
a request routed while the firm read Chinese reads in English for a bank's head office later. Reasons stored before
that (text only) are shown as stored, marked as Chinese. History notes are stored as Chinese text; the ones the
system wrote are read back into msgid and values (`domain/requests/notes.parse`) and written again."""
from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import gettext
from markupsafe import Markup, escape

from ...domain.requests import notes
from ...domain.requests.eligibility import reason_text
from ..i18n import data, local_date


def _fill(text: str, **values) -> Markup:
    return Markup(escape(text)) % values if values else Markup(escape(text))


def _money(yuan) -> str:
    return current_app.jinja_env.filters["money"](yuan)


def why_text(why) -> Markup:
    """Segments ([[msgid, values], …]) in the reader's language; names and numbers as data."""
    return Markup(reason_text(why, gettext=gettext, data=data, money=_money, fill=_fill))


class Written(Markup):
    """Text already in the reader's language: `str()` and a catalogue lookup (the `t` filter) give it back as it
    is, still marked safe, so its data marks survive `{{ part.reason|t }}` in the shared `_score_parts.html`."""

    __slots__ = ()

    def __str__(self):
        return self


def part_reason(part: dict) -> Markup:
    """A score part's reason: from its segments, or (stored before reasons were kept as segments) its text as
    stored: translated when it is a msgid (a reason without values), else shown as the Chinese it is."""
    if part.get("why"):
        return Written(why_text(part["why"]))
    reason = part.get("reason") or ""
    if not reason:
        return Written("")
    translated = gettext(reason)
    if translated != reason:
        return Written(escape(translated))
    return Written(Markup('<span lang="zh-CN">%s</span>') % reason)


def rule_reason(result) -> Markup:
    """An eligibility rule's reason (`eligibility.RuleResult`) in the reader's language."""
    return why_text(result.why)


class ShownLead:
    """A lead as a page shows it: everything as the lead has it, but its score parts' reasons written in the
    reader's language (the shared `_score_parts.html` prints `part.reason`)."""

    def __init__(self, lead):
        self._lead = lead

    def __getattr__(self, name):
        return getattr(self._lead, name)

    @property
    def score_parts(self) -> dict:
        return {name: {**part, "reason": part_reason(part)} for name, part in (self._lead.score_parts or {}).items()}


def _note_value(name: str, value: str):
    if name.endswith("_label"):
        return gettext(value)
    if name == "amount":
        yuan = notes.amount_yuan(value)
        return _money(yuan) if yuan is not None else data(value)
    if name == "date":
        try:
            return local_date(date.fromisoformat(value))
        except ValueError:
            return value
    if name in ("score", "n", "term", "rate", "lead"):
        return value
    return data(value)


def note_text(text: str | None):
    """A history note in the reader's language when the system wrote it (`notes.NOTES`); else as stored."""
    found = notes.parse(text)
    if found is None:
        return text
    msgid, values = found
    return Written(_fill(gettext(msgid), **{k: _note_value(k, v) for k, v in values.items()}))


class ShownHistory:
    """A History row as a page shows it: its note written in the reader's language (see `note_text`)."""

    def __init__(self, row):
        self._row = row

    def __getattr__(self, name):
        return getattr(self._row, name)

    @property
    def note(self):
        return note_text(self._row.note)


def register(state) -> None:
    """Template globals: `part_reason(part)`, `rule_reason(result)` (for products/_check.html, portrait pages)."""
    state.app.jinja_env.globals.update(part_reason=part_reason, rule_reason=rule_reason)

"""Marking text for translation without Flask: models and rules stay free of the web layer, so a label or
message is written in Chinese (the source language) and only marked; the web layer translates it where it is shown
(`matchmaker/web/i18n.py`). `pybabel extract` (scripts/i18n) collects what N_() marks, and the first argument
of DomainError / NotFound / Forbidden / Conflict."""


def N_(message: str) -> str:
    """Mark `message` for extraction; returns it unchanged. Placeholders are named: "%(name)s"."""
    return message

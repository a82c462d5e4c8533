"""A pybabel extraction method for babel.cfg (scripts/i18n puts this folder on PYTHONPATH): from the Python
files of a domain folder not yet converted to the translation layer, only what N_() marks — the notices'
texts (`notify(...)`, in the recipient's language) and the labels shared with converted pages — and not its
DomainError messages, which its own conversion brings in."""
from __future__ import annotations

from babel.messages.extract import extract_python


def marked_only(fileobj, keywords, comment_tags, options):
    yield from extract_python(fileobj, {"N_": None}, comment_tags, options)

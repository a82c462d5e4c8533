"""Messages of the bank-tracking work that are built from parts: a refused cell of an upload, a figure that moved
too much, a reason a bank is behind. Each is a DomainError used as a message (its Chinese msgid and named values);
a value that is itself marked text (a figure's label, a unit) is a `Label`, translated along with the message.
`render` writes one in a language: the web passes Flask-Babel's gettext, a file or a job `translate.translator`."""
from __future__ import annotations

from typing import Callable

from ..core.errors import DomainError


class Label(str):
    """A value of a message that is a marked msgid itself (N_), shown in the reader's language."""


def message(msgid: str, **params) -> DomainError:
    """A message with named values (not raised: collected, e.g. every bad cell of an upload)."""
    return DomainError(msgid, **params)


def render(item, gettext: Callable[..., str]) -> str:
    """`item` (a DomainError, a Label or plain text) in the language of `gettext(msgid, **params)`."""
    if isinstance(item, DomainError):
        params = {k: render(v, gettext) if isinstance(v, DomainError | Label) else v for k, v in item.params.items()}
        return gettext(item.msgid, **params) if params else gettext(item.msgid)
    if isinstance(item, Label):
        return gettext(str(item)) if item else ""
    return "" if item is None else str(item)

"""Messages of the bank-tracking work that are built from parts: a refused cell of an upload, a figure that moved
too much. Each is a `Message`: its Chinese text (a str, for logs, the CLI and tests) that also keeps its msgid and
named values, so the web can show it in the reader's language; a value that is itself marked text (a figure's
label, a unit) is a `Label`, translated along with the message, and a value may be a message (or a DomainError) in
turn. `render` writes one in a language: the web passes Flask-Babel's gettext, a file or a job
`translate.translator`."""
from __future__ import annotations

from typing import Callable

from ..core.errors import DomainError


class Label(str):
    """A value of a message that is a marked msgid itself (N_), shown in the reader's language."""


class Message(str):
    """A message with named values, as its Chinese text; `msgid` and `params` say how to write it again."""

    msgid: str
    params: dict

    def __new__(cls, msgid: str, **params):
        self = super().__new__(cls, msgid % params if params else msgid)
        self.msgid, self.params = msgid, params
        return self


def message(msgid: str, **params) -> Message:
    return Message(msgid, **params)


def render(item, gettext: Callable[..., str]) -> str:
    """`item` (a Message, a DomainError, a Label or plain text) in the language of `gettext(msgid, **params)`."""
    if isinstance(item, Message | DomainError):
        params = {k: render(v, gettext) if isinstance(v, Message | DomainError | Label) else v
                  for k, v in item.params.items()}
        return gettext(item.msgid, **params) if params else gettext(item.msgid)
    if isinstance(item, Label):
        return gettext(str(item)) if item else ""
    return "" if item is None else str(item)

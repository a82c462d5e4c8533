"""Marking text for translation without Flask: models and rules stay free of the web layer, so a label or
message is written in Chinese (the source language) and only marked; the web layer translates it where it is shown
(`matchmaker/web/i18n.py`). `pybabel extract` (scripts/i18n) collects what N_() marks, and the first argument
of DomainError / NotFound / Forbidden / Conflict."""


def N_(message: str) -> str:
    """Mark `message` for extraction; returns it unchanged. Placeholders are named: "%(name)s"."""
    return message


class Phrase(str):
    """Text the domain builds for a page (a score's reason, a suggested change): a msgid marked with N_ and its
    named values, shown in the reader's language by the web's `phrase` filter (web/phrases.py). As a string it is
    the Chinese text (the CLI, logs, tests and any code that reads it as text). Values by name: `label` /
    `…_label` is a marked msgid (translated), `…_labels` a list of them (each translated, joined by the language's
    list comma), `amount` / `…_amount` an amount in 元 (written as the reader's locale writes money), `name` /
    `…_name` user data (a firm's name: marked as data on the page); any other value is shown as given."""

    msgid: str
    params: dict

    def __new__(cls, msgid: str, **params):
        from .domain.core.money import amount_text

        values = {k: "、".join(v) if k.endswith("_labels") else amount_text(v) if _is_amount(k) else v
                  for k, v in params.items()}
        self = super().__new__(cls, msgid % values if values else msgid)
        self.msgid, self.params = msgid, params
        return self


def _is_amount(key: str) -> bool:
    return key == "amount" or key.endswith("_amount")

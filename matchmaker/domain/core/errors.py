"""Domain errors carry a message a user can read and, optionally, the form field at fault. The message is a
Chinese msgid with named placeholders, its values given apart (`DomainError("账户 %(name)s 已停用", name=…)`),
so the web layer can show it in the reader's language; `message` is the Chinese text, for the CLI, logs and
tests."""


class DomainError(Exception):
    """A business rule refused the action. `field` names the form field when one is at fault."""

    status = 400

    def __init__(self, message: str, field: str | None = None, **params):
        self.msgid = message
        self.params = params
        self.message = message % params if params else message
        super().__init__(self.message)
        self.field = field


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    """The thing changed under us (e.g. another manager claimed the lead first)."""

    status = 409

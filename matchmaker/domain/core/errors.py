"""Domain errors carry a message a user can read (in Chinese) and, optionally, the form field at fault."""


class DomainError(Exception):
    """A business rule refused the action. `field` names the form field when one is at fault."""

    status = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    """The thing changed under us (e.g. another manager claimed the lead first)."""

    status = 409

"""Helpers every blueprint uses: role guards, the current session, pagination and sorting of queries,
and turning domain errors into form errors or flashes."""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request
from flask_login import current_user, login_required
from sqlalchemy import Select, func, select

from ..db import get_session
from ..domain.core.errors import DomainError
from .i18n import error_text


def roles_required(*roles: str):
    """Login required, and the user's role must be one of `roles` (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def session():
    return get_session()


MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """A database id from user input, or None for anything that is not one (text, 0, negative, too large)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def safe_next(target: str | None) -> str | None:
    """Only same-site paths are allowed as a `next` redirect: anything else (another site, a scheme, a
    backslash, CR/LF or any other control character or space) is ignored."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    if any(ch <= " " or ch == "\x7f" for ch in target) or "\\" in target:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme or parts.netloc:
        return None
    return target


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_number() -> int:
    """?page=, 1 when missing or not a number."""
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def paginate(query: Select, per_page: int = 25, scalars: bool = True, total: int | None = None) -> Page:
    """A page of `query` (?page=); `total`: its row count when the caller has a cheaper way to count it."""
    page = page_number()
    db = get_session()
    if total is None:
        total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = db.execute(query.limit(per_page).offset((page - 1) * per_page))
    items = list(rows.scalars().unique()) if scalars else list(rows)
    return Page(items=items, page=page, per_page=per_page, total=total)


def apply_sort(query: Select, columns: dict, default: str) -> Select:
    """Sort by ?sort=name or ?sort=-name among the allowed `columns` (name -> column)."""
    key = request.args.get("sort", default)
    desc = key.startswith("-")
    column = columns.get(key.lstrip("-")) or columns[default.lstrip("-")]
    return query.order_by(column.desc() if desc else column.asc())


def apply_domain_error(exc: DomainError, form=None) -> None:
    """Put the error (in the reader's language) next to its field if the form has it, else flash it."""
    if form is not None and exc.field and hasattr(form, exc.field):
        getattr(form, exc.field).errors = list(getattr(form, exc.field).errors) + [error_text(exc)]
    else:
        flash(error_text(exc), "danger")


def found_or_abort(getter, *args):
    """`getter(*args)` (a domain `get_..._for`), or abort with the refusal's status (403/404)."""
    try:
        return getter(*args)
    except DomainError as exc:
        abort(exc.status, error_text(exc))


def run_action(action, success: str, target: str):
    """Run a form-less POST `action(db)`: commit and flash `success`, or roll back and flash the refusal (403/404
    abort); then redirect to `target`."""
    db = session()
    try:
        action(db)
    except DomainError as exc:
        db.rollback()
        if exc.status in (403, 404):
            abort(exc.status, error_text(exc))
        flash(error_text(exc), "danger")
    else:
        db.commit()
        flash(success, "success")
    return redirect(target)


def run_form_action(db, form, action, success: str, target: str):
    """Run `action()` for a submitted form: on success commit, flash and return a redirect to `target`; on a
    domain error roll back, abort for 403/404, else put the message next to its field and return None."""
    try:
        action()
    except DomainError as exc:
        db.rollback()
        if exc.status in (403, 404):
            abort(exc.status)
        apply_domain_error(exc, form)
        return None
    db.commit()
    flash(success, "success")
    return redirect(target)


def run_form(form, action):
    """Run `action(db)` for a validated form: commit and return its result (never None), or roll back and put
    the refusal next to its field (403/404 abort) and return None."""
    db = session()
    try:
        result = action(db)
    except DomainError as exc:
        db.rollback()
        if exc.status in (403, 404):
            abort(exc.status, error_text(exc))
        apply_domain_error(exc, form)
        return None
    db.commit()
    return result

"""Jinja filters and globals shared by every template (money, rates, dates, labels, pagination).

Every amount on a page goes through `money` (亿元 from 1 亿 up, 万元 below: domain/core/money.amount_text; in the
reader's locale, so "CNY 8m" / "CNY 1.23bn" in English) and every percentage or score through `pct` (two decimals;
`|pct("")` for a score): there is no other money or rate format in the templates. The glossary dicts given as
globals (REQUEST_STATES …) hold Chinese msgids: show a value with `|t`."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from flask import Flask, request, url_for

from ..domain.core.money import amount_text, rate_text
from ..domain.requests.labels import lead_no, req_no
from ..models.firms import FIRM_SIZES, INDUSTRIES
from ..models.products import COLLATERAL_KINDS
from ..models.requests import DECLINE_REASONS, LEAD_STATES, REQUEST_STATES
from ..models.users import ROLES
from . import i18n, nav

CST = timezone(timedelta(hours=8))


def local_time(value) -> str:
    """Stored naive UTC -> Beijing time text, written as the reader's locale writes it (i18n.local_datetime)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return i18n.local_datetime(value.replace(tzinfo=timezone.utc).astimezone(CST))
    if isinstance(value, date):
        return i18n.local_date(value)
    return str(value)


def money(yuan) -> str:
    """An amount in 元 as the reader's locale writes it (domain/core/money.amount_text)."""
    return amount_text(yuan, i18n.locale())


def page_url(page: int) -> str:
    args = request.args.to_dict()
    args["page"] = page
    return url_for(request.endpoint, **{**args, **(request.view_args or {})})


def sort_url(column: str) -> str:
    args = request.args.to_dict()
    current = args.get("sort", "")
    args["sort"] = ("-" + column) if current == column else column
    args.pop("page", None)
    return url_for(request.endpoint, **{**args, **(request.view_args or {})})


def register(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["pct"] = rate_text
    app.jinja_env.filters["req_no"] = req_no
    app.jinja_env.filters["lead_no"] = lead_no
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals.update(
        REQUEST_STATES=REQUEST_STATES, LEAD_STATES=LEAD_STATES, DECLINE_REASONS=DECLINE_REASONS,
        COLLATERAL_KINDS=COLLATERAL_KINDS, INDUSTRIES=INDUSTRIES, FIRM_SIZES=FIRM_SIZES, ROLES=ROLES,
        page_url=page_url, sort_url=sort_url, nav_items=nav.items_for,
    )

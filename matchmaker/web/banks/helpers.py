"""Shared by the bank-tracking pages (reports, targets, bulletins, listing): number filters, chart configs for
Chart.js, and turning a period or a domain error into a page."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, g, request, url_for
from flask_babel import gettext

from ...domain.banks import monthly_reports, periods, wording
from ...domain.banks.periods import Period
from ...domain.core.errors import DomainError
from ...models import utcnow
from ..i18n import error_text

YI = Decimal(10**8)


def figure(yuan, name: str) -> str:
    """A report figure exactly as the bank entered it, in its entry unit (亿元 / 万元 / 户): only on the report form
    and its version history, where a correction below the shown rounding must stay visible. Everywhere else
    amounts go through the `money` filter."""
    if yuan is None:
        return "—"
    value = monthly_reports.from_yuan(monthly_reports.FIGURE_BY_NAME[name], yuan)
    return f"{value:,f}"


def dash(value) -> str:
    return "—" if value in (None, "") else str(value)


def month_label(value) -> str:
    """A month (a date, or "2022-03") in the reader's language: "2022年3月" / "March 2022"."""
    from ..i18n import locale

    if isinstance(value, str):
        value = periods.parse_month(value)
    return periods.month_label(value, locale())


def period_label(period: Period) -> str:
    """A period's label in the reader's language ("2022年第一季度" / "Q1 2022")."""
    from ..i18n import locale

    return period.label_in(locale())


def drill_url(period: str, metric: str, bank=None, reason=None, edition=None) -> str:
    """The link from a figure to its leads: what `url_for('reports.leads', …)` gives, without building the route
    for each of a bulletin's several hundred figures."""
    base = g.get("leads_url")
    if base is None:
        base = g.leads_url = url_for("reports.leads")
    query = (("period", period), ("metric", metric), ("bank", bank), ("reason", reason), ("edition", edition))
    return f"{base}?{urlencode([(k, v) for k, v in query if v is not None])}"


def register_filters(bp: Blueprint) -> None:
    for name, func in (("figure", figure), ("dash", dash), ("month_label", month_label),
                       ("period_label", period_label)):
        bp.add_app_template_filter(func, name)
    bp.add_app_template_global(drill_url, "drill_url")


def today() -> date:
    """Today's date in Beijing."""
    return periods.local_date(utcnow())


def period_from_args(kind: str, default: Period) -> Period:
    """The period named in the query string (?month= / ?quarter= / ?year=), else `default`; 400 when malformed."""
    arg = {"monthly": "month", "quarterly": "quarter", "annual": "year"}[kind]
    key = request.args.get(arg)
    if not key:
        return default
    try:
        return periods.parse(kind, key)
    except DomainError as exc:
        flash(error_text(exc), "danger")
        abort(400)


def fail(exc: DomainError):
    """A domain refusal as an HTTP error page (403/404) or a flash."""
    if exc.status in (403, 404):
        abort(exc.status, error_text(exc))
    flash(error_text(exc), "danger")


def say(item) -> str:
    """A message built from parts (domain/banks/wording: a refused cell, a figure that jumped) in the reader's
    language."""
    return wording.render(item, gettext)


# Chart.js configurations (rendered as JSON; static/js/report-charts.js draws them) ----------------------------

PALETTE = {"actual": "#0b5394", "target": "#f1a340", "schedule": "#999999", "line": "#2e7d32"}


def target_chart(rows: list[dict]) -> dict:
    """Each bank's industrial loan balance against its target and 序时进度 (亿元, horizontal bars)."""
    def values(key):
        return [float(Decimal(r[key]) / YI) if r.get(key) is not None else None for r in rows]

    return {
        "type": "bar",
        "data": {"labels": [r["name"] for r in rows], "datasets": [
            {"label": gettext("工业贷款余额"), "data": values("industrial_loans"), "backgroundColor": PALETTE["actual"]},
            {"label": gettext("序时进度"), "data": values("expected_industrial"), "backgroundColor": PALETTE["schedule"]},
            {"label": gettext("年度目标"), "data": values("target_industrial"), "backgroundColor": PALETTE["target"]},
        ]},
        "options": {"indexAxis": "y", "plugins": {"title": {"display": True,
                                                            "text": gettext("各行工业贷款余额与目标（亿元）")}},
                    "scales": {"x": {"beginAtZero": True}, "y": {"ticks": {"autoSkip": False}}}},
    }


def funnel_chart(steps: list[dict]) -> dict:
    return {
        "type": "bar",
        "data": {"labels": [s["label"] for s in steps],
                 "datasets": [{"label": gettext("线索数"), "data": [s["value"] for s in steps],
                               "backgroundColor": ["#0b5394", "#3d85c6", "#6fa8dc", "#2e7d32"]}]},
        "options": {"indexAxis": "y", "plugins": {"legend": {"display": False},
                                                  "title": {"display": True, "text": gettext("对接漏斗")}},
                    "scales": {"x": {"beginAtZero": True, "ticks": {"precision": 0}}}},
    }


def compliance_chart(series: list[dict]) -> dict:
    return {
        "type": "line",
        "data": {"labels": [s["month"] for s in series],
                 "datasets": [{"label": gettext("按时认领率（%）"), "data": [float(s["pct"]) if s["pct"] else None for s in series],
                               "borderColor": PALETTE["line"], "backgroundColor": PALETTE["line"], "spanGaps": True}]},
        "options": {"plugins": {"title": {"display": True, "text": gettext("线索按时认领率（按月）")}},
                    "scales": {"y": {"min": 0, "max": 100}}},
    }


def score_chart(rows: list[dict], parts: dict[str, str]) -> dict:
    """Stacked weighted parts of each bank's score."""
    colors = ["#0b5394", "#3d85c6", "#6fa8dc", "#2e7d32", "#f1a340", "#b45f06"]
    return {
        "type": "bar",
        "data": {"labels": [r["name"] for r in rows], "datasets": [
            {"label": label, "data": [float(r["parts"][key]["weighted"]) for r in rows],
             "backgroundColor": colors[i % len(colors)]} for i, (key, label) in enumerate(parts.items())]},
        "options": {"indexAxis": "y", "plugins": {"title": {"display": True, "text": gettext("综合得分构成")}},
                    "scales": {"x": {"stacked": True, "max": 100, "beginAtZero": True},
                               "y": {"stacked": True, "ticks": {"autoSkip": False}}}},
    }

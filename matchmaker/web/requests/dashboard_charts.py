"""Chart.js configurations of the district dashboard (funnel, monthly trend, disbursed by township and by bank,
claim time by bank). An amount axis is in 亿元 when its largest amount reaches 1 亿 and in 万元 below (the `money`
rule, domain/core/money.chart_unit); the tables under each chart carry the figures as the pages show them."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext

from ...domain.core.money import chart_unit
from ..banks.helpers import PALETTE
from ..i18n import locale

BLUES = ["#0b5394", "#3d85c6", "#6fa8dc", "#2e7d32"]


def _scaled(amounts: list[int]) -> tuple[list[float], str]:
    """Amounts in 元 -> numbers in the axis's unit (two decimals) and that unit's label, in the reader's
    language."""
    per, unit = chart_unit(amounts, locale())
    return [float(round(Decimal(int(a)) / per, 2)) for a in amounts], gettext(unit)


def _bars(labels: list[str], label: str, values: list, title: str, color: str, horizontal: bool = True) -> dict:
    return {"type": "bar",
            "data": {"labels": labels, "datasets": [{"label": label, "data": values, "backgroundColor": color}]},
            "options": {"indexAxis": "y" if horizontal else "x",
                        "plugins": {"legend": {"display": False}, "title": {"display": True, "text": title}},
                        "scales": {"x": {"beginAtZero": True}, "y": {"ticks": {"autoSkip": False}}}}}


def funnel(steps: list[dict]) -> dict:
    config = _bars([gettext(s["label"]) for s in steps], gettext("需求数"), [s["value"] for s in steps],
                   gettext("对接漏斗（需求数）"), BLUES[0])
    config["data"]["datasets"][0]["backgroundColor"] = BLUES
    return config


def trend(rows: list[dict]) -> dict:
    amounts, unit = _scaled([r["disbursed_amount"] for r in rows])
    return {"type": "bar",
            "data": {"labels": [r["month"] for r in rows], "datasets": [
                {"type": "line", "label": gettext("放款金额（%(unit)s）", unit=unit), "data": amounts,
                 "borderColor": PALETTE["line"], "backgroundColor": PALETTE["line"], "yAxisID": "amount"},
                {"label": gettext("新增需求（笔）"), "data": [r["requests"] for r in rows], "backgroundColor": PALETTE["actual"],
                 "yAxisID": "count"}]},
            "options": {"plugins": {"title": {"display": True, "text": gettext("按月需求与放款")}},
                        "scales": {"count": {"position": "left", "beginAtZero": True, "ticks": {"precision": 0}},
                                   "amount": {"position": "right", "beginAtZero": True,
                                              "title": {"display": True, "text": unit},
                                              "grid": {"drawOnChartArea": False}}}}}


def by_township(rows: list[dict]) -> dict:
    amounts, unit = _scaled([r["disbursed"] for r in rows])
    return _bars([r["township"] for r in rows], gettext("放款（%(unit)s）", unit=unit), amounts,
                 gettext("各镇街放款金额（%(unit)s）", unit=unit), PALETTE["actual"])


def by_bank(rows: list[dict]) -> dict:
    amounts, unit = _scaled([r["disbursed_amount"] for r in rows])
    return _bars([r["bank"] for r in rows], gettext("放款（%(unit)s）", unit=unit), amounts,
                 gettext("各银行放款金额（%(unit)s）", unit=unit), PALETTE["actual"])


def claim_days(rows: list[dict]) -> dict:
    return _bars([r["bank"] for r in rows], gettext("平均认领用时（工作日）"),
                 [float(r["claim_days"]) if r["claim_days"] is not None else None for r in rows],
                 gettext("各银行平均认领用时（工作日，自推送至认领，与通报同一口径）"), PALETTE["target"])

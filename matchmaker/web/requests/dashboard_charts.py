"""Chart.js configurations of the district dashboard (funnel, monthly trend, disbursed by township and by bank,
claim time by bank). Amounts in 万元 as numbers for the axes; the tables under each chart carry the exact figures."""
from __future__ import annotations

from decimal import Decimal

from ..banks.helpers import PALETTE

BLUES = ["#0b5394", "#3d85c6", "#6fa8dc", "#2e7d32"]


def _wan(yuan: int) -> float:
    return float(Decimal(int(yuan)) / 10_000)


def _bars(labels: list[str], label: str, values: list, title: str, color: str, horizontal: bool = True) -> dict:
    return {"type": "bar",
            "data": {"labels": labels, "datasets": [{"label": label, "data": values, "backgroundColor": color}]},
            "options": {"indexAxis": "y" if horizontal else "x",
                        "plugins": {"legend": {"display": False}, "title": {"display": True, "text": title}},
                        "scales": {"x": {"beginAtZero": True}, "y": {"ticks": {"autoSkip": False}}}}}


def funnel(steps: list[dict]) -> dict:
    config = _bars([s["label"] for s in steps], "需求数", [s["value"] for s in steps], "对接漏斗（需求数）", BLUES[0])
    config["data"]["datasets"][0]["backgroundColor"] = BLUES
    return config


def trend(rows: list[dict]) -> dict:
    return {"type": "bar",
            "data": {"labels": [r["month"] for r in rows], "datasets": [
                {"type": "line", "label": "放款金额（万元）", "data": [_wan(r["disbursed_amount"]) for r in rows],
                 "borderColor": PALETTE["line"], "backgroundColor": PALETTE["line"], "yAxisID": "amount"},
                {"label": "新增需求（笔）", "data": [r["requests"] for r in rows], "backgroundColor": PALETTE["actual"],
                 "yAxisID": "count"}]},
            "options": {"plugins": {"title": {"display": True, "text": "按月需求与放款"}},
                        "scales": {"count": {"position": "left", "beginAtZero": True, "ticks": {"precision": 0}},
                                   "amount": {"position": "right", "beginAtZero": True,
                                              "grid": {"drawOnChartArea": False}}}}}


def by_township(rows: list[dict]) -> dict:
    return _bars([r["township"] for r in rows], "放款（万元）", [_wan(r["disbursed"]) for r in rows],
                 "各镇街放款金额（万元）", PALETTE["actual"])


def by_bank(rows: list[dict]) -> dict:
    return _bars([r["bank"] for r in rows], "放款（万元）", [_wan(r["disbursed_amount"]) for r in rows],
                 "各银行放款金额（万元）", PALETTE["actual"])


def claim_days(rows: list[dict]) -> dict:
    return _bars([r["bank"] for r in rows], "平均认领用时（工作日）",
                 [float(r["claim_days"]) if r["claim_days"] is not None else None for r in rows],
                 "各银行平均认领用时（工作日，自推送至认领，与通报同一口径）", PALETTE["target"])

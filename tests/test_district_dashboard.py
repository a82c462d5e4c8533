"""The district dashboard people read: one money format (亿元 from 1 亿 up, 万元 below), a period filter that
counts each row by its own date, the funnel and monthly trend as set-based figures, and every chart with its
figures in a table for printing."""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from matchmaker.domain.core.errors import DomainError
from matchmaker.domain.core.money import amount_text, chart_unit, rate_text
from matchmaker.domain.requests import dashboard, leads

from . import factories


@pytest.mark.parametrize("yuan, text", [
    (None, "—"), (0, "0 万元"), (49, "0 万元"), (50, "0.01 万元"), (8_000_000, "800 万元"), (125_000, "12.5 万元"),
    (628_650_000 // 10, "6,286.5 万元"), (99_990_000, "9,999 万元"), (99_999_949, "9,999.99 万元"),
    # the unit is chosen on the rounded value: never "10,000 万元"
    (99_999_950, "1.00 亿元"), (10**8, "1.00 亿元"), (100_499_999, "1.00 亿元"), (100_500_000, "1.01 亿元"),
    (123_456_789, "1.23 亿元"), (8 * 10**10, "800.00 亿元"), (12_345_678_900_000, "123,456.79 亿元"),
    (-150_000_000, "-1.50 亿元"), (-40, "0 万元"), (Decimal("628650000"), "6.29 亿元")])
def test_one_money_format(yuan, text):
    assert amount_text(yuan) == text


@pytest.mark.parametrize("value, unit, text", [
    (None, "%", "—"), ("", "%", "—"), ("110.53", "%", "110.53%"), (Decimal("98.754"), "", "98.75"),
    (Decimal("98.755"), "", "98.76"), (0, "", "0.00"), (12, "%", "12.00%"), (33.3333, "%", "33.33%"),
    ("—", "%", "—"), ("-5.005", "%", "-5.01%")])
def test_one_format_for_percentages_and_scores(value, unit, text):
    assert rate_text(value, unit) == text


def test_chart_axes_pick_their_unit_by_the_money_rule():
    assert chart_unit([]) == (10**4, "万元")
    assert chart_unit([0, 99_999_949, None]) == (10**4, "万元")
    assert chart_unit([5, 99_999_950]) == (10**8, "亿元")


def test_templates_show_money_and_rates_through_the_one_filter_each(app):
    """No template formats an amount or a rate by hand: the old `wan`/`yi` filters are gone, and there is no
    '%.2f' / round(..) ~ '%' / value ~ '%' formatting left (the 800.0000 / 98.754 / 62865.00 mix)."""
    import re
    from pathlib import Path

    env = app.jinja_env
    assert "wan" not in env.filters and "yi" not in env.filters
    assert env.from_string("{{ 150000000|money }} {{ 8000000|money }} {{ '98.754'|pct('') }} {{ 5|pct }}").render() \
        == "1.50 亿元 800 万元 98.75 5.00%"
    # hand-made formats of a money amount, a percentage or a score ("%.1f" for a job's seconds is none of them)
    bad = re.compile(r"\|\s*(wan|yi)\b|\"%\.\d+f(%%|\"\|format\((?!job))|round\(\d\)\s*~\s*\"%\"|_pct \}\}%|~ \"%\"")
    root = Path(app.root_path).parent / "templates"
    offenders = [f"{path.relative_to(root)}:{n}" for path in root.rglob("*.html")
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if bad.search(line)]
    assert offenders == []


def test_period_filter_parses_and_refuses_with_the_field():
    assert dashboard.window_from("monthly", "2026-03").start == date(2026, 3, 1)
    w = dashboard.window_from("custom", None, "2026-01-05", "2026-02-10")
    assert (w.start, w.end, w.label) == (date(2026, 1, 5), date(2026, 2, 11), "2026-01-05 至 2026-02-10")
    for args, field in ((("custom", None, "2026-02-10", "2026-01-05"), "end"), (("custom", None, "x", "2026-01-05"), "start"),
                        (("monthly", "2026-13"), "month"), (("bogus",), "period")):
        with pytest.raises(DomainError) as exc:
            dashboard.window_from(*args)
        assert exc.value.field == field


def _approved_and_paid(db, users, firm, bank, filed: datetime, paid: date, amount=2_000_000):
    req, lead = factories.routed_request(db, firm, bank)
    req.amount = amount
    req.created_at = lead.created_at = filed
    manager = users["bank_manager"]
    leads.claim(db, manager, lead.id)
    leads.record_contact(db, manager, lead.id)
    leads.start_review(db, manager, lead.id)
    offer = leads.approve(db, manager, lead.id, amount_yuan=amount, rate_pct=Decimal("3.5"), term_months=12)
    offer.created_at = filed
    lead.state, lead.disbursed_amount, lead.disbursed_at = "disbursed", amount, paid
    db.flush()
    return req, lead


def test_period_counts_each_row_by_its_own_date(db, users, firm, bank):
    _approved_and_paid(db, users, firm, bank, datetime(2026, 2, 10, 2), date(2026, 3, 3))
    _approved_and_paid(db, users, firm, bank, datetime(2026, 3, 20, 2), date(2026, 3, 25), amount=5_000_000)
    db.commit()
    march = dashboard.window_from("monthly", "2026-03")
    # requested and approved count March's request only; disbursed counts both March disbursements
    assert dashboard.amounts(db, window=march) == {"requested": 5_000_000, "approved": 5_000_000,
                                                  "disbursed": 7_000_000}
    assert [s["value"] for s in dashboard.funnel(db, window=march)] == [1, 1, 1, 1]
    assert [s["value"] for s in dashboard.funnel(db)] == [2, 2, 2, 2]
    trend = dashboard.monthly_trend(db, dashboard.trend_months(dashboard.window_from("annual", "2026"),
                                                               date(2026, 6, 1)))
    assert len(trend) == 12
    feb, mar = trend[1], trend[2]
    assert (feb["requests"], feb["disbursed"]) == (1, 0)
    assert (mar["requests"], mar["disbursed"], mar["disbursed_amount"]) == (1, 2, 7_000_000)
    row = next(r for r in dashboard.by_bank(db, march) if r["bank_id"] == bank.id)
    assert (row["received"], row["approved"], row["disbursed"]) == (1, 1, 1)
    assert row["claim_days"] is not None


def test_dashboard_page_filters_charts_and_tables(as_role, db, users, firm, bank):
    _approved_and_paid(db, users, firm, bank, datetime(2026, 3, 20, 2), date(2026, 3, 25), amount=150_000_000)
    db.commit()
    client = as_role("district")
    page = client.get("/district/?period=monthly&key=2026-03").get_data(as_text=True)
    assert "2026年3月" in page and '<div class="stat-value">1.50 亿元</div>' in page
    charts = {cid: json.loads(page.split(f'id="chart-{cid}">')[1].split("</script>")[0])
              for cid in ("funnel", "trend", "townships", "banks", "claim")}
    assert charts["funnel"]["data"]["datasets"][0]["data"] == [1, 1, 1, 1]
    assert 'id="funnel-table"' in page and 'id="trend-table"' in page and 'id="township-table"' in page
    empty = client.get("/district/?period=monthly&key=2026-01").get_data(as_text=True)
    assert '<div class="stat-value">0 万元</div>' in empty
    bad = client.get("/district/?period=custom&start=2026-05-01&end=2026-04-01")
    assert bad.status_code == 200 and "结束日期不能早于开始日期" in bad.get_data(as_text=True)


def test_dashboard_reads_in_yi_with_each_chart_above_its_table(as_role, db, users, firm, bank):
    _approved_and_paid(db, users, firm, bank, datetime(2026, 3, 20, 2), date(2026, 3, 25), amount=150_000_000)
    _approved_and_paid(db, users, firm, bank, datetime(2026, 2, 20, 2), date(2026, 2, 25), amount=3_000_000)
    db.commit()
    page = as_role("district").get("/district/?period=quarterly&key=2026Q1").get_data(as_text=True)
    charts = {cid: json.loads(page.split(f'id="chart-{cid}">')[1].split("</script>")[0])
              for cid in ("funnel", "trend", "townships", "banks", "claim")}
    # 1.53 亿 disbursed: the axes are in 亿元, as the tables
    assert charts["banks"]["data"]["datasets"][0]["label"] == "放款（亿元）"
    assert max(charts["banks"]["data"]["datasets"][0]["data"]) == 1.53
    assert charts["trend"]["data"]["datasets"][0]["label"] == "放款金额（亿元）"
    assert [d for d in charts["trend"]["data"]["datasets"][0]["data"] if d] == [0.03, 1.5]
    bank_row = page.split('id="bank-table"')[1].split(f">{bank.name}<")[1].split("</tr>")[0]
    assert "1.53 亿元" in bank_row
    trend_table = page.split('id="trend-table"')[1].split("</table>")[0]
    assert "300 万元" in trend_table and "1.50 亿元" in trend_table
    assert "万元）" not in page.split('id="bank-table"')[1].split("</thead>")[0]  # no unit in the headers: cells carry it
    # every chart comes before the table carrying its figures (tables print under their charts)
    for chart_id, table_id in (("funnel", "funnel-table"), ("trend", "trend-table"), ("banks", "bank-table"),
                               ("claim", "bank-table"), ("townships", "township-table")):
        assert page.index(f'data-chart="chart-{chart_id}"') < page.index(f'id="{table_id}"'), chart_id
    # below 1 亿 the axis stays in 万元
    small = as_role("district").get("/district/?period=monthly&key=2026-02").get_data(as_text=True)
    assert json.loads(small.split('id="chart-banks">')[1].split("</script>")[0])["data"]["datasets"][0]["label"] \
        == "放款（万元）"


@pytest.mark.parametrize("query, field, message", [
    ("period=custom&start=2026-05-01&end=2026-04-01", "end", "结束日期不能早于开始日期"),
    ("period=custom&start=2026-13-01&end=2026-04-01", "start", "格式应为 YYYY-MM-DD"),
    ("period=custom&start=2001-01-01&end=2026-04-01", "end", "自定义期间最长十年"),
    ("period=monthly&key=2026-13", "key", "格式应为 YYYY-MM"),
    ("period=quarterly&key=2026Q5", "key", "格式应为 YYYYQn"),
    ("period=annual&key=" + "9" * 500, "key", "格式应为 YYYY"),
    ("period=weekly", "period", "未知的期间类型"),
])
def test_a_bad_period_is_refused_with_its_field_marked(as_role, query, field, message):
    response = as_role("district").get(f"/district/?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    error = page.split('id="period-error"')[1].split("</div>")[0]
    assert f'data-field="{field}"' in error and message in error
    marked = page.split('id="period-filter"')[1].split("</form>")[0]
    assert marked.count("is-invalid") == 1
    assert f'id="{field}" name="{field}"' in marked.split("is-invalid")[1][:120]
    assert "全部时间" in page.split('<h1')[1].split("</h1>")[0]  # all time is shown meanwhile


def test_the_demo_paces_bank_steps_in_order_and_never_in_the_future(db):
    import random as _random

    from sqlalchemy import select

    from matchmaker.demo import core as demo
    from matchmaker.models import History, Lead, utcnow

    demo.make_accounts(db, factories.FirmFactory())
    firms = demo.make_firms(db, 20, _random.Random(3))
    db.flush()
    from matchmaker.models import User
    on_behalf = {u.township_id: u for u in db.scalars(select(User).where(User.role == "township"))}
    demo.make_requests(db, firms, 60, _random.Random(3), on_behalf, db.scalar(select(User).where(
        User.username == "firm")))
    db.flush()
    now = utcnow()
    claimed = list(db.scalars(select(Lead).where(Lead.claimed_at.is_not(None))))
    assert claimed
    for lead in claimed:
        steps = [t for t in (lead.created_at, lead.claimed_at, lead.contacted_at, lead.decided_at) if t]
        assert steps == sorted(steps) and steps[-1] <= now, lead.id
    lags = [(lead.claimed_at - lead.created_at).total_seconds() / 3600 for lead in claimed]
    assert max(lags) >= 20 and sum(lags) / len(lags) > 2  # not every claim the same instant
    assert max(db.scalars(select(History.at))) <= now
    rows = [r for r in dashboard.by_bank(db) if r["claim_days"]]
    assert rows and max(r["claim_days"] for r in rows) > 0.5

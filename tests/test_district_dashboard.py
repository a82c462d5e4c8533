"""The district dashboard people read: one money format (亿元 from 1 亿 up, 万元 below), a period filter that
counts each row by its own date, the funnel and monthly trend as set-based figures, and every chart with its
figures in a table for printing."""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from matchmaker.domain.core.errors import DomainError
from matchmaker.domain.core.money import amount_text
from matchmaker.domain.requests import dashboard, leads

from . import factories


@pytest.mark.parametrize("yuan, text", [(None, "—"), (0, "0 万元"), (8_000_000, "800 万元"), (125_000, "12.5 万元"),
                                        (99_990_000, "9,999 万元"),
                                        (123_456_789, "1.23 亿元"), (10**8, "1.00 亿元")])
def test_one_money_format(yuan, text):
    assert amount_text(yuan) == text


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

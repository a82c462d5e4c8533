"""In a real browser: the district dashboard draws its five charts on a desktop and on a phone-sized screen
without widening the page, and in print every chart keeps its table under it within the paper's width."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By

from matchmaker.domain.requests import leads

from .. import factories
from ..conftest import PASSWORD
from .conftest import login, screenshot

pytestmark = pytest.mark.e2e
CHARTS = ("funnel", "trend", "banks", "claim", "townships")
TABLES = {"funnel": "funnel-table", "trend": "trend-table", "banks": "bank-table", "claim": "bank-table",
          "townships": "township-table"}


def _paid(db, users, firm, bank, filed, paid, amount):
    req, lead = factories.routed_request(db, firm, bank)
    req.amount, req.created_at, lead.created_at = amount, filed, filed
    manager = users["bank_manager"]
    for step in (leads.claim, leads.record_contact, leads.start_review):
        step(db, manager, lead.id)
    leads.approve(db, manager, lead.id, amount_yuan=amount, rate_pct=Decimal("3.5"), term_months=12)
    lead.state, lead.disbursed_amount, lead.disbursed_at = "disbursed", amount, paid


def _geometry(b):
    return b.execute_script("""
        const box = (el) => el.getBoundingClientRect();
        return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
                charts: Object.fromEntries([...document.querySelectorAll('canvas[data-chart]')].map(
                    c => [c.dataset.chart.replace('chart-', ''), {w: c.width, h: c.height, top: box(c).top,
                                                                  right: box(c).right}])),
                tables: Object.fromEntries(['funnel-table', 'trend-table', 'bank-table', 'township-table'].map(
                    id => [id, box(document.getElementById(id)).top]))};""")


def test_dashboard_charts_fit_desktop_phone_and_paper(live_server, make_browser, db, users, firm, bank):
    _paid(db, users, firm, bank, datetime(2026, 3, 2, 2), date(2026, 3, 20), 150_000_000)
    _paid(db, users, firm, bank, datetime(2026, 2, 2, 2), date(2026, 2, 20), 3_000_000)
    db.commit()
    for name, (width, height) in {"desktop": (1366, 900), "phone": (390, 844)}.items():
        b = make_browser(1366, 900)
        if name == "phone":
            b.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                              {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})
        login(b, live_server, users["district"].username, PASSWORD)
        b.get(live_server + "/district/?period=quarterly&key=2026Q1")
        assert "1.53 亿元" in b.find_element(By.ID, "bank-table").text
        g = _geometry(b)
        assert g["scroll"] <= g["inner"], name  # nothing widens the page
        assert set(g["charts"]) == set(CHARTS)
        for chart, box in g["charts"].items():
            assert box["w"] > 0 and box["h"] > 0 and box["right"] <= g["inner"], (name, chart)
            assert box["top"] < g["tables"][TABLES[chart]], (name, chart)  # its table is under it
        screenshot(b, f"district-dashboard-{name}")
        if name == "desktop":
            b.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
            b.set_window_size(720, 1000)  # about an A4 page's printable width
            b.execute_script("window.dispatchEvent(new Event('beforeprint'))")
            assert not b.find_element(By.ID, "period-filter").is_displayed()
            g = _geometry(b)
            assert g["scroll"] <= g["inner"], "print"
            for chart, box in g["charts"].items():
                assert 0 < box["right"] <= g["inner"], ("print", chart)
            for table in ("funnel-table", "trend-table", "bank-table", "township-table"):
                assert b.find_element(By.ID, table).is_displayed()
            screenshot(b, "district-dashboard-print")

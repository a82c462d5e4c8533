"""In a real browser (CSRF on): a bank admin reports a month on the form, confirms a jump and corrects it; the
district sees the figures in the monthly bulletin with its charts drawn, issues it, and the page still prints."""
from datetime import date

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from matchmaker.models import Bulletin, MonthlyReport

from ..conftest import PASSWORD
from ..factories import MonthlyReportFactory
from .conftest import click_and_wait, login, logout, screenshot

pytestmark = pytest.mark.e2e
FIGURES = {"deposits": "100", "loans": "105", "industrial_loans": "14.4", "new_industrial_loans": "3000",
           "first_loan_count": "2", "first_loan_amount": "150", "ip_pledge_loans": "1000", "green_loans": "1500",
           "kechuang_loans": "1000", "zhengyinbao_loans": "1000", "supply_chain_bills": "500"}


def _fill(b, values):
    for name, value in values.items():
        field = b.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)


def _press(b, xpath, text):
    button = b.find_element(By.XPATH, xpath)
    b.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", button)
    click_and_wait(b, button, text)


def test_report_confirm_correct_and_issue(live_server, browser, db, users, bank):
    MonthlyReportFactory(bank_id=bank.id, month=date(2022, 2, 1), deposits=5_000_000_000, loans=10_000_000_000,
                         industrial_loans=1_400_000_000, new_industrial_loans=30_000_000, first_loan_count=2,
                         first_loan_amount=1_500_000, ip_pledge_loans=10_000_000, green_loans=15_000_000,
                         kechuang_loans=10_000_000, zhengyinbao_loans=10_000_000, supply_chain_bills=5_000_000)
    db.commit()
    b = browser
    login(b, live_server, users["bank_admin"].username, PASSWORD)
    b.get(live_server + "/reports/submit?month=2022-03")
    _fill(b, FIGURES)
    _press(b, "//button[normalize-space()='报送']", "请核对")
    assert "各项存款余额较上月增长100.0%" in b.find_element(By.ID, "jump-warnings").text
    screenshot(b, "report-jump")
    b.execute_script("document.querySelector('[name=confirm_jump]').click()")
    _press(b, "//button[normalize-space()='报送']", "已报送（第1版）")

    b.get(live_server + "/reports/submit?month=2022-03")
    _fill(b, {"industrial_loans": "14.5", "note": "补报技改贷款"})  # the confirmed jump is not asked about again
    _press(b, "//button[normalize-space()='提交更正']", "已报送（第2版）")
    assert "第2版（当前）" in b.page_source
    screenshot(b, "report-versions")
    db.expire_all()
    assert [r.industrial_loans for r in db.scalars(select(MonthlyReport).where(
        MonthlyReport.month == date(2022, 3, 1)).order_by(MonthlyReport.version))] == [1_440_000_000, 1_450_000_000]
    logout(b)

    login(b, live_server, users["district"].username, PASSWORD)
    b.get(live_server + "/bulletins/monthly?month=2022-03")
    widths = b.execute_script("return [...document.querySelectorAll('canvas[data-chart]')].map(c => c.width)")
    assert len(widths) == 3 and all(w > 0 for w in widths)
    assert "14.50" in b.find_element(By.ID, "target-table").text
    b.execute_script("window.confirm = () => true")
    _press(b, "//button[contains(., '发布月通报')]", "已发布（第1版）")
    screenshot(b, "bulletin-issued")
    b.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    assert not b.find_element(By.CSS_SELECTOR, "nav.navbar").is_displayed()
    assert b.find_element(By.ID, "target-table").is_displayed()
    db.expire_all()
    assert db.scalar(select(Bulletin.edition)) == 1

"""In a real browser: a firm registers and files a request; a bank manager claims and approves it; the firm
sees the approval."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from matchmaker.domain.accounts import users as accounts
from matchmaker.domain.firms.uscc import make as make_uscc
from matchmaker.models import FinancingRequest

from ..conftest import PASSWORD
from .conftest import click_and_wait, login, logout, screenshot

pytestmark = pytest.mark.e2e


def test_register_file_claim_approve(live_server, browser, db):
    b = browser
    b.get(live_server + "/register")
    code = make_uscc("91370402MA3E2E001")
    b.find_element(By.NAME, "uscc").send_keys(code)
    b.find_element(By.NAME, "name").send_keys("枣庄浏览器测试新材料有限公司")
    Select(b.find_element(By.NAME, "township_id")).select_by_visible_text("中心街街道")
    Select(b.find_element(By.NAME, "industry")).select_by_value("new_materials")
    b.find_element(By.NAME, "contact_person").send_keys("周经理")
    b.find_element(By.NAME, "contact_phone").send_keys("13912345678")
    b.find_element(By.NAME, "username").send_keys("e2efirm")
    b.find_element(By.NAME, "password").send_keys(PASSWORD)
    b.find_element(By.NAME, "password2").send_keys(PASSWORD)
    click_and_wait(b, b.find_element(By.CSS_SELECTOR, "main form button[type=submit]"), "注册成功")

    b.get(live_server + "/requests/new")
    b.find_element(By.NAME, "amount_wan").send_keys("300")
    b.find_element(By.NAME, "term_months").send_keys("12")
    b.find_element(By.NAME, "purpose").send_keys("购买原材料")
    Select(b.find_element(By.NAME, "collateral")).select_by_value("property")
    screenshot(b, "request-new")
    click_and_wait(b, b.find_element(By.CSS_SELECTOR, "main form button[type=submit]"), "已推送给")
    screenshot(b, "request-routed")

    req = db.scalar(select(FinancingRequest).order_by(FinancingRequest.id.desc()))
    lead = req.leads[0]
    accounts.create_user(db, "e2emanager", PASSWORD, "bank_manager", bank_id=lead.bank_id)
    db.commit()
    logout(b)

    login(b, live_server, "e2emanager", PASSWORD)
    b.get(f"{live_server}/bank/leads/{lead.id}")
    assert "认领后可见" in b.find_element(By.ID, "contact").text
    click_and_wait(b, b.find_element(By.XPATH, "//button[normalize-space()='认领此线索']"), "认领成功")
    assert "13912345678" in b.find_element(By.ID, "contact").text
    click_and_wait(b, b.find_element(By.XPATH, "//button[normalize-space()='记录已联系企业']"), "已记录联系情况")
    click_and_wait(b, b.find_element(By.XPATH, "//button[normalize-space()='进入审查']"), "已进入审查")
    amount = b.find_element(By.NAME, "amount_wan")
    amount.clear()
    amount.send_keys("250")
    b.find_element(By.NAME, "rate_pct").send_keys("3.85")
    click_and_wait(b, b.find_element(By.XPATH, "//button[contains(., '审批通过')]"), "已审批通过")
    screenshot(b, "lead-approved")
    logout(b)

    login(b, live_server, "e2efirm", PASSWORD)
    b.get(f"{live_server}/requests/{req.id}")
    page = b.page_source
    assert "授信方案比较" in page and "250 万元" in page and "3.85%" in page and "3.850%" not in page
    assert "已获授信" in page
    screenshot(b, "request-offered")

"""In a real browser on a phone-sized screen: a township official checks in two firms (by pinyin initials and
by USCC) and records an intention; the bank's manager then sees the lead, already claimed, in the inbox."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from matchmaker.domain.events import invitations as inv

from .. import factories
from ..conftest import PASSWORD
from ..events_support import make_event, product_of
from .conftest import click_and_wait, login, screenshot, wait_for_text

pytestmark = pytest.mark.e2e
PHONE_WIDTH = 390


def _check_in_row(b, text: str):
    """The 签到 button of the only row listed after searching."""
    rows = b.find_elements(By.CSS_SELECTOR, "#checkin-list li")
    assert len(rows) == 1 and text in rows[0].text, [r.text for r in rows]
    return rows[0].find_element(By.XPATH, ".//button[normalize-space()='签到']")


def test_check_in_two_firms_and_record_an_intention(live_server, make_browser, db, users, township, bank):
    event = make_event(db, users["township"], banks=[bank], capacity=30, title="浏览器测试银企对接会")
    first = factories.FirmFactory(township_id=township.id, name="枣庄鑫源新材料有限公司")
    second = factories.FirmFactory(township_id=township.id, name="枣庄华泰纺织有限公司")
    inv.send_invitations(db, users["township"], event, [first.id, second.id])
    product = product_of(db, bank)
    db.commit()

    b = make_browser(500, 844)  # headless chromium's smallest window; the page itself is emulated at 390px
    b.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": PHONE_WIDTH, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    login(b, live_server, users["township"].username, PASSWORD)
    b.get(f"{live_server}/events/{event.id}/checkin")
    search = b.find_element(By.NAME, "q")
    search.send_keys("zzxy")
    click_and_wait(b, b.find_element(By.CSS_SELECTOR, "form[role=search] button"), "名单中匹配的企业")
    click_and_wait(b, _check_in_row(b, first.name), f"{first.name}</span> 签到成功（已签到 1 / 30）")  # the name: user data
    b.find_element(By.NAME, "q").send_keys(second.uscc)
    click_and_wait(b, b.find_element(By.CSS_SELECTOR, "form[role=search] button"), "名单中匹配的企业")
    click_and_wait(b, _check_in_row(b, second.name), f"{second.name}</span> 签到成功（已签到 2 / 30）")
    assert b.execute_script("return window.innerWidth") == PHONE_WIDTH
    assert b.execute_script("return document.documentElement.scrollWidth") <= PHONE_WIDTH  # no sideways scrolling
    screenshot(b, "event-checkin-phone")

    b.find_element(By.XPATH, "//a[contains(., '登记意向')]").click()
    wait_for_text(b, "已登记的意向")
    Select(b.find_element(By.NAME, "firm_id")).select_by_value(str(second.id))
    Select(b.find_element(By.NAME, "bank_id")).select_by_value(str(bank.id))
    Select(b.find_element(By.NAME, "product_id")).select_by_value(str(product.id))
    b.find_element(By.NAME, "amount_wan").send_keys("500")
    Select(b.find_element(By.NAME, "manager_id")).select_by_value(str(users["bank_manager"].id))
    click_and_wait(b, b.find_element(By.XPATH, "//button[contains(., '登记意向')]"), "已生成线索")
    assert second.name in b.find_element(By.ID, "intention-list").text
    screenshot(b, "event-intention-phone")

    b = make_browser()  # the bank's manager, on a desk computer
    login(b, live_server, users["bank_manager"].username, PASSWORD)
    b.get(f"{live_server}/bank/?tab=open")
    inbox = b.find_element(By.TAG_NAME, "main").text
    assert second.name in inbox and "已认领" in inbox
    b.find_element(By.XPATH, f"//tr[contains(., '{second.name}')]//a").click()
    wait_for_text(b, "线索 L-")
    assert second.contact_phone in b.find_element(By.ID, "contact").text  # claimed: contact visible
    assert "浏览器测试银企对接会" in b.page_source
    screenshot(b, "event-lead-claimed")

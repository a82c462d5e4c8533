"""One journey in English in a real browser (issue 19): a visitor whose browser asks for Chinese presses the
language switch, signs in (a wrong password first), meets a form error and the account pages in English; the
choice is remembered after signing out and back in, and the switch brings Chinese back."""
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from ..conftest import PASSWORD
from .conftest import click_and_wait, screenshot, wait_for_text

pytestmark = pytest.mark.e2e


def _open_menu(b):
    """English labels are longer, so below 1400 px the menu is collapsed: open it as a reader would."""
    toggler = b.find_elements(By.CSS_SELECTOR, ".navbar-toggler")
    if toggler and toggler[0].is_displayed() and toggler[0].get_attribute("aria-expanded") != "true":
        toggler[0].click()
        WebDriverWait(b, 5).until(lambda d: d.find_element(By.CSS_SELECTOR, ".navbar-collapse.show"))
        time.sleep(0.4)  # the collapse animation


def test_a_journey_in_english(live_server, browser, users):
    b = browser
    b.get(live_server + "/login")
    assert b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"  # the browser asks for zh-CN
    click_and_wait(b, b.find_element(By.CSS_SELECTOR, ".lang-switch button[value=en]"), "Remember me")
    assert b.current_url.endswith("/login?") or b.current_url.endswith("/login")
    b.find_element(By.NAME, "username").send_keys(users["enterprise"].username)
    b.find_element(By.NAME, "password").send_keys("not-the-password")
    click_and_wait(b, b.find_element(By.CSS_SELECTOR, "main form button[type=submit]"), "Wrong user name or password")
    b.find_element(By.NAME, "password").send_keys(PASSWORD)
    click_and_wait(b, b.find_element(By.CSS_SELECTOR, "main form button[type=submit]"), "Welcome")
    b.get(live_server + "/account/password")
    b.find_element(By.NAME, "old_password").send_keys(PASSWORD)
    b.find_element(By.NAME, "new_password").send_keys("a-new-pass-2026")
    b.find_element(By.NAME, "new_password2").send_keys("something-else")
    click_and_wait(b, b.find_element(By.CSS_SELECTOR, "main form button[type=submit]"),
                   "The two new passwords do not match")
    screenshot(b, "i18n-en-password-error")
    # signed out and in again: still English (cookie and profile)
    _open_menu(b)
    click_and_wait(b, b.find_element(By.XPATH, "//button[normalize-space()='Sign out']"), "Signed out")
    b.find_element(By.NAME, "username").send_keys(users["enterprise"].username)
    b.find_element(By.NAME, "password").send_keys(PASSWORD)
    click_and_wait(b, b.find_element(By.CSS_SELECTOR, "main form button[type=submit]"), "Sign out")
    # and back to Chinese, on the same page
    b.get(live_server + "/account/password")
    _open_menu(b)
    click_and_wait(b, b.find_element(By.CSS_SELECTOR, ".lang-switch button[value=zh_Hans_CN]"), "保存新密码")
    assert b.current_url.endswith("/account/password")
    wait_for_text(b, "退出")

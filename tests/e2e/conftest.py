"""Browser-test fixtures: the app served on a free local port in a thread, and headless Debian chromium
driven by Selenium through /usr/bin/chromedriver (no browser download)."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCREENSHOTS = Path(os.environ.get("MATCHMAKER_SCREENSHOTS", "/tmp/matchmaker-screenshots"))


@pytest.fixture
def live_server(app):
    """Serve `app` (same database as the `db` fixture) on 127.0.0.1:<free port>; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def _driver(width: int, height: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("headless chromium / chromedriver not installed (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--lang=zh-CN", f"--window-size={width},{height}"):
        options.add_argument(arg)
    # a Chinese reader's browser: --lang alone leaves headless chromium's Accept-Language at en-US (issue 19)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(3)
    return driver


@pytest.fixture
def browser():
    """A fresh headless chromium (desktop size); closed after the test."""
    driver = _driver(1280, 900)
    yield driver
    driver.quit()


@pytest.fixture
def make_browser():
    """make_browser(width, height) for extra sessions (another user, a phone-sized screen)."""
    made = []

    def make(width: int = 1280, height: int = 900):
        d = _driver(width, height)
        made.append(d)
        return d

    yield make
    for d in made:
        d.quit()


def screenshot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def login(driver, base_url: str, username: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base_url + "/login")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for_text(driver, "退出")


def logout(driver) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.XPATH, "//button[normalize-space()='退出']").click()
    wait_for_text(driver, "已退出登录")


@pytest.fixture
def app_config(app_config):
    """Browser tests run with CSRF on, as in production."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


def wait_for_text(driver, text: str, timeout: float = 10) -> None:
    """Wait until `text` is on the page (after a click that navigates)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: text in d.page_source)


def click_and_wait(driver, element, text: str) -> None:
    from selenium.common.exceptions import ElementClickInterceptedException

    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)  # not under a sticky bar
    try:
        element.click()
    except ElementClickInterceptedException:  # a sticky bar or a tooltip over it at this window size
        driver.execute_script("arguments[0].click()", element)
    wait_for_text(driver, text)

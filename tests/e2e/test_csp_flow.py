"""The pages work in a real browser under the Content-Security-Policy: no violation is reported while
Chart.js draws the bulletin's charts, Bootstrap's menus open, the print and back buttons (listeners now, not
onclick) work; and logout in the browser ends the session."""
import pytest
from selenium.webdriver.common.by import By

from ..conftest import PASSWORD
from .conftest import login, logout, screenshot

pytestmark = pytest.mark.e2e

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber));
"""


def violations(b) -> list:
    return b.execute_script("return window.__csp || []")


def test_pages_work_under_the_csp(live_server, browser, users):
    b = browser
    # runs before any page script, outside the page's CSP
    b.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
    login(b, live_server, users["district"].username, PASSWORD)
    assert violations(b) == []
    b.get(live_server + "/bulletins/monthly?month=2022-03")
    drawn = b.execute_script(
        "return [...document.querySelectorAll('canvas[data-chart]')].map(c => !!Chart.getChart(c))")
    assert drawn and all(drawn)
    screenshot(b, "csp-bulletin")
    assert violations(b) == []
    # print buttons call window.print through a listener
    b.execute_script("window.__printed = 0; window.print = () => { window.__printed += 1; }")
    b.find_element(By.CSS_SELECTOR, "[data-print]").click()
    assert b.execute_script("return window.__printed") == 1
    # the user menu (Bootstrap's dropdown) opens and leads to 修改密码
    b.find_element(By.CSS_SELECTOR, ".user-menu .dropdown-toggle").click()
    b.find_element(By.LINK_TEXT, "修改密码").click()
    assert "/account/password" in b.current_url and violations(b) == []
    # the error page's back button
    b.get(live_server + "/district/")
    b.get(live_server + "/no-such-page")
    b.find_element(By.CSS_SELECTOR, "[data-back]").click()
    assert b.current_url.rstrip("/").endswith("/district")
    assert violations(b) == []
    # the watcher does see a violation (an inline script added to the page is blocked)
    b.execute_script("const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
                     "document.body.appendChild(s);")
    assert b.execute_script("return window.__ran") is None
    assert any("script-src" in v for v in violations(b))


def test_logout_in_the_browser_ends_the_session(live_server, browser, users):
    b = browser
    login(b, live_server, users["township"].username, PASSWORD)
    cookies = b.get_cookies()
    logout(b)
    assert "/login" in b.current_url
    for cookie in cookies:  # put the old cookies back, as a thief who copied them would
        b.add_cookie({k: v for k, v in cookie.items() if k in ("name", "value", "path")})
    b.get(live_server + "/township/")
    assert "/login" in b.current_url

"""Take screenshots of pages as each demo user (desktop and phone widths) with headless chromium.

Usage: python scripts/screenshots.py BASE_URL OUTDIR user:/path [user:/path ...]
       (demo password demo-2026-pass; user "-" means not logged in)
"""
from __future__ import annotations

import sys
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def driver(width: int, height: int):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def main() -> None:
    base, outdir, *targets = sys.argv[1:]
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    for width, height, tag in ((1280, 900, "desktop"), (390, 844, "phone")):
        d = driver(width, height)
        current = None
        for target in targets:
            user, path = target.split(":", 1)
            if user != current:
                d.delete_all_cookies()
                if user != "-":
                    d.get(base + "/login")
                    d.find_element(By.NAME, "username").send_keys(user)
                    d.find_element(By.NAME, "password").send_keys("demo-2026-pass")
                    d.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
                    WebDriverWait(d, 10).until(lambda drv: "/login" not in drv.current_url)
                current = user
            d.get(base + path)
            total = d.execute_script("return document.body.scrollHeight")
            d.set_window_size(width, min(max(height, total + 120), 4000))
            name = f"{tag}-{user}-{path.strip('/').replace('/', '_').replace('?', '_') or 'home'}.png"
            d.save_screenshot(str(out / name))
            d.set_window_size(width, height)
            print(out / name)
        d.quit()


if __name__ == "__main__":
    main()

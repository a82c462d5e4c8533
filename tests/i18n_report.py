"""What is left to translate, page by page: crawl a built demo as every demo role in one language and list, per
kind of page, the interface text still in the other language (CJK in English pages, English words in Chinese
ones), user data marked with `|data` left out. The tool behind issue 19's conversion, and the check that
tests/test_crawl_demo.py runs over the whole site.

    python -m tests.i18n_report sqlite:////path/demo.sqlite [--locale en|zh_Hans_CN] [--prefix /events]

Build the demo once (`MATCHMAKER_DATABASE_URL=sqlite:////path/demo.sqlite matchmaker demo --yes`); the report
works on a copy, since signing in writes to the database."""
from __future__ import annotations

import argparse
import re
import shutil
import tempfile
from collections import defaultdict

from matchmaker import create_app
from matchmaker.demo.core import DEMO_PASSWORD

from .test_crawl_demo import ROLES, crawl
from .test_i18n import cjk_left, english_left


def language_report(app, locale: str, prefixes: tuple[str, ...] = ()) -> dict[str, dict[str, list[str]]]:
    """{page kind: {"role url": [texts left]}} for every page the demo roles reach in `locale`."""
    check = cjk_left if locale == "en" else english_left
    found: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for username in ROLES:
        client = app.test_client()
        client.set_cookie("locale", locale)
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, f"{username} cannot sign in"

        def on_page(url, html, username=username):
            if prefixes and not url.startswith(prefixes):
                return
            left = check(html)
            if left:
                found[re.sub(r"\d+", "N", url.split("?")[0])][f"{username} {url}"] = left
        crawl(client, [], on_page)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url", help="a built demo, e.g. sqlite:////work/demo.sqlite (SQLite is copied)")
    parser.add_argument("--locale", default="en", choices=("en", "zh_Hans_CN"))
    parser.add_argument("--prefix", action="append", default=[], help="only pages under this path (repeatable)")
    args = parser.parse_args()
    url = args.database_url
    with tempfile.TemporaryDirectory() as tmp:
        if url.startswith("sqlite:///"):
            copy = f"{tmp}/demo.sqlite"
            shutil.copy(url.removeprefix("sqlite:///"), copy)
            url = f"sqlite:///{copy}"
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "report-" + "k" * 32, "WTF_CSRF_ENABLED": False,
                          "RATELIMIT_ENABLED": False, "PROPAGATE_EXCEPTIONS": False, "FILES_DIR": tmp})
        report = language_report(app, args.locale, tuple(args.prefix))
        app.extensions["db_engine"].dispose()
    total = 0
    for kind in sorted(report):
        pages = report[kind]
        texts = sorted({t for left in pages.values() for t in left})
        total += len(texts)
        print(f"{kind}  ({len(pages)} pages, e.g. {next(iter(pages))})")
        for text in texts[:60]:
            print(f"    {text[:140]}")
        if len(texts) > 60:
            print(f"    … {len(texts) - 60} more")
    print(f"{len(report)} kinds of page, {total} texts left in {args.locale}")


if __name__ == "__main__":
    main()

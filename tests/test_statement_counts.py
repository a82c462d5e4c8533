"""Page cost does not grow with the data: each main page runs the same number of SQL statements on a small demo
and on one ten times larger. An N+1 (a lazy load per row) shows up here as growth. SQLite only: the count is the
same on PostgreSQL, and two demo builds per run are enough."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import event, select

from matchmaker import create_app
from matchmaker.config import SEED_DIR
from matchmaker.demo import core as demo
from matchmaker.domain.core import reference, schema
from matchmaker.models import FinancingRequest, MatchmakingEvent

from .conftest import PG_URL, login

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="statement counts are checked on SQLite")

PAGES = {
    "district": ["/district/", "/overdue/", "/requests/", "/notifications/", "/district/firms", "/referrals/",
                 "/first-loans/", "/ratings/banks", "/whitelists/high_tech", "/events/", "/requests/{request}",
                 "/events/{event}/report", "/targets/", "/reports/status", "/bulletins/monthly", "/bulletins/quarterly",
                 "/bulletins/annual", "/district/banks", "/whitelists/", "/listing/", "/events/followups"],
    "manager17": ["/bank/", "/bank/?tab=open", "/overdue/", "/notifications/", "/events/"],
    "township": ["/township/", "/township/firms", "/requests/", "/overdue/", "/referrals/", "/events/"],
    "firm": ["/enterprise/", "/requests/", "/notifications/", "/enterprise/profile", "/portrait/firms/1"],
    "bankadmin17": ["/bank/", "/bank/products", "/bank/managers", "/reports/"],
}


def _build(tmp_path_factory, name: str, firms: int, requests: int):
    path = tmp_path_factory.mktemp(name) / "demo.sqlite"
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "TESTING": True, "SECRET_KEY": "counts",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    engine = app.extensions["db_engine"]
    schema.upgrade(engine)
    with app.extensions["db_sessionmaker"]() as session:
        reference.load_all(session, SEED_DIR)
        demo.build(session, firms=firms, requests=requests, seed=7)
        session.commit()
        ids = {"request": session.scalar(select(FinancingRequest.id).where(FinancingRequest.state == "funded")
                                         .order_by(FinancingRequest.id)),
               "event": session.scalar(select(MatchmakingEvent.id).order_by(MatchmakingEvent.id))}
    return app, ids


def _counts(app, ids) -> dict[tuple[str, str], int]:
    engine = app.extensions["db_engine"]
    seen = []

    def count(*_args, **_kw):
        seen.append(1)

    out = {}
    for user, paths in PAGES.items():
        client = login(app.test_client(), user, demo.DEMO_PASSWORD)
        for path in paths:
            url = path.format(**ids)
            client.get(url)  # warm: caches that fill once per process are not per-row cost
            event.listen(engine, "before_cursor_execute", count)
            try:
                seen.clear()
                response = client.get(url)
            finally:
                event.remove(engine, "before_cursor_execute", count)
            assert response.status_code == 200, (user, url, response.status_code)
            out[(user, path)] = len(seen)
    return out


@pytest.fixture(scope="module")
def small_and_large(tmp_path_factory):
    random.seed(7)
    small = _counts(*_build(tmp_path_factory, "small", firms=60, requests=120))
    large = _counts(*_build(tmp_path_factory, "large", firms=600, requests=800))
    return small, large


def test_no_page_runs_more_statements_with_ten_times_the_data(small_and_large):
    small, large = small_and_large
    grown = {page: (small[page], large[page]) for page in small if large[page] > small[page]}
    assert not grown, f"statements grew with the data (small, large): {grown}"

"""Every main page of every role against a large database (build it with benchmarks/scale_data.py), served by
gunicorn (2 workers, gthread) on loopback: p50/p95 per page, its ratio to /healthz in the same run (the machine is
shared, so ratios are the figures to compare), the SQL statements the page runs, and each worker's peak memory.
One JSON line per page, then a summary line.

    python benchmarks/pages.py --url postgresql+psycopg://postgres@127.0.0.1:5432/scale

Bounded: --samples per page (default 15) and --page-seconds per page (default 20), loopback only."""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matchmaker.demo.core import DEMO_PASSWORD as PASSWORD  # noqa: E402

GOAL_P95_MS, GOAL_RATIO = 250, 25
# (account, path); {request}, {event} and {firm_request} are filled from the database.
PAGES = [
    ("district", "/district/"), ("district", "/bulletins/monthly"), ("district", "/bulletins/quarterly"),
    ("district", "/bulletins/annual"), ("district", "/overdue/"), ("district", "/requests/"),
    ("district", "/requests/{request}"), ("district", "/notifications/"), ("district", "/district/firms"),
    ("district", "/whitelists/above_scale"), ("district", "/whitelists/above_scale?q=%E9%91%AB%E6%BA%90"),
    ("district", "/whitelists/above_scale/export.csv"), ("district", "/whitelists/above_scale/export.xlsx"),
    ("district", "/events/{event}/report"), ("district", "/targets/"), ("district", "/reports/status"),
    ("manager17", "/bank/"), ("manager17", "/overdue/"), ("manager17", "/notifications/"),
    ("township", "/township/"), ("township", "/township/firms"), ("township", "/requests/"),
    ("township", "/notifications/"),
    ("firm", "/enterprise/"), ("firm", "/requests/"), ("firm", "/requests/{firm_request}"),
    ("bankadmin17", "/bank/"), ("bankadmin17", "/reports/"),
]


class Client:
    """A logged-in browser: cookies, CSRF token from the login form."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, int]:
        try:
            with self.opener.open(self.base + path, timeout=120) as resp:
                return resp.status, len(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, len(exc.read())

    def login(self, username: str) -> None:
        with self.opener.open(self.base + "/login", timeout=60) as resp:
            page = resp.read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        data = {"username": username, "password": PASSWORD}
        if token:
            data["csrf_token"] = token.group(1)
        with self.opener.open(self.base + "/login", urllib.parse.urlencode(data).encode(), timeout=60) as resp:
            if resp.url.rstrip("/").endswith("/login"):
                raise SystemExit(f"login failed for {username}")


def ids(url: str) -> dict:
    from sqlalchemy import func, select

    from matchmaker.db import make_engine, make_session_factory
    from matchmaker.models import FinancingRequest, History, MatchmakingEvent, User

    with make_session_factory(make_engine(url))() as s:
        busiest = s.execute(select(History.request_id, func.count()).where(History.request_id.is_not(None))
                            .group_by(History.request_id).order_by(func.count().desc()).limit(1)).first()
        firm_id = s.scalar(select(User.firm_id).where(User.username == "firm"))
        event = s.execute(select(MatchmakingEvent.id).order_by(MatchmakingEvent.id.desc())).scalars().first()
        return {"request": busiest[0], "event": event,
                "firm_request": s.scalar(select(FinancingRequest.id).where(FinancingRequest.firm_id == firm_id)
                                         .order_by(FinancingRequest.id))}


def statement_counts(url: str, pages: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """SQL statements per page, counted on the engine of an in-process app over the same database."""
    from sqlalchemy import event

    from matchmaker import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False})
    engine = app.extensions["db_engine"]
    seen = [0]
    event.listen(engine, "before_cursor_execute", lambda *a, **k: seen.__setitem__(0, seen[0] + 1))
    out, clients = {}, {}
    for user, path in pages:
        if user not in clients:
            clients[user] = app.test_client()
            clients[user].post("/login", data={"username": user, "password": PASSWORD})
        clients[user].get(path)  # warm (first-use caches)
        seen[0] = 0
        clients[user].get(path)
        out[(user, path)] = seen[0]
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_peaks(master: int) -> list[int]:
    """Peak resident memory (MB) of each gunicorn worker (children of the master)."""
    out = []
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        status = Path(f"/proc/{child}/status").read_text()
        out.append(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) // 1024)
    return out


def measure(client: Client, path: str, samples: int, seconds: float) -> tuple[list[float], int, int]:
    status, size = client.get(path)  # warm-up
    times, deadline = [], time.monotonic() + seconds
    while len(times) < samples and (time.monotonic() < deadline or len(times) < 3):
        t = time.perf_counter()
        status, size = client.get(path)
        times.append((time.perf_counter() - t) * 1000)
    return times, status, size


def pct(times: list[float], q: float) -> float:
    if len(times) == 1:
        return times[0]
    return statistics.quantiles(times, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("MATCHMAKER_DATABASE_URL"), required=False)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--page-seconds", type=float, default=20.0)
    parser.add_argument("--only", default="", help="measure only paths containing this text")
    args = parser.parse_args()
    if not args.url:
        raise SystemExit("--url (or MATCHMAKER_DATABASE_URL) of a database built by benchmarks/scale_data.py")
    known = ids(args.url)
    pages = [(u, p.format(**known)) for u, p in PAGES if args.only in p]
    counts = statement_counts(args.url, pages)
    port = free_port()
    env = {**os.environ, "MATCHMAKER_DATABASE_URL": args.url, "MATCHMAKER_SECRET_KEY": "bench-" + str(port),
           "MATCHMAKER_LOGIN_RATE_LIMIT": "1000 per minute"}
    gunicorn = [str(Path(sys.executable).with_name("gunicorn")), "-w", "2", "-k", "gthread", "--threads", "4",
                "-b", f"127.0.0.1:{port}", "--timeout", "300", "--log-level", "warning", "matchmaker:create_app()"]
    server = subprocess.Popen(gunicorn, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        clients: dict[str, Client] = {}
        health = Client(base)
        h_times, _, _ = measure(health, "/healthz", args.samples * 2, args.page_seconds)
        results = []
        for user, path in pages:
            if user not in clients:
                clients[user] = Client(base)
                clients[user].login(user)
            times, status, size = measure(clients[user], path, args.samples, args.page_seconds)
            more, _, _ = measure(health, "/healthz", 3, 5)  # /healthz through the run, not only at its start
            h_times += more
            results.append((user, path, times, status, size))
        h50, h95 = pct(h_times, 50), pct(h_times, 95)
        print(json.dumps({"page": "/healthz", "role": "-", "n": len(h_times), "p50_ms": round(h50, 1),
                          "p95_ms": round(h95, 1)}))
        met = 0
        for user, path, times, status, size in results:
            p50, p95 = pct(times, 50), pct(times, 95)
            ok = status == 200 and p95 <= GOAL_P95_MS and p95 / h95 <= GOAL_RATIO
            met += ok
            print(json.dumps({"page": urllib.parse.unquote(path), "role": user, "status": status, "n": len(times),
                              "p50_ms": round(p50, 1), "p95_ms": round(p95, 1),
                              "p50_vs_healthz": round(p50 / h50, 1), "p95_vs_healthz": round(p95 / h95, 1),
                              "sql_statements": counts[(user, path)], "bytes": size, "goal_met": ok},
                             ensure_ascii=False), flush=True)
        print(json.dumps({"summary": "pages", "pages": len(results), "goal_met": met,
                          "goal": f"p95 <= {GOAL_P95_MS} ms and <= {GOAL_RATIO}x /healthz",
                          "worker_peak_mb": worker_peaks(server.pid), "worker_goal_mb": 400}))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()

"""`matchmaker serve`: gunicorn with 2 workers logs users in through both (one secret key, rate limits counted in
Redis), and refuses settings that break with several workers."""
from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import PASSWORD

REDIS_URL = "redis://127.0.0.1:6379/3"
SECRET = "serve-test-secret-0123456789abcdef-0123456789"  # ≥ 32 bytes, as production requires


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("needs Redis at 127.0.0.1:6379 (.ci/run starts it)")
    return client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_env(database_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHMAKER_")}
    env.update(MATCHMAKER_DATABASE_URL=database_url, **extra)
    return env


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _login(base: str, username: str) -> tuple[int, str, str]:
    """A fresh browser: GET the form (CSRF token), POST the login; each request on a new connection, so the two
    may reach different workers. Returns the POST's status, its Location and the signed-in home page."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = opener.open(f"{base}/login", timeout=20).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, page[:500]
    form = urllib.parse.urlencode({"csrf_token": token.group(1), "username": username, "password": PASSWORD})
    try:
        response = opener.open(f"{base}/login", data=form.encode(), timeout=20)
        return response.status, "", ""
    except urllib.error.HTTPError as exc:
        if exc.code != 302:
            return exc.code, "", exc.read().decode(errors="replace")[:300]
        location = exc.headers["Location"]
    home = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)).open(
        urllib.parse.urljoin(base, location), timeout=20)
    return 302, location, home.read().decode()


def _wait_healthy(base: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "matchmaker serve exited early"
        try:
            if urllib.request.urlopen(f"{base}/healthz", timeout=2).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError("matchmaker serve did not answer /healthz in time")


def test_serve_with_two_workers_logs_in_through_both(users, database_url, tmp_path):
    store = _redis_or_skip()
    store.flushdb()
    port, access_log = _free_port(), tmp_path / "access.log"
    env = _serve_env(database_url, MATCHMAKER_SECRET_KEY=SECRET, MATCHMAKER_RATELIMIT_STORAGE_URI=REDIS_URL,
                     MATCHMAKER_LOGIN_RATE_LIMIT="500 per minute", MATCHMAKER_ACCESS_LOG=str(access_log))
    proc = subprocess.Popen([sys.executable, "-m", "matchmaker.cli", "serve", "--workers", "2", "--threads", "2",
                             "--bind", f"127.0.0.1:{port}"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, proc)
        username = users["district"].username

        def pids_of_logins() -> set[str]:
            lines = access_log.read_text().splitlines() if access_log.exists() else []
            return {m.group(1) for line in lines if '"POST /login' in line and '" 302 ' in line
                    for m in [re.search(r"pid=<?(\d+)", line)] if m}

        results = []
        with ThreadPoolExecutor(4) as pool:
            for _ in range(5):  # rounds of concurrent logins until both workers have served one
                results += list(pool.map(lambda _: _login(base, username), range(8)))
                time.sleep(0.5)  # the access log is written after the response
                if len(pids_of_logins()) >= 2:
                    break
        assert all(status == 302 for status, _, _ in results), [r[0] for r in results]
        assert all("/login" not in location for _, location, _ in results)
        assert all("退出" in home for _, _, home in results)  # each browser is signed in on whichever worker
        served = pids_of_logins()
        assert len(served) == 2, served
        assert str(proc.pid) not in served  # workers, not the master
        assert store.keys("*LIMITER*auth.login*"), "login attempts are counted in Redis"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            output = proc.communicate(timeout=40)[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            output = proc.communicate()[0]
    assert "Booting worker" in output and "gthread" in output


@pytest.mark.parametrize("extra, message", [
    ({"MATCHMAKER_RATELIMIT_STORAGE_URI": "memory://"}, "MATCHMAKER_RATELIMIT_STORAGE_URI=redis://"),
    ({"MATCHMAKER_RATELIMIT_STORAGE_URI": REDIS_URL, "MATCHMAKER_SECRET_KEY": ""}, "MATCHMAKER_SECRET_KEY"),
    ({"MATCHMAKER_ENV": "production", "MATCHMAKER_RATELIMIT_STORAGE_URI": REDIS_URL, "MATCHMAKER_SECRET_KEY": ""},
     "MATCHMAKER_SECRET_KEY"),
])
def test_serve_refuses_settings_unsafe_for_several_workers(tmp_path, extra, message):
    env = _serve_env(f"sqlite:///{tmp_path}/x.sqlite", **{"MATCHMAKER_SECRET_KEY": SECRET, **extra})
    if not env.get("MATCHMAKER_SECRET_KEY"):
        env.pop("MATCHMAKER_SECRET_KEY")
    done = subprocess.run([sys.executable, "-m", "matchmaker.cli", "serve", "--workers", "2",
                           "--bind", f"127.0.0.1:{_free_port()}"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "拒绝启动" in done.stderr and message in done.stderr, done.stderr
    assert "Booting worker" not in done.stderr


def test_each_worker_compiles_the_templates_before_it_serves(app):
    """gunicorn.conf.py's post_worker_init compiles every page template, so a worker's first view of a page does
    not pay for it."""
    import runpy
    import threading
    from pathlib import Path
    from types import SimpleNamespace

    conf = runpy.run_path(str(Path(__file__).resolve().parents[1] / "gunicorn.conf.py"))
    assert not app.jinja_env.cache
    conf["post_worker_init"](SimpleNamespace(wsgi=app))
    for thread in threading.enumerate():
        if thread.name == "compile-templates":
            thread.join(60)
    compiled = {key[1] for key in app.jinja_env.cache.keys()}
    assert {"base.html", "whitelists/list.html", "notifications/index.html", "requests/show.html"} <= compiled
    assert len(compiled) == len([n for n in app.jinja_env.list_templates() if n.endswith(".html")])

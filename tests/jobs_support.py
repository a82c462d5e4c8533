"""A job consumer for tests: the app's real Huey queue (SQLite storage in the test's folder) consumed by a thread,
and a wait for the jobs to settle."""
from __future__ import annotations

import time

from sqlalchemy import func, select

from matchmaker.models import Job


class Worker:
    def __init__(self, app, workers: int = 1):
        self.app = app
        self.queue = app.extensions["jobs"]
        self.queue.start_thread(workers=workers, periodic=False, max_delay=0.1)

    def wait(self, timeout: float = 60) -> None:
        """Until every job is done, failed or expired (raises after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        factory = self.app.extensions["db_sessionmaker"]
        while time.monotonic() < deadline:
            with factory() as session:
                busy = session.scalar(select(func.count()).select_from(Job).where(Job.state.in_(("queued", "running"))))
            if not busy:
                return
            time.sleep(0.05)
        raise AssertionError(f"jobs still running after {timeout} s")

    def stop(self) -> None:
        self.queue.stop_thread()

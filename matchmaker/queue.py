"""The job queue: Huey, with its SQLite storage in a file next to the app's database by default (no extra
server), or Redis when MATCHMAKER_JOBS_URL=redis://… — the same task code either way. A web page records a Job
row and enqueues its id; a consumer (`matchmaker worker`, or the thread `matchmaker run` starts) runs the kind's
work function with its own sessions and writes state, progress and result to the row."""
from __future__ import annotations

import gc
import importlib
import logging
import threading
import uuid
from pathlib import Path

from huey import RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from sqlalchemy import make_url

from .config import files_dir
from .db import Timeouts, make_engine, make_session_factory, timeouts_from_env
from .domain.core.errors import DomainError
from .domain.jobs import records
from .models import Job

log = logging.getLogger(__name__)

# kind -> "module:function"; each takes a records.JobContext and returns the result (a dict) or None
WORK = {
    "wl_check": "matchmaker.domain.whitelists.import_jobs:check_job",
    "wl_commit": "matchmaker.domain.whitelists.import_jobs:commit_job",
    "bulletin_year": "matchmaker.domain.banks.bulletin_jobs:bulletin_year_job",
    "event_report": "matchmaker.domain.events.report_jobs:event_report_job",
    "send_outbox": "matchmaker.domain.notify.outbox_jobs:send_outbox_job",
    "upkeep": "matchmaker.domain.jobs.upkeep:upkeep_job",
}


def work_function(kind: str):
    module, _, name = WORK[kind].partition(":")
    return getattr(importlib.import_module(module), name)


def default_jobs_url(database_url: str, instance_path: str) -> str:
    """The queue's SQLite file: beside an SQLite app database (x.sqlite -> x.jobs.sqlite), else in the instance
    folder."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        return f"sqlite:///{path.with_name(path.stem + '.jobs.sqlite')}"
    return f"sqlite:///{Path(instance_path) / 'jobs.sqlite'}"


def make_huey(jobs_url: str, name: str = "matchmaker"):
    if jobs_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=jobs_url, results=False)
    if jobs_url.startswith("sqlite:///"):
        filename = jobs_url.removeprefix("sqlite:///")
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=filename, results=False)
    raise RuntimeError(f"MATCHMAKER_JOBS_URL must start with redis:// or sqlite:///, got {jobs_url!r}")


class EmbeddedConsumer(Consumer):
    """A Huey consumer run in a thread of the web process: it leaves the process's signals to the server."""

    def _set_signal_handlers(self):
        pass


class JobQueue:
    """The app's queue: enqueue a job id; build a consumer; run a job (what the consumer calls)."""

    def __init__(self, app):
        self.app = app
        cfg = app.config
        self.url = cfg.get("JOBS_URL") or default_jobs_url(cfg["DATABASE_URL"], app.instance_path)
        self.huey = make_huey(self.url, cfg.get("JOBS_NAME", "matchmaker"))
        self.factory = app.extensions["db_sessionmaker"]
        # progress writes never wait on a busy SQLite file (see records.Progress)
        timeouts = cfg.get("DB_TIMEOUTS") or timeouts_from_env()
        quick = Timeouts(connect=timeouts.connect, statement=timeouts.statement, busy=0.05, pool=timeouts.pool)
        self.progress_engine = (make_engine(cfg["DATABASE_URL"], quick)
                                if cfg["DATABASE_URL"].startswith("sqlite") else None)
        self.progress_factory = make_session_factory(self.progress_engine) if self.progress_engine else self.factory
        self.thread: threading.Thread | None = None
        self.consumer: Consumer | None = None

        @self.huey.task(name="matchmaker.run_job")
        def run_job(job_id: int):
            self.run(job_id)

        @self.huey.periodic_task(crontab(minute="7"), name="matchmaker.hourly_upkeep")
        def hourly_upkeep():
            self.submit_internal("upkeep")

        @self.huey.periodic_task(crontab(minute="*/5"), name="matchmaker.send_outbox")
        def send_outbox():
            from .domain.notify.outbox_jobs import due_count

            with self.factory() as session:
                if not due_count(session):
                    return
            self.submit_internal("send_outbox", {"limit": 500})

        self._run_job = run_job

    # -- enqueue -----------------------------------------------------------------------------------------------

    def enqueue(self, job_id: int) -> None:
        self._run_job(job_id)

    def submit(self, session, kind: str, actor, params: dict | None = None):
        """Record a job (committed) and enqueue it. A queue that cannot be reached fails the job with a message
        (and raises DomainError) rather than leaving it queued forever."""
        if kind not in WORK:
            raise DomainError("未知的任务类型 %(kind)s", kind=kind)
        job = records.create(session, kind, actor, params)
        session.commit()
        try:
            self.enqueue(job.id)
        except Exception as exc:  # noqa: BLE001 - Redis down, SQLite file unwritable …
            log.exception("job %s not enqueued", job.id)
            records.fail(self.factory, job.id, DomainError("无法加入任务队列：%(error)s", error=str(exc)))
            session.refresh(job)
            raise DomainError("后台任务队列暂时不可用，请稍后重试") from None
        return job

    def submit_internal(self, kind: str, params: dict | None = None) -> int:
        with self.factory() as session:
            return self.submit(session, kind, None, params).id

    # -- run ---------------------------------------------------------------------------------------------------

    def run(self, job_id: int, echo=None) -> dict | None:
        """Run one job now, in this thread: what the consumer calls, and what the CLI calls to run inline."""
        if not records.start(self.factory, job_id):
            log.info("job %s already taken or no longer queued", job_id)
            return None
        with self.factory() as session:
            job = session.get(Job, job_id)
            kind, params, user_id = job.kind, dict(job.params or {}), job.created_by_id
        progress = records.Progress(self.progress_factory, job_id, echo=echo)
        ctx = records.JobContext(self.factory, job_id, params, progress, files_dir(self.app), user_id,
                                 dict(self.app.config))
        try:
            with self.app.app_context():
                result = work_function(kind)(ctx)
        except DomainError as exc:
            records.fail(self.factory, job_id, exc)  # its msgid kept: each reader reads it in their language
            return None
        except Exception as exc:  # noqa: BLE001 - recorded on the job, and logged with its traceback
            log.exception("job %s (%s) failed", job_id, kind)
            records.fail(self.factory, job_id, DomainError("内部错误：%(error)s", error=f"{type(exc).__name__}: {exc}"))
            return None
        records.finish(self.factory, job_id, result)
        return result

    # -- consumers ---------------------------------------------------------------------------------------------

    def make_consumer(self, workers: int = 1, embedded: bool = False, periodic: bool = True, max_delay: float = 2.0):
        # what is alive now (the app: modules, models, tables) lives as long as the process: frozen, the garbage
        # collector stops walking it on every full collection during a job (a fifth of a large import's time);
        # and jobs allocate in bulk (rows by the thousand), so young objects are collected in larger batches
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)
        cls = EmbeddedConsumer if embedded else Consumer
        return cls(self.huey, workers=workers, worker_type="thread", periodic=periodic, max_delay=max_delay,
                   check_worker_health=True)

    def start_thread(self, workers: int = 1, periodic: bool = True, max_delay: float = 2.0) -> EmbeddedConsumer:
        """A consumer in a daemon thread of this process (the single-machine default of `matchmaker run`)."""
        self.consumer = self.make_consumer(workers, embedded=True, periodic=periodic, max_delay=max_delay)
        self.thread = threading.Thread(target=self.consumer.run, name="matchmaker-jobs", daemon=True)
        self.thread.start()
        return self.consumer

    def stop_thread(self, timeout: float = 30) -> None:
        if self.consumer is not None:
            self.consumer.stop(graceful=True)
            if self.thread is not None:
                self.thread.join(timeout)
        self.consumer = self.thread = None


    def dispose(self) -> None:
        """Stop the thread (if any) and close the connections this queue opened."""
        self.stop_thread()
        if self.progress_engine is not None:
            self.progress_engine.dispose()
        close = getattr(self.huey.storage, "close", None)
        if close:
            close()


def init_app(app) -> None:
    app.extensions["jobs"] = JobQueue(app)


def unique_name() -> str:
    """A queue name of its own (tests sharing one Redis)."""
    return f"matchmaker-{uuid.uuid4().hex[:8]}"

"""The job record: create, start (once), report progress, finish or fail; the jobs a user may see; the JSON a
page polls. State changes are conditional UPDATEs, so a job run twice (a redelivered message) runs once.

A job's texts are stored as msgids (marked N_), never as sentences: its phase, a result's label (with its values in
`label_params`) and a domain error's message (its values in result["error_params"]), so each page shows them in
its reader's language (`texts`)."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ...models import Job, User, utcnow
from ...text import N_
from ..core.errors import DomainError, NotFound

log = logging.getLogger(__name__)

KINDS = {
    "wl_check": N_("检查白名单文件"),
    "wl_commit": N_("导入白名单"),
    "bulletin_year": N_("通报表格（Excel）"),
    "event_report": N_("活动报告"),
    "send_outbox": N_("发送待发消息"),
    "upkeep": N_("定时整理"),
}
QUEUED, STARTED, FINISHED = N_("排队中"), N_("开始"), N_("完成")  # phases every job goes through
QUEUED_TOO_LONG = timedelta(hours=24)   # nobody ran it: no worker
RUNNING_TOO_LONG = timedelta(hours=6)   # the worker died under it
PROGRESS_EVERY = 0.5                    # seconds between progress writes


def kind_label(kind: str) -> str:
    return KINDS.get(kind, kind)


def create(session: Session, kind: str, actor: User | None, params: dict | None = None) -> Job:
    job = Job(kind=kind, params=params or {}, created_by_id=actor.id if actor else None, state="queued",
              phase=QUEUED, done=0, total=0, error="")
    session.add(job)
    session.flush()
    return job


def start(factory: sessionmaker, job_id: int) -> bool:
    """queued -> running; False when another worker already took it (or it expired)."""
    with factory() as session:
        taken = session.execute(update(Job).where(Job.id == job_id, Job.state == "queued")
                                .values(state="running", started_at=utcnow(), phase=STARTED)).rowcount
        session.commit()
    return taken == 1


def finish(factory: sessionmaker, job_id: int, result: dict | None) -> None:
    with factory() as session:
        session.execute(update(Job).where(Job.id == job_id, Job.state == "running").values(
            state="done", result=result or {}, finished_at=utcnow(), phase=FINISHED))
        session.commit()


def fail(factory: sessionmaker, job_id: int, error: str | DomainError) -> None:
    """The job failed: `error` a text (an internal error, kept as it is) or a domain error, whose msgid is stored
    with its values so that each reader reads it in their language."""
    values = {"state": "failed", "finished_at": utcnow()}
    if isinstance(error, DomainError):
        values.update(error=error.message[:5000], result={"error_msgid": error.msgid, "error_params": error.params})
    else:
        values["error"] = error[:5000]
    with factory() as session:
        session.execute(update(Job).where(Job.id == job_id, Job.state.in_(("queued", "running"))).values(**values))
        session.commit()


class Progress:
    """Progress of one job, written to its row in its own short transaction at most every half second. A write
    that finds the database busy (SQLite while the job's own big transaction holds the write lock) is skipped:
    progress is advice, the next write catches up."""

    def __init__(self, factory: sessionmaker | None, job_id: int | None, every: float = PROGRESS_EVERY,
                 echo: Callable[[str, int, int], None] | None = None):
        self.factory, self.job_id, self.every, self.echo = factory, job_id, every, echo
        self.phase_name, self.done, self.total, self._last = "", 0, 0, 0.0

    def phase(self, name: str, total: int = 0) -> None:
        self.phase_name, self.done, self.total = name, 0, total
        self._write(force=True)

    def update(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        self._write()

    def advance(self, n: int = 1) -> None:
        self.update(self.done + n)

    def _write(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.every:
            return
        self._last = now
        if self.echo:
            self.echo(self.phase_name, self.done, self.total)
        if self.factory is None or self.job_id is None:
            return
        try:
            with self.factory() as session:
                session.execute(update(Job).where(Job.id == self.job_id).values(
                    phase=self.phase_name[:100], done=self.done, total=self.total))
                session.commit()
        except OperationalError:  # busy: skip this one
            log.debug("progress of job %s not written (database busy)", self.job_id)


@dataclass
class JobContext:
    """What a job's work function gets: its sessions, its parameters, its progress and the instance folder."""

    factory: sessionmaker
    job_id: int | None
    params: dict
    progress: Progress
    folder: Path
    user_id: int | None = None
    config: dict = field(default_factory=dict)


RESULT_FILES = "job_files"


def result_path(folder: Path, job_id: int, ext: str = "xlsx") -> Path:
    """Where a job's file goes (instance folder, never under static/): served only to who may see the job."""
    return Path(folder) / RESULT_FILES / f"job-{job_id}.{ext}"


def write_result_file(ctx: "JobContext", data: bytes, filename: str, label: str) -> dict:
    path = result_path(ctx.folder, ctx.job_id or 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"url": f"/jobs/{ctx.job_id}/file", "label": label, "filename": filename, "bytes": len(data)}


def visible(user: User):
    """Recent jobs a user may see: the district every job, everybody else their own."""
    query = select(Job)
    if user.role != "district":
        query = query.where(Job.created_by_id == user.id)
    return query


def get_visible(session: Session, user: User, job_id: int) -> Job:
    job = session.get(Job, job_id) if 0 < job_id < 2**31 else None
    if job is None or (user.role != "district" and job.created_by_id != user.id):
        raise NotFound("任务不存在")  # another's job is not there, not forbidden: its existence is not told either
    return job


def error_text(job: Job, tr) -> str:
    """The job's error in the language of `tr` (a translator: `gettext(msgid, **params)`)."""
    stored = job.result or {}
    if stored.get("error_msgid"):
        return tr(stored["error_msgid"], **(stored.get("error_params") or {}))
    return tr(job.error) if job.error else ""


def result_label(job: Job, tr, wrap=None) -> str:
    """The label of the job's result in the language of `tr`: values {"t": msgid} translated, others user data
    (`wrap` marks them)."""
    result = job.result or {}
    if not result.get("label"):
        return ""
    wrap = wrap or (lambda v: v)
    params = {k: tr(v["t"]) if isinstance(v, dict) else wrap(v) for k, v in (result.get("label_params") or {}).items()}
    return tr(result["label"], **params)


def texts(job: Job, tr) -> dict:
    """The job's texts for a reader: kind, state, phase, error and result label, through `tr`."""
    from ...models.jobs import JOB_STATES

    return {"kind_label": tr(kind_label(job.kind)), "state_label": tr(JOB_STATES.get(job.state, job.state)),
            "phase": tr(job.phase) if job.phase else "", "error": error_text(job, tr),
            "result_label": result_label(job, tr)}


def as_json(job: Job, tr=None) -> dict:
    """What a progress bar polls, its texts through `tr` (Chinese as stored when None)."""
    shown = texts(job, tr or (lambda message, **params: message % params if params else message))
    return {"id": job.id, "kind": job.kind, "kind_label": shown["kind_label"], "state": job.state,
            "state_label": shown["state_label"], "phase": shown["phase"], "done": job.done, "total": job.total,
            "percent": job.percent, "error": shown["error"] or None, "result": job.result,
            "finished": job.state in ("done", "failed", "expired"),
            "seconds": round(job.seconds, 1) if job.seconds is not None else None}


def expire_stale(session: Session, now=None) -> int:
    """Jobs queued a day with no worker, or running six hours (their worker died): expired, with the reason."""
    now = now or utcnow()
    n = session.execute(update(Job).where(Job.state == "queued", Job.created_at < now - QUEUED_TOO_LONG).values(
        state="expired", finished_at=now, error=N_("排队超过24小时未被执行（后台任务进程未运行？）"))).rowcount
    n += session.execute(update(Job).where(Job.state == "running", Job.started_at < now - RUNNING_TOO_LONG).values(
        state="expired", finished_at=now, error=N_("运行超过6小时未结束（后台任务进程可能已中断）"))).rowcount
    return n

"""The hourly upkeep job: jobs nobody ran (or whose worker died) marked expired, white-list previews left
uncommitted past their seven days removed."""
from __future__ import annotations

from ...text import N_
from ..whitelists.import_jobs import expire_previews
from .records import JobContext, expire_stale


def upkeep_job(ctx: JobContext) -> dict:
    ctx.progress.phase(N_("整理"), 2)
    with ctx.factory() as session:
        jobs = expire_stale(session)
        ctx.progress.update(1)
        previews = expire_previews(session, ctx.folder)
        session.commit()
    return {"expired_jobs": jobs, "expired_previews": previews}

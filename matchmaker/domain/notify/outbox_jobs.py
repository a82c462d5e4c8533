"""Sending the outbox as a background job: every five minutes when messages wait (the queue's periodic task),
or enqueued by `matchmaker send-outbox --queue`."""
from __future__ import annotations

from ..jobs.records import JobContext
from . import outbox


def send_outbox_job(ctx: JobContext) -> dict:
    limit = int(ctx.params.get("limit", 200))
    ctx.progress.phase("发送", limit)
    result = outbox.send_pending(ctx.factory, limit=limit)
    ctx.progress.update(result.claimed, result.claimed)
    return {"claimed": result.claimed, "sent": result.sent, "failed": result.failed,
            "label": f"发送 {result.sent} 条，失败 {result.failed} 条"}


def due_count(session) -> int:
    """Messages waiting to be sent now (the periodic task enqueues a job only when there are some)."""
    from sqlalchemy import func, select

    from ...models import OutboxMessage, utcnow

    return session.scalar(select(func.count()).select_from(OutboxMessage).where(outbox.due_clause(utcnow()))) or 0

"""An event's report (attendance, intentions and what became of them) as .xlsx, made by a background job: for a
big event it takes a while. The page that starts it has already checked who may see which part (bank_id)."""
from __future__ import annotations

from ...models import MatchmakingEvent
from ..core.errors import NotFound
from ..jobs.records import JobContext, write_result_file
from . import report


def event_report_job(ctx: JobContext) -> dict:
    event_id, bank_id = int(ctx.params["event_id"]), ctx.params.get("bank_id")
    ctx.progress.phase("汇总意向与办理进度", 2)
    with ctx.factory() as session:
        event = session.get(MatchmakingEvent, event_id)
        if event is None:
            raise NotFound("活动不存在")
        data = report.event_report(session, event, bank_id=bank_id)
        ctx.progress.update(1)
        ctx.progress.phase("生成表格", 1)
        body = report.report_xlsx(data)
        title = event.title
    return write_result_file(ctx, body, f"event-{event_id}-report.xlsx", f"下载 {title} 活动报告")

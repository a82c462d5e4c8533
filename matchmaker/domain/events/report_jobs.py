"""An event's report (attendance, intentions and what became of them) as .xlsx, made by a background job: for a
big event it takes a while. The page that starts it has already checked who may see which part (bank_id). The
file is written in the language of who asked for it: `params["locale"]`, else their profile's choice."""
from __future__ import annotations

from ...models import MatchmakingEvent, User
from ...text import N_
from ..core.errors import NotFound
from ..core.translate import text
from ..jobs.records import JobContext, write_result_file
from . import report


def event_report_job(ctx: JobContext) -> dict:
    event_id, bank_id = int(ctx.params["event_id"]), ctx.params.get("bank_id")
    ctx.progress.phase(N_("汇总意向与办理进度"), 2)
    with ctx.factory() as session:
        locale = ctx.params.get("locale")
        if locale is None and ctx.user_id is not None:
            requester = session.get(User, ctx.user_id)
            locale = requester.locale if requester is not None else None
        event = session.get(MatchmakingEvent, event_id)
        if event is None:
            raise NotFound("活动不存在")
        data = report.event_report(session, event, bank_id=bank_id)
        ctx.progress.update(1)
        ctx.progress.phase(N_("生成表格"), 1)
        body = report.report_xlsx(data, locale)
        title = event.title
    return write_result_file(ctx, body, f"event-{event_id}-report.xlsx",
                             text(locale, N_("下载 %(title)s 活动报告"), title=title))

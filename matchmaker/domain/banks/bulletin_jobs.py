"""A bulletin (月通报 / 季评价 / 年考核, the year's the heavy one) as .xlsx, made by a background job: the issued
edition when there is one (unless live), else today's figures; in the language of who asked for it (the job's
`locale` parameter, else their profile's)."""
from __future__ import annotations

from ...models import User
from ...text import N_
from ..core.translate import translator
from ..jobs.records import JobContext, write_result_file
from . import bulletin_xlsx, bulletins, periods


def _locale(ctx: JobContext, session) -> str | None:
    if ctx.params.get("locale"):
        return ctx.params["locale"]
    user = session.get(User, ctx.user_id) if ctx.user_id else None
    return getattr(user, "locale", None)


def bulletin_year_job(ctx: JobContext) -> dict:
    kind, key, live = ctx.params.get("kind", "annual"), str(ctx.params["key"]), bool(ctx.params.get("live"))
    period = periods.parse(kind, key)
    ctx.progress.phase(N_("计算各银行指标"), 2)
    with ctx.factory() as session:
        locale = _locale(ctx, session)
        issued = [] if live else bulletins.editions(session, kind, period.key)
        if issued:
            data, edition, suffix = issued[0].data, issued[0].edition, f"-v{issued[0].edition}"
        else:
            data, edition, suffix = bulletins.compute(session, period), None, "-live"
        status = bulletin_xlsx.status_text(edition, locale)
        ctx.progress.update(1)
        ctx.progress.phase(N_("生成表格"), 1)
        body = bulletin_xlsx.workbook(data, status, locale, session)
    filename = f"{kind}-{period.key}{suffix}.xlsx"
    _ = translator(locale)
    label = _("下载 %(title)s（%(status)s）", title=bulletins.title(period, locale), status=status)
    return write_result_file(ctx, body, filename, label)

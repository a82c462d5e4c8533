"""A bulletin (月通报 / 季评价 / 年考核, the year's the heavy one) as .xlsx, made by a background job: the issued
edition when there is one (unless live), else today's figures."""
from __future__ import annotations

from ..jobs.records import JobContext, write_result_file
from . import bulletin_xlsx, bulletins, periods


def bulletin_year_job(ctx: JobContext) -> dict:
    kind, key, live = ctx.params.get("kind", "annual"), str(ctx.params["key"]), bool(ctx.params.get("live"))
    period = periods.parse(kind, key)
    ctx.progress.phase("计算各银行指标", 2)
    with ctx.factory() as session:
        issued = [] if live else bulletins.editions(session, kind, period.key)
        if issued:
            data, status, suffix = issued[0].data, f"已发布（第{issued[0].edition}版）", f"-v{issued[0].edition}"
        else:
            data, status, suffix = bulletins.compute(session, period), "未发布（实时数据）", "-live"
    ctx.progress.update(1)
    ctx.progress.phase("生成表格", 1)
    body = bulletin_xlsx.workbook(data, status)
    filename = f"{kind}-{period.key}{suffix}.xlsx"
    return write_result_file(ctx, body, filename, f"下载 {data['title']}（{status}）")

"""Monthly figures pushed by a bank's system: the same checks, versions and corrections as the upload page
(`monthly_reports.submit`)."""
from __future__ import annotations

from ...domain.banks import monthly_reports, periods
from . import serialize
from .core import actor, bp, responses, run_change, spec, token_required
from .schemas import MonthlyReportBody, MonthlyReportOut


@bp.post("/reports/monthly")
@token_required("reports:write")
@spec.validate(json=MonthlyReportBody, resp=responses(MonthlyReportOut, 201, conflict=True), tags=["reports"],
               operation_id="submitMonthlyReport")
def submit_monthly(json: MonthlyReportBody):
    """报送本行月度数据（新版本；更正需填写说明；大幅变动需 confirm=true）"""
    who = actor()

    def action(db):
        month = periods.parse_month(json.month)
        report = monthly_reports.submit(db, who, who.bank_id, month, json.figures, confirm=json.confirm,
                                        note=json.note, source="api")
        return 201, serialize.report(report)

    return run_change(action)

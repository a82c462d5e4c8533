"""目标与进度: each bank's appendix targets next to its latest figures, progress and gap; the district goals
panel; the appendix's own totals against the sums of its rows."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, render_template, request

from ...domain.banks import targets
from .. import nav
from ..common import roles_required, session
from .helpers import register_filters, target_chart, today

bp = Blueprint("targets", __name__, url_prefix="/targets")
register_filters(bp)
nav.add("district", "targets.index", "目标与进度", "bullseye")


@bp.get("/")
@roles_required("district")
def index():
    db = session()
    years = targets.report_years(db) or [today().year]
    year = request.args.get("year", type=int) or years[0]
    if not 2000 <= year <= 2100:
        abort(404)
    rows = targets.latest_progress(db, year)
    sort = request.args.get("sort", "seq")
    keys = {"seq": lambda r: r["seq"], "completion": lambda r: -Decimal(r["completion_pct"] or -1),
            "schedule": lambda r: -Decimal(r["schedule_pct"] or -1), "gap": lambda r: -(r["industrial_gap"] or 0)}
    rows.sort(key=keys.get(sort, keys["seq"]))
    district = targets.totals(rows)
    return render_template("targets/index.html", rows=rows, year=year, years=years, district=district, sort=sort,
                           goals=targets.goals_panel(db, district), appendix=targets.appendix_check(db),
                           charts={"targets": target_chart(sorted(rows, key=lambda r: r["seq"]))})

"""Published means frozen all the way down (issue 14, point 6): a published bulletin's figures link to the leads
frozen with that edition, not to today's; a bank taken off the platform is out of the district's platform total
and named next to it."""
from __future__ import annotations

from datetime import date

from matchmaker.domain.banks import bulletins, platform_figures

from .factories import FirmFactory
from .test_reports_bulletins import MARCH, TODAY, _lead, cst, known  # noqa: F401 (fixture)


def test_a_published_bulletins_drill_down_lists_the_rows_frozen_with_it(db, as_role, known):  # noqa: F811
    p, leads = known["p"], known["leads"]
    district = as_role("district")
    assert district.post("/bulletins/monthly/2022-03/issue").status_code == 302
    frozen = platform_figures.drill(db, MARCH.start, MARCH.end, "overdue", p.id)
    assert frozen == [leads["p2"].id, leads["p3"].id]
    # after publication: a late-entered lead of March (overdue) and the expired one claimed after all
    late = _lead(db, p, "expired", cst(2022, 3, 24, 9, 0), date(2022, 3, 28), firm=FirmFactory())
    db.commit()
    live = platform_figures.drill(db, MARCH.start, MARCH.end, "overdue", p.id)
    assert late.id in live and len(live) == 3
    assert bulletins.frozen_drill(db, MARCH, 1, "overdue", p.id) == frozen

    page = district.get("/bulletins/monthly?month=2022-03").get_data(as_text=True)
    assert "已发布 · 第1版" in page
    link = f"/reports/leads?period=2022-03&amp;metric=overdue&amp;bank={p.id}&amp;edition=1"
    assert link in page
    assert "reason=collateral&amp;edition=1" in page
    listing = district.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "超时认领或未认领：2 条" in listing and "第 1 版已发布通报冻结的线索" in listing
    assert f"L-{late.id}<" not in listing and f"L-{leads['p3'].id}<" in listing
    today_listing = district.get(f"/reports/leads?period=2022-03&metric=overdue&bank={p.id}").get_data(as_text=True)
    assert "：3 条" in today_listing and f"L-{late.id}<" in today_listing and "冻结" not in today_listing
    # the live view of the same bulletin links to today's rows
    live_page = district.get("/bulletins/monthly?month=2022-03&live=1").get_data(as_text=True)
    assert "edition=1" not in live_page.split('id="platform-table"')[1].split("</table>")[0]
    # a bank sees its own frozen rows only; an edition that does not exist is a 404
    own = as_role("bank_admin").get("/reports/leads?period=2022-03&metric=received&edition=1").get_data(as_text=True)
    assert "：3 条" in own and f"L-{leads['g4'].id}<" not in own
    assert district.get("/reports/leads?period=2022-03&metric=overdue&edition=7").status_code == 404


def test_a_frozen_figure_and_its_frozen_rows_agree_for_every_metric(db, as_role, known):  # noqa: F811
    assert as_role("district").post("/bulletins/monthly/2022-03/issue").status_code == 302
    issued = bulletins.editions(db, "monthly", "2022-03")[0]
    total = issued.data["platform_total"]
    for metric, figure in (("received", "received"), ("claimed", "claimed"), ("in_time", "in_time"),
                           ("overdue", "overdue"), ("declined", "declined"), ("approved", "approved"),
                           ("disbursed", "disbursed"), ("first_loan", "first_loan"), ("whitelist", "whitelist_firms")):
        assert len(bulletins.frozen_drill(db, MARCH, 1, metric)) == total[figure], metric


def test_an_inactive_bank_is_out_of_the_platform_total_and_named(db, as_role, known):  # noqa: F811
    p, g = known["p"], known["g"]
    before = platform_figures.figures(db, MARCH, TODAY)["total"]
    assert before["received"] == 5 and before["inactive_banks"] == []
    g.active = False
    db.commit()
    after = platform_figures.figures(db, MARCH, TODAY)
    assert after["total"]["received"] == 3  # P's three leads only
    assert after["total"]["inactive_banks"] == [{"bank_id": g.id, "name": g.name, "received": 2}]
    assert after["banks"][g.id]["received"] == 2  # its own figures are still there
    loaded = platform_figures.figures(db, MARCH, TODAY, platform_figures.load_facts(db, MARCH.start, MARCH.end))
    assert loaded["total"] == after["total"]
    page = as_role("district").get("/bulletins/monthly?month=2022-03").get_data(as_text=True)
    assert f"全区合计不含已停用的银行：<span data-user>{g.name}</span>（本期推送线索 2 条）" in page
    assert p.name in page

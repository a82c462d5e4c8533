"""月通报 and 季评价 computed from a small known data set (every number checked), the drill-down behind the
figures, a frozen bulletin that does not move after a correction, .xlsx exports, the CLI and the weights page."""
from __future__ import annotations

import copy
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from matchmaker.domain.banks import bulletins, periods, platform_figures
from matchmaker.models import Bank, Bulletin, Offer

from .factories import FirmFactory, MonthlyReportFactory, routed_request

MARCH = periods.parse("monthly", "2022-03")
Q1 = periods.parse("quarterly", "2022Q1")
TODAY = date(2022, 4, 20)


def cst(*args) -> datetime:
    """A Beijing wall-clock time as the naive UTC the database stores."""
    return datetime(*args) - timedelta(hours=8)


def _lead(db, bank, state, created, deadline, claimed=None, decided=None, firm=None, **extra):
    _, lead = routed_request(db, firm or FirmFactory(), bank, state=state)
    lead.created_at, lead.claim_deadline, lead.claimed_at, lead.decided_at = created, deadline, claimed, decided
    for key, value in extra.items():
        setattr(lead, key, value)
    db.flush()
    return lead


def _rate(db, lead, users, score: int) -> bool:
    """Rate a lead where the ratings work exists; returns whether it does."""
    try:
        from matchmaker.models.ratings import Rating
    except ImportError:
        return False
    db.add(Rating(lead_id=lead.id, firm_id=lead.request.firm_id, bank_id=lead.bank_id, bank_score=score,
                  created_by_id=users["enterprise"].id, created_at=cst(2022, 3, 20, 10, 0)))
    db.flush()
    return True


@pytest.fixture
def known(db, users, bank, other_bank):
    """Two banks' figures and leads. P = 邮储 (seq 17, 2022 target 108 % / 15.92 亿元), G = 工行 (seq 2, 2022
    target 75.68 % / 4.74 亿元, 2021 target 69 % / 3.70 亿元); the other 20 banks have not reported."""
    p, g = bank, other_bank
    MonthlyReportFactory(bank_id=p.id, month=date(2021, 12, 1), deposits=10_000_000_000, loans=10_000_000_000,
                         industrial_loans=1_400_000_000)
    MonthlyReportFactory(bank_id=p.id, month=date(2022, 3, 1), deposits=10_000_000_000, loans=10_500_000_000,
                         industrial_loans=1_440_000_000, new_industrial_loans=30_000_000, first_loan_count=2,
                         first_loan_amount=1_500_000, ip_pledge_loans=10_000_000, green_loans=15_000_000,
                         kechuang_loans=10_000_000, zhengyinbao_loans=10_000_000, supply_chain_bills=5_000_000,
                         submitted_at=cst(2022, 4, 6, 10, 0))
    MonthlyReportFactory(bank_id=g.id, month=date(2022, 3, 1), deposits=5_000_000_000, loans=4_000_000_000,
                         industrial_loans=420_000_000, new_industrial_loans=10_000_000, first_loan_count=1,
                         first_loan_amount=500_000, ip_pledge_loans=5_000_000, green_loans=5_000_000,
                         kechuang_loans=5_000_000, zhengyinbao_loans=3_000_000, supply_chain_bills=2_000_000,
                         submitted_at=cst(2022, 4, 11, 10, 0))  # after the deadline (8 April)
    leads = {
        # claimed in time (1 working day), approved, disbursed 500万 to a firm with no bank loan: a first loan
        "p1": _lead(db, p, "disbursed", cst(2022, 3, 1, 10, 0), date(2022, 3, 3), cst(2022, 3, 2, 9, 0),
                    cst(2022, 3, 8, 15, 0), firm=FirmFactory(has_bank_loan=False), disbursed_amount=5_000_000,
                    disbursed_at=date(2022, 3, 20)),
        # claimed late (4 working days, deadline the 9th), declined for collateral
        "p2": _lead(db, p, "declined", cst(2022, 3, 7, 9, 0), date(2022, 3, 9), cst(2022, 3, 11, 9, 0),
                    cst(2022, 3, 14, 9, 0), decline_code="collateral"),
        # never claimed: expired
        "p3": _lead(db, p, "expired", cst(2022, 3, 15, 9, 0), date(2022, 3, 17)),
        # before the month (23:30 on 28 February, Beijing time)
        "p_feb": _lead(db, p, "routed", cst(2022, 2, 28, 23, 30), date(2022, 3, 2)),
        # still unclaimed, deadline passed
        "g4": _lead(db, g, "routed", cst(2022, 3, 21, 9, 0), date(2022, 3, 23)),
        # routed 23:00 on 31 March, claimed next day: in time
        "g5": _lead(db, g, "claimed", cst(2022, 3, 31, 23, 0), date(2022, 4, 6), cst(2022, 4, 1, 10, 0)),
        # 00:30 on 1 April, Beijing time (still 31 March in UTC): April's
        "g_apr": _lead(db, g, "routed", cst(2022, 4, 1, 0, 30), date(2022, 4, 6)),
    }
    db.add(Offer(lead_id=leads["p1"].id, amount=6_000_000, rate_pct=Decimal("3.85"), term_months=12,
                 state="accepted"))
    rated = _rate(db, leads["p1"], users, 4)
    db.commit()
    return {"p": p, "g": g, "leads": leads, "rated": rated}


def _row(data, bank):
    return next(r for r in data["banks"] if r["bank_id"] == bank.id)


def test_monthly_bulletin_from_a_known_data_set(db, known):
    p, g, rated = known["p"], known["g"], known["rated"]
    data = bulletins.monthly(db, MARCH, TODAY)
    assert (data["period"], data["label"], data["deadline"]) == ("2022-03", "2022年3月", "2022-04-08")
    d = data["district"]
    assert {k: d[k] for k in ("deposits", "loans", "ldr_pct", "industrial_loans", "new_industrial_loans",
                              "first_loan_count", "first_loan_amount", "reported", "banks", "target_industrial",
                              "completion_pct")} == {
        "deposits": 15_000_000_000, "loans": 14_500_000_000, "ldr_pct": "96.67", "industrial_loans": 1_860_000_000,
        "new_industrial_loans": 40_000_000, "first_loan_count": 3, "first_loan_amount": 2_000_000, "reported": 2,
        "banks": 22, "target_industrial": 2_066_000_000, "completion_pct": "90.03"}
    # the two reporting banks' own targets (not all 22: that read 20.04 %), the others named
    assert d["target_industrial_all"] == 9_280_000_000 and len(d["missing"]) == 20
    assert d["ip_pledge_loans"] == 15_000_000 and d["supply_chain_bills"] == 7_000_000
    assert (d["previous"]["reported"], d["previous"]["compared_banks"]) == (0, 0)

    rp, rg = _row(data, p), _row(data, g)
    assert {k: rp[k] for k in ("ldr_pct", "target_ldr_pct", "expected_ldr_pct", "ldr_gap", "industrial_loans",
                               "target_industrial", "expected_industrial", "completion_pct", "schedule_pct",
                               "industrial_gap", "schedule_gap", "version", "behind", "rank_target")} == {
        "ldr_pct": "105.00", "target_ldr_pct": "108.00", "expected_ldr_pct": "102.00", "ldr_gap": "3.00",
        "industrial_loans": 1_440_000_000, "target_industrial": 1_592_000_000, "expected_industrial": 1_448_000_000,
        "completion_pct": "90.45", "schedule_pct": "99.45", "industrial_gap": 152_000_000, "schedule_gap": 8_000_000,
        "version": 1, "behind": ["工业贷款余额低于序时进度 800 万元"], "rank_target": 2}
    # G has no December report: its 序时进度 starts from its 2021 target (69 %, 3.70 亿元).
    assert {k: rg[k] for k in ("ldr_pct", "expected_ldr_pct", "ldr_gap", "expected_industrial", "completion_pct",
                               "schedule_pct", "industrial_gap", "schedule_gap", "behind", "rank_target")} == {
        "ldr_pct": "80.00", "expected_ldr_pct": "70.67", "ldr_gap": "-4.32", "expected_industrial": 396_000_000,
        "completion_pct": "88.61", "schedule_pct": "106.06", "industrial_gap": 54_000_000,
        "schedule_gap": -24_000_000, "behind": [], "rank_target": 1}

    others = [r for r in data["banks"] if r["bank_id"] not in (p.id, g.id)]
    assert len(others) == 20 and all(r["behind"] == ["未报送"] and r["rank_target"] is None for r in others)
    behind = {b["name"]: b["reasons"] for b in data["behind"]}
    assert len(behind) == 21 and behind[p.name] == ["工业贷款余额低于序时进度 800 万元"] and g.name not in behind
    assert len(data["missing"]) == 20 and data["late"] == [{"bank_id": g.id, "name": g.name}]

    assert rp["platform"] == {
        "received": 3, "claimed": 2, "in_time": 1, "overdue": 2, "declined": 1, "approved": 1, "disbursed": 1,
        "first_loan": 1, "rated": 1 if rated else 0, "in_time_pct": "33.33", "declined_by_reason": {"collateral": 1},
        "disbursed_amount": 5_000_000, "whitelist_firms": 0, "avg_claim_workdays": "2.5",
        "avg_decision_workdays": "5.0", "satisfaction": "4.00" if rated else None}
    assert rg["platform"] == {
        "received": 2, "claimed": 1, "in_time": 1, "overdue": 1, "declined": 0, "approved": 0, "disbursed": 0,
        "first_loan": 0, "rated": 0, "in_time_pct": "50.00", "declined_by_reason": {}, "disbursed_amount": 0,
        "whitelist_firms": 0, "avg_claim_workdays": "1.0", "avg_decision_workdays": None, "satisfaction": None}
    total = data["platform_total"]
    assert (total["received"], total["claimed"], total["in_time"], total["overdue"], total["in_time_pct"],
            total["declined"], total["approved"], total["disbursed"], total["disbursed_amount"], total["first_loan"],
            total["avg_claim_workdays"], total["avg_decision_workdays"]) == \
        (5, 3, 2, 3, "40.00", 1, 1, 1, 5_000_000, 1, "2.0", "5.0")
    assert (rp["rank_platform"], rg["rank_platform"]) == (1, 2)
    assert {r["rank_platform"] for r in others} == {3}
    assert [s["value"] for s in data["funnel"]] == [5, 3, 1, 1]
    assert len(data["compliance"]) == 12 and data["compliance"][0]["month"] == "2021-04"
    assert data["compliance"][-1] == {"month": "2022-03", "received": 5, "in_time": 2, "overdue": 3, "pct": "40.00"}

    goals = {g_["key"]: g_ for g_ in data["goals"]}
    assert (goals["ldr"]["actual"], goals["ldr"]["met"]) == ("96.67", True)
    # 2 of 22 banks reported: their sum is shown with who is missing, never read against the 109 亿 goal (17.06 %)
    assert (goals["industrial"]["actual"], goals["industrial"]["met"], goals["industrial"]["progress"]) == \
        ("18.60", False, None)
    assert goals["industrial"]["note"].startswith("2 / 22 家已报送（未报送：") and "全部报送后与目标比较" in \
        goals["industrial"]["note"]
    assert goals["increase"]["actual"] is None  # no December 2020 base reported in this data set
    assert (goals["joint_stock"]["actual"], goals["listed"]["actual"]) == (0, 0)


def test_quarterly_evaluation_from_a_known_data_set(db, known):
    p, g, rated = known["p"], known["g"], known["rated"]
    data = bulletins.quarterly(db, Q1, TODAY)
    assert data["weights"] == {"target": 30, "growth": 10, "whitelist": 15, "speed": 15, "satisfaction": 10,
                               "first_loan": 10, "policy": 10}
    rp, rg = _row(data, p), _row(data, g)
    assert {k: v["score"] for k, v in rp["parts"].items()} == {
        "target": "99.73", "growth": "0", "whitelist": "0", "speed": "25.00",
        "satisfaction": "80.00" if rated else "0", "first_loan": "100.00", "policy": "100.00"}
    assert rp["parts"]["growth"]["raw"] == "缺少上年同期数据"  # no March 2021 figures in this data set
    assert rp["parts"]["target"]["raw"] == "工业贷款 99.45%，存贷比 105.00%（序时 102.00%）"
    assert rp["parts"]["target"]["weighted"] == "29.92"
    # the quarter also holds P's lead of 28 February, unclaimed past its deadline: 1 in time of 4
    assert (rp["parts"]["speed"]["raw"], rp["parts"]["policy"]["raw"]) == ("1/4", "5000.00 万元")
    # (99.73×30 + 0×10 + 0×15 + 25×15 + 80×10 + 100×10 + 100×10) ÷ 100 = 61.669
    assert rp["score"] == ("61.67" if rated else "53.67")
    assert {k: v["score"] for k, v in rg["parts"].items()} == {
        "target": "100.00", "growth": "0", "whitelist": "0", "speed": "50.00", "satisfaction": "0",
        "first_loan": "50.00", "policy": "40.00"}
    assert rg["score"] == "46.50"
    assert (rp["rank"], rg["rank"]) == (1, 2)
    assert [r["name"] for r in data["banks"][:2]] == [p.name, g.name]
    others = data["banks"][2:]
    assert len(others) == 20 and {r["score"] for r in others} == {"0.00"} and {r["rank"] for r in others} == {3}
    assert data["best"] == {"whitelist": 0, "first_loan": 2, "policy": 50_000_000}


def test_weights_set_by_the_district_change_the_scores(db, as_role, known):
    client = as_role("district")
    bad = client.post("/bulletins/settings", data={"which": "weights", "target": 50, "growth": 0, "whitelist": 10,
                                                   "speed": 10, "satisfaction": 10, "first_loan": 10, "policy": 0})
    assert bad.status_code == 422 and "合计应为100，现为90" in bad.get_data(as_text=True)
    assert bulletins.weights(db) == bulletins.DEFAULT_WEIGHTS
    ok = client.post("/bulletins/settings", data={"which": "weights", "target": 100, "growth": 0, "whitelist": 0,
                                                  "speed": 0, "satisfaction": 0, "first_loan": 0, "policy": 0})
    assert ok.status_code == 302
    db.expire_all()
    data = bulletins.quarterly(db, Q1, TODAY)
    assert (_row(data, known["p"])["score"], _row(data, known["g"])["score"]) == ("99.73", "100.00")
    page = client.get("/bulletins/quarterly?quarter=2022Q1").get_data(as_text=True)
    assert "权重 100" in page and "99.73" in page


def test_every_platform_figure_links_to_its_leads(db, as_role, known):
    p, leads = known["p"], known["leads"]
    assert platform_figures.drill(db, MARCH.start, MARCH.end, "overdue", p.id, today=TODAY) == \
        [leads["p2"].id, leads["p3"].id]
    assert platform_figures.drill(db, MARCH.start, MARCH.end, "received", today=TODAY) == sorted(
        leads[k].id for k in ("p1", "p2", "p3", "g4", "g5"))
    client = as_role("district")
    page = client.get("/bulletins/monthly?month=2022-03").get_data(as_text=True)
    assert f"/reports/leads?period=2022-03&amp;metric=overdue&amp;bank={p.id}" in page
    assert f"/reports/leads?period=2022-03&amp;metric=declined&amp;bank={p.id}&amp;reason=collateral" in page
    assert f"/reports/{p.id}/2022-03" in page
    listing = client.get(f"/reports/leads?period=2022-03&metric=overdue&bank={p.id}").get_data(as_text=True)
    assert "超时认领或未认领：2 条" in listing
    assert f"L-{leads['p2'].id}<" in listing and f"L-{leads['p3'].id}<" in listing
    assert f"L-{leads['p1'].id}<" not in listing
    newest_first = client.get(f"/reports/leads?period=2022-03&metric=overdue&bank={p.id}&sort=-created")
    html = newest_first.get_data(as_text=True)
    assert html.index(f"L-{leads['p3'].id}<") < html.index(f"L-{leads['p2'].id}<")
    assert listing.index(f"L-{leads['p2'].id}<") < listing.index(f"L-{leads['p3'].id}<")
    declined = client.get("/reports/leads?period=2022-03&metric=declined&reason=collateral").get_data(as_text=True)
    assert "：1 条" in declined and f"L-{leads['p2'].id}<" in declined
    own = as_role("bank_admin").get("/reports/leads?period=2022-03&metric=received").get_data(as_text=True)
    assert "：3 条" in own and f"L-{leads['g4'].id}<" not in own


def _snapshot(db, kind, key) -> Bulletin:
    db.expire_all()
    return db.scalar(select(Bulletin).where(Bulletin.kind == kind, Bulletin.period == key))


def test_a_frozen_bulletin_does_not_change_after_a_correction(db, as_role, known):
    p = known["p"]
    district = as_role("district")
    assert district.post("/bulletins/monthly/2022-03/issue").status_code == 302
    issued = _snapshot(db, "monthly", "2022-03")
    frozen = copy.deepcopy(issued.data)
    assert (issued.edition, _row(frozen, p)["industrial_loans"]) == (1, 1_440_000_000)
    assert as_role("bank_admin").get("/bulletins/monthly?month=2022-03").status_code == 403
    assert as_role("bank_admin").post("/bulletins/monthly/2022-03/issue").status_code == 403

    form = {"month": "2022-03", "deposits": "100", "loans": "105", "industrial_loans": "15", "note": "补报技改贷款",
            "new_industrial_loans": "3000", "first_loan_count": "2", "first_loan_amount": "150",
            "ip_pledge_loans": "1000", "green_loans": "1500", "kechuang_loans": "1000", "zhengyinbao_loans": "1000",
            "supply_chain_bills": "500"}
    assert as_role("bank_admin").post("/reports/submit", data=form).status_code == 302

    again = _snapshot(db, "monthly", "2022-03")
    assert again.data == frozen and again.edition == 1
    live = bulletins.monthly(db, MARCH, TODAY)
    assert _row(live, p)["industrial_loans"] == 1_500_000_000 and _row(live, p)["version"] == 2
    changes = {(c["who"], c["field"]): (c["published"], c["current"]) for c in bulletins.changes(frozen, live)}
    assert changes[(p.name, "industrial_loans")] == (1_440_000_000, 1_500_000_000)
    assert changes[(p.name, "version")] == (1, 2)
    assert changes[("全区合计", "industrial_loans")] == (1_860_000_000, 1_920_000_000)

    page = district.get("/bulletins/monthly?month=2022-03").get_data(as_text=True)
    assert "已发布 · 第1版" in page and "发布后数据有变化" in page
    assert "14.40 亿元" in page and "15.00 亿元" in page
    target_table = page.split('id="target-table"')[1].split("</table>")[0]
    assert ">14.40 亿元<" in target_table and ">15.00 亿元<" not in target_table
    assert "补报技改贷款" in page
    live_page = district.get("/bulletins/monthly?month=2022-03&live=1").get_data(as_text=True)
    assert ">15.00 亿元<" in live_page.split('id="target-table"')[1].split("</table>")[0]

    book = load_workbook(io.BytesIO(district.get("/bulletins/monthly/2022-03.xlsx").data))
    sheet = book["目标进度"]
    row = next(r for r in sheet.iter_rows(min_row=5, values_only=True) if r[2] == p.name)
    assert row[8] == pytest.approx(14.4) and row[20] == 1  # version, after the year-on-year and since-base growth
    assert "已发布（第1版）" in book["概况"]["A2"].value

    assert district.post("/bulletins/monthly/2022-03/issue").status_code == 302
    assert [b.edition for b in bulletins.editions(db, "monthly", "2022-03")] == [2, 1]
    assert bulletins.editions(db, "monthly", "2022-03")[1].data == frozen


def test_a_period_that_has_not_ended_cannot_be_issued(db, as_role, users):
    client = as_role("district")
    response = client.post("/bulletins/monthly/2099-01/issue")
    assert response.status_code == 302
    assert db.scalar(select(Bulletin)) is None


def test_cli_writes_each_bulletin_as_xlsx(app, db, known, tmp_path):
    runner = app.test_cli_runner()
    for args, sheet, title in (
        (["monthly", "--month", "2022-03"], "概况", "2022年3月全区银行业金融机构"),
        (["quarterly", "--quarter", "2022Q1"], "评价得分", "2022年第一季度"),
        (["annual", "--year", "2022"], "评价得分", "2022年度"),
    ):
        out = tmp_path / f"{args[0]}.xlsx"
        result = runner.invoke(args=["report", *args, "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert "未发布（实时数据）" in result.output
        book = load_workbook(out)
        assert book.sheetnames[0] == sheet and title in book[sheet]["A1"].value
    scores = load_workbook(tmp_path / "quarterly.xlsx")["评价得分"]
    first = [c.value for c in scores[5]]
    score = _row(bulletins.quarterly(db, Q1), known["p"])["score"]
    assert first[:3] == [1, known["p"].name, pytest.approx(float(score))]
    bad = runner.invoke(args=["report", "quarterly", "--quarter", "2022Q5", "-o", str(tmp_path / "x.xlsx")])
    assert bad.exit_code != 0 and "2022Q1" in bad.output


def test_every_bulletin_page_renders_with_charts_and_prints(db, as_role, known):
    client = as_role("district")
    for url in ("/bulletins/monthly?month=2022-03", "/bulletins/quarterly?quarter=2022Q1",
                "/bulletins/annual?year=2022", "/targets/?year=2022"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert "vendor/chartjs/chart.umd.min.js" in html and 'data-chart="chart-' in html, url
        assert "print-wide" in html and "cdn" not in html.lower(), url
    assert client.get("/bulletins/monthly?month=2022-13").status_code == 400
    assert client.get("/bulletins/monthly?month=2022-03&edition=7").status_code == 404
    assert client.get("/bulletins/weekly/2022-03.xlsx").status_code == 404
    assert client.get("/reports/leads?period=2022-03&metric=nonsense").status_code == 404
    assert db.scalar(select(Bank).where(Bank.seq == 17)) is not None


def test_white_list_firms_served_count_distinct_approved_firms(db, as_role, known):
    whitelists = pytest.importorskip("matchmaker.models.whitelists")
    p, leads = known["p"], known["leads"]
    batch = whitelists.WhiteListBatch(kind="above_scale", label="2022", state="active")
    db.add(batch)
    db.flush()
    for lead in (leads["p1"], leads["p2"]):  # p2 was declined: on the list but not served
        db.add(whitelists.WhiteListEntry(batch_id=batch.id, kind="above_scale", firm_id=lead.request.firm_id))
    db.commit()
    data = bulletins.monthly(db, MARCH, TODAY)
    assert _row(data, p)["platform"]["whitelist_firms"] == 1
    assert data["platform_total"]["whitelist_firms"] == 1
    assert platform_figures.drill(db, MARCH.start, MARCH.end, "whitelist", p.id, today=TODAY) == [leads["p1"].id]
    evaluation = bulletins.quarterly(db, Q1, TODAY)
    assert _row(evaluation, p)["parts"]["whitelist"]["score"] == "100.00"


def test_the_white_list_figure_links_to_as_many_rows_as_it_counts(db, as_role, known):
    """Two approved leads of one white-listed firm: the figure is 1 firm, and its drill-down shows 1 row."""
    whitelists = pytest.importorskip("matchmaker.models.whitelists")
    p, first = known["p"], known["leads"]["p1"]
    again = _lead(db, p, "approved", cst(2022, 3, 22, 9, 0), date(2022, 3, 24), cst(2022, 3, 22, 15, 0),
                  cst(2022, 3, 25, 9, 0), firm=first.request.firm)
    db.add(Offer(lead_id=again.id, amount=1_000_000, rate_pct=Decimal("3.85"), term_months=12, state="offered"))
    batch = whitelists.WhiteListBatch(kind="above_scale", label="2022", state="active")
    db.add(batch)
    db.flush()
    db.add(whitelists.WhiteListEntry(batch_id=batch.id, kind="above_scale", firm_id=first.request.firm_id))
    db.commit()
    data = bulletins.monthly(db, MARCH, TODAY)
    assert _row(data, p)["platform"]["approved"] == 2 and _row(data, p)["platform"]["whitelist_firms"] == 1
    for bank_id in (p.id, None):
        assert platform_figures.drill(db, MARCH.start, MARCH.end, "whitelist", bank_id, today=TODAY) == [first.id]

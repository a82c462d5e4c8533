"""One figure, one number: routing's 目标差距 reason shows the completion `/targets/` shows for the same bank, and
district totals are over the banks that reported (their sums against their own targets, the others named)."""
from __future__ import annotations

from datetime import date

from matchmaker.domain.banks import figures, targets
from matchmaker.domain.requests import routing

from .factories import MonthlyReportFactory


def test_routing_target_gap_is_the_targets_page_completion(db, as_role, bank, other_bank):
    # 邮储 (seq 17): 2022 target 15.92 亿; balance 14.40 亿 in March → 90.45 %
    MonthlyReportFactory(bank_id=bank.id, month=date(2022, 3, 1), industrial_loans=1_440_000_000)
    db.commit()
    completion = next(r["completion_pct"] for r in targets.latest_progress(db, 2022) if r["bank_id"] == bank.id)
    assert completion == "90.45"

    ctx = routing.load_context(db, date(2022, 6, 15))
    mine = ctx.banks[bank.id]
    assert mine.target_reason == "2022-03工业贷款余额完成本年目标 90.45%"
    assert abs(mine.target_gap - 0.0955) < 1e-9
    page = as_role("district").get("/targets/?year=2022").get_data(as_text=True)
    assert "90.45%" in page

    # a bank with no report this year is neither pushed nor held back, and the reason says why
    other = ctx.banks[other_bank.id]
    assert (other.target_gap, other.target_reason) == (routing.NEUTRAL_GAP, "2022年尚未报送工业贷款余额")


def test_a_bank_over_its_target_has_no_gap(db, bank):
    MonthlyReportFactory(bank_id=bank.id, month=date(2022, 5, 1), industrial_loans=1_800_000_000)
    db.commit()
    ctx = routing.load_context(db, date(2022, 6, 15))
    assert ctx.banks[bank.id].target_gap == 0.0
    assert "完成本年目标 113.07%" in ctx.banks[bank.id].target_reason


def test_district_totals_are_over_the_banks_that_reported(db, as_role, bank, other_bank):
    MonthlyReportFactory(bank_id=bank.id, month=date(2022, 3, 1), industrial_loans=1_440_000_000)
    MonthlyReportFactory(bank_id=other_bank.id, month=date(2022, 3, 1), industrial_loans=1_000_000_000)
    db.commit()
    rows = targets.progress(db, date(2022, 3, 1))
    district = targets.totals(rows)
    mine = {r["bank_id"]: r for r in rows}
    assert district["reported"] == 2 and district["banks"] == 22 and len(district["missing"]) == 20
    assert bank.name not in district["missing"] and other_bank.name not in district["missing"]
    assert district["target_industrial"] == mine[bank.id]["target_industrial"] + mine[other_bank.id]["target_industrial"]
    assert district["target_industrial_all"] > district["target_industrial"]
    assert district["completion_pct"] == figures.target_completion(2_440_000_000, district["target_industrial"])

    page = as_role("district").get("/targets/?year=2022").get_data(as_text=True)
    assert "2 / 22 家已报送" in page and district["missing"][0] in page


def test_growth_goal_per_bank_district_page_bulletin_and_score(db, as_role, bank, other_bank):
    from matchmaker.domain.banks import bulletins, periods

    # bank: industrial +20 %, loans +10 % → met; other: industrial +5 %, loans +10 % → not met
    for b, ind, loans in ((bank, (1_000_000_000, 1_200_000_000), (5_000_000_000, 5_500_000_000)),
                          (other_bank, (1_000_000_000, 1_050_000_000), (5_000_000_000, 5_500_000_000))):
        MonthlyReportFactory(bank_id=b.id, month=date(2021, 3, 1), industrial_loans=ind[0], loans=loans[0])
        MonthlyReportFactory(bank_id=b.id, month=date(2022, 3, 1), industrial_loans=ind[1], loans=loans[1])
    db.commit()
    rows = {r["bank_id"]: r for r in targets.progress(db, date(2022, 3, 1))}
    assert rows[bank.id]["growth_yoy"] == {"industrial": "20.00", "loans": "10.00", "met": True}
    assert rows[other_bank.id]["growth_yoy"] == {"industrial": "5.00", "loans": "10.00", "met": False}
    district = targets.totals(list(rows.values()))
    assert district["growth_yoy"] == {"industrial": "12.50", "loans": "10.00", "met": True, "banks": 2}
    card = next(g for g in targets.goals_panel(db, district) if g["key"] == "growth")
    assert card["actual"] == "12.50% / 10.00%" and card["met"]

    data = bulletins.quarterly(db, periods.parse("quarterly", "2022Q1"), date(2022, 4, 20))
    scores = {r["bank_id"]: r["parts"]["growth"] for r in data["banks"]}
    assert scores[bank.id]["score"] == "100.00" and scores[other_bank.id]["score"] == "50.00"  # 5 points behind

    page = as_role("district").get("/bulletins/monthly?month=2022-03").get_data(as_text=True)
    table = page.split('id="target-table"')[1].split("</table>")[0]
    assert "工业贷款同比" in table and "20.00%" in table and "✗" in table
    assert "12.50%" in as_role("district").get("/targets/?year=2022").get_data(as_text=True)


def test_the_bulletin_xlsx_carries_the_growth_goal(db, as_role, bank):
    import io

    from openpyxl import load_workbook

    MonthlyReportFactory(bank_id=bank.id, month=date(2021, 3, 1), industrial_loans=1_000_000_000, loans=5_000_000_000)
    MonthlyReportFactory(bank_id=bank.id, month=date(2022, 3, 1), industrial_loans=1_200_000_000, loans=5_500_000_000)
    db.commit()
    book = load_workbook(io.BytesIO(as_role("district").get("/bulletins/monthly/2022-03.xlsx").data))
    sheet = book["目标进度"]
    header = [c.value for c in sheet[4]]
    row = next(r for r in sheet.iter_rows(min_row=5, values_only=True) if r[2] == bank.name)
    at = header.index("工业贷款同比%")
    assert (row[at], row[at + 1], row[at + 2]) == (20.0, 10.0, "是")


def test_the_first_loan_figure_of_an_evaluation_links_to_the_whole_period(db, as_role, bank):
    for month, count in ((1, 2), (2, 0), (3, 3)):
        MonthlyReportFactory(bank_id=bank.id, month=date(2022, month, 1), first_loan_count=count,
                             first_loan_amount=count * 1_000_000)
    db.commit()
    client = as_role("district")
    page = client.get("/bulletins/quarterly?quarter=2022Q1").get_data(as_text=True)
    link = f"/reports/{bank.id}/period/2022Q1"
    assert link in page
    period = client.get(link).get_data(as_text=True)
    table = period.split('id="period-table"')[1].split("</table>")[0]
    assert all(f"2022-0{m}" in table for m in (1, 2, 3))
    assert table.split("<tfoot>")[1].count(">5<") == 1  # 2 + 0 + 3 first loans over the quarter
    assert client.get(f"/reports/{bank.id}/period/2022Q9").status_code in (400, 404)
    assert as_role("township").get(link).status_code == 403


def test_each_figure_computed_once_shows_the_same_on_pages_xlsx_and_routing(db, as_role, bank, users):
    """Issue 14, point 1: each figure through its one function (`domain/banks/figures.py`), then the same number on
    `/targets/`, the monthly bulletin (page and .xlsx), the district dashboard and routing's reasons."""
    import io
    from datetime import datetime, timedelta

    from openpyxl import load_workbook

    from matchmaker.domain.banks import periods
    from matchmaker.domain.core.workdays import load_calendar

    from .factories import FirmFactory, routed_request

    def cst(*args):
        return datetime(*args) - timedelta(hours=8)

    MonthlyReportFactory(bank_id=bank.id, month=date(2021, 12, 1), industrial_loans=1_400_000_000,
                         loans=9_000_000_000, deposits=10_000_000_000)
    report = MonthlyReportFactory(bank_id=bank.id, month=date(2022, 3, 1), industrial_loans=1_440_000_000,
                                  loans=10_500_000_000, deposits=10_000_000_000, submitted_at=cst(2022, 4, 6, 10))
    # March leads: routed Tue 1st claimed Thu 3rd (2 working days, in time); routed Fri 4th claimed Thu 10th (late)
    for routed, claimed, deadline in ((cst(2022, 3, 1, 10), cst(2022, 3, 3, 9), date(2022, 3, 3)),
                                      (cst(2022, 3, 4, 10), cst(2022, 3, 10, 9), date(2022, 3, 8))):
        _, lead = routed_request(db, FirmFactory(), bank, state="claimed")
        lead.created_at, lead.claimed_at, lead.claim_deadline = routed, claimed, deadline
    db.commit()
    cal = load_calendar(db)
    target = 1_592_000_000  # appendix 2022 target of 邮储 (15.92 亿)

    completion = figures.target_completion(figures.industrial_balance(report), target)
    expected = figures.schedule_value(1_400_000_000, target, 3)
    schedule = figures.schedule_completion(report.industrial_loans, expected)
    ldr = figures.ldr(report.loans, report.deposits)
    in_time = figures.in_time_rate(1, 1)
    claim = figures.average(figures.workdays_to(cal, date(2022, 3, 1), date(2022, 3, 3))
                            + figures.workdays_to(cal, date(2022, 3, 4), date(2022, 3, 10)), 2)
    assert (completion, schedule, str(ldr), in_time, claim) == ("90.45", "99.45", "105.00", "50.00", "3.0")

    district = as_role("district")
    assert f"{completion}%" in district.get("/targets/?year=2022").get_data(as_text=True)
    page = district.get("/bulletins/monthly?month=2022-03").get_data(as_text=True)
    target_table = page.split('id="target-table"')[1].split("</table>")[0]
    assert completion in target_table and schedule in target_table and str(ldr) in target_table
    platform_table = page.split('id="platform-table"')[1].split("</table>")[0]
    row = next(r for r in platform_table.split("<tr") if bank.name in r)
    assert in_time in row and f">{claim}<" in row

    book = load_workbook(io.BytesIO(district.get("/bulletins/monthly/2022-03.xlsx").data))
    progress = book["目标进度"]
    header = [c.value for c in progress[4]]
    line = next(r for r in progress.iter_rows(min_row=5, values_only=True) if r[2] == bank.name)
    assert line[header.index("完成率%")] == float(completion)
    assert line[header.index("序时完成率%")] == float(schedule)
    assert line[header.index("存贷比%")] == float(ldr)
    plat = book["平台数据"]
    header = [c.value for c in plat[4]]
    line = next(r for r in plat.iter_rows(min_row=5, values_only=True) if r[1] == bank.name)
    assert line[header.index("按时率%")] == float(in_time)
    assert line[header.index("平均认领工作日")] == float(claim)

    dashboard = district.get("/district/?period=monthly&key=2022-03").get_data(as_text=True)
    row = next(r for r in dashboard.split('id="bank-table"')[1].split("<tr") if bank.name in r)
    assert f">{claim}<" in row

    ctx = routing.load_context(db, date(2022, 6, 15))
    assert ctx.banks[bank.id].target_reason == f"2022-03工业贷款余额完成本年目标 {completion}%"
    assert ctx.banks[bank.id].target_gap == figures.target_gap_share(completion, routing.NEUTRAL_GAP)
    assert ctx.banks[bank.id].avg_claim_workdays == float(claim)
    assert periods.parse("monthly", "2022-03").start == date(2022, 3, 1)

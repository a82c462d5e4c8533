"""Issue 14, points 2–5: routing's 目标差距 from the latest reported balance, reporting completeness beside every
district figure, base-period figures and later targets as data, and the growth goal (工业贷款增速高于贷款平均增速)."""
from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import select

from matchmaker.domain.banks import baselines, bulletins, figures, periods, targets
from matchmaker.domain.requests import financing, routing
from matchmaker.models import Bank, BankBase, History, Lead

from .factories import FirmFactory, MonthlyReportFactory

YI = 10**8


# 2. Routing's 目标差距 -----------------------------------------------------------------------------------------------

def test_routing_uses_the_latest_reported_month_and_says_when_a_year_has_no_target(db, bank, other_bank):
    MonthlyReportFactory(bank_id=bank.id, month=date(2022, 1, 1), industrial_loans=1_000_000_000)
    MonthlyReportFactory(bank_id=bank.id, month=date(2022, 5, 1), industrial_loans=1_592_000_000)  # = the target
    MonthlyReportFactory(bank_id=other_bank.id, month=date(2025, 3, 1), industrial_loans=1_000_000_000)
    db.commit()
    ctx = routing.load_context(db, date(2022, 6, 15))
    assert (ctx.banks[bank.id].target_gap, ctx.banks[bank.id].target_reason) == \
        (0.0, "2022-05工业贷款余额完成本年目标 100.00%")
    # 2025 is past the appendix and nobody set its targets: neutral, and the reason says so (never 2023's target)
    later = routing.load_context(db, date(2025, 6, 15))
    assert (later.banks[other_bank.id].target_gap, later.banks[other_bank.id].target_reason) == \
        (routing.NEUTRAL_GAP, "2025年未设定工业贷款目标")


def test_a_routed_lead_stores_the_targets_page_figure_as_its_reason(db, users, bank):
    year = routing.local_date().year
    targets.set_targets(db, users["district"], year, {bank.id: ("20", "90")})
    month = date(year, 1, 1)
    MonthlyReportFactory(bank_id=bank.id, month=month, industrial_loans=1_500_000_000)  # 15 ÷ 20 = 75 %
    db.commit()
    completion = targets.industrial_completion(db, year)
    assert completion[bank.id] == ("75.00", f"{year}-01工业贷款余额完成本年目标 75.00%")
    firm = FirmFactory(township_id=users["township"].township_id)
    req = financing.file_request(db, users["district"], firm, amount_yuan=300_0000, term_months=12,
                                 purpose="购买原材料", collateral="property")
    db.commit()
    leads = db.scalars(select(Lead).where(Lead.request_id == req.id)).all()
    assert leads
    for lead in leads:
        part = lead.score_parts["target_gap"]
        pct, reason = completion.get(lead.bank_id, (None, f"{year}年未设定工业贷款目标"))
        assert part["reason"] == reason
        assert part["value"] == round(figures.target_gap_share(pct, routing.NEUTRAL_GAP), 3)


# 3. Reporting completeness ------------------------------------------------------------------------------------------

def test_district_completion_counts_only_banks_with_a_report_and_a_target(db, users, bank, other_bank):
    targets.set_targets(db, users["district"], 2025, {bank.id: ("20", "90")})
    MonthlyReportFactory(bank_id=bank.id, month=date(2025, 6, 1), industrial_loans=1_000_000_000)
    MonthlyReportFactory(bank_id=other_bank.id, month=date(2025, 6, 1), industrial_loans=3_000_000_000)  # no target
    db.commit()
    rows = targets.progress(db, date(2025, 6, 1))
    seen = figures.reporting(rows)
    assert (seen["reported"], seen["banks"], seen["text"], seen["complete"]) == (2, 22, "2 / 22 家已报送", False)
    assert bank.name not in seen["missing"] and len(seen["missing"]) == 20
    done = figures.district_completion(rows)
    # 10 亿 over bank's own 20 亿 target: other_bank's 30 亿 without a target is not in the numerator
    assert (done["balance"], done["target"], done["pct"], done["banks"]) == (1_000_000_000, 2_000_000_000, "50.00", 1)
    district = targets.totals(rows)
    assert (district["completion_pct"], district["industrial_loans"], district["reported_text"]) == \
        ("50.00", 4_000_000_000, "2 / 22 家已报送")


def test_every_district_figure_names_the_missing_banks_on_pages_and_xlsx(db, as_role, bank, other_bank):
    for b in (bank, other_bank):
        MonthlyReportFactory(bank_id=b.id, month=date(2022, 3, 1), industrial_loans=1_000_000_000)
    db.commit()
    missing = db.scalar(select(Bank.name).where(Bank.id.not_in([bank.id, other_bank.id]), Bank.active.is_(True))
                        .order_by(Bank.seq))
    client = as_role("district")
    page = client.get("/bulletins/monthly?month=2022-03").get_data(as_text=True)
    table = page.split('id="target-table"')[1].split("</table>")[0]
    assert "全区（2 / 22 家已报送）" in table
    after = page.split('id="target-table"')[1].split("</table>")[1][:3000]
    assert "2 / 22 家已报送（未报送：" in after and missing in after
    goals = page.split("goals-row")[1].split("二、各行目标完成情况")[0]
    assert goals.count("2 / 22 家已报送") >= 2 and "全部报送后与目标比较" in goals
    quarter = client.get("/bulletins/quarterly?quarter=2022Q1").get_data(as_text=True)
    assert "2 / 22 家已报送（未报送：" in quarter.split("<h2")[1]
    targets_page = client.get("/targets/?year=2022").get_data(as_text=True)
    assert "2 / 22 家已报送（未报送：" in targets_page.split("<tfoot>")[1] and missing in targets_page

    book = load_workbook(io.BytesIO(client.get("/bulletins/monthly/2022-03.xlsx").data))
    summary = {r[0]: r for r in book["概况"].iter_rows(min_row=5, values_only=True)}
    for label in ("各项存款余额", "各项贷款余额", "全区存贷比", "工业贷款余额", "目标完成率"):
        assert "2 / 22 家已报送；未报送：" in summary[label][4] and missing in summary[label][4], label
    assert "全部报送后与目标比较" in summary["区定目标：工业贷款余额"][4]
    total = next(r for r in book["目标进度"].iter_rows(min_row=5, values_only=True)
                 if r[2] and r[2].startswith("全区合计"))
    assert "2 / 22 家已报送" in total[2] and total[8] == 20.0


# 4. Base-period figures and later targets as data ---------------------------------------------------------------

def test_the_district_enters_the_base_with_limits_and_history(db, as_role, users, bank, other_bank):
    client = as_role("district")
    form = client.get("/targets/base")
    assert form.status_code == 200 and f'name="ind_{bank.id}"' in form.get_data(as_text=True)
    assert "2020年12月" in form.get_data(as_text=True)
    for ind, loans, message in (("abc", "50", "不是数字"), ("1.123456789", "50", "最多8位小数"), ("-1", "50", "不能为负数"),
                                ("9" * 30, "50", "过长"), ("1e20", "50", "数值过大"), ("60", "50", "不得大于各项贷款余额"),
                                ("10", "", "请填写各项贷款余额")):
        bad = client.post("/targets/base", data={f"ind_{bank.id}": ind, f"loans_{bank.id}": loans})
        text = bad.get_data(as_text=True)
        assert bad.status_code == 422 and message in text and bank.name in text, (ind, loans)
    assert db.scalar(select(BankBase)) is None
    ok = client.post("/targets/base", data={f"ind_{bank.id}": "40.5", f"loans_{bank.id}": "120",
                                            f"ind_{other_bank.id}": "", f"loans_{other_bank.id}": ""})
    assert ok.status_code == 302
    client.post("/targets/base", data={f"ind_{bank.id}": "41", f"loans_{bank.id}": "120"})
    db.expire_all()
    row = db.scalar(select(BankBase).where(BankBase.bank_id == bank.id))
    assert (row.month, row.industrial_loans, row.loans) == (date(2020, 12, 1), 4_100_000_000, 12_000_000_000)
    notes = [(h.field, h.old_value, h.new_value) for h in db.scalars(
        select(History).where(History.entity == "bank_base", History.entity_id == bank.id).order_by(History.id))]
    assert notes == [("industrial_loans", None, "4050000000"), ("loans", None, "12000000000"),
                     ("industrial_loans", "4050000000", "4100000000")]
    page = client.get("/targets/base").get_data(as_text=True)
    assert "40.50 亿元 → 41.00 亿元" in page and "录入：41.00 亿元 / 120.00 亿元" in page
    # cleared: the bank's own December 2020 report (here none) counts again, and the history says so
    assert client.post("/targets/base", data={f"ind_{bank.id}": "", f"loans_{bank.id}": ""}).status_code == 302
    db.expire_all()
    assert db.scalar(select(BankBase)) is None and bank.id not in baselines.base_map(db)
    assert "41.00 亿元 → 未录入" in client.get("/targets/base").get_data(as_text=True)
    assert as_role("township").get("/targets/base").status_code == 403
    assert as_role("bank_admin").post("/targets/base", data={f"ind_{bank.id}": "1", f"loans_{bank.id}": "2"}) \
        .status_code == 403


def test_the_increase_goal_is_measured_from_the_entered_base(db, users):
    banks = db.scalars(select(Bank).where(Bank.active.is_(True)).order_by(Bank.seq)).all()
    first = banks[0]
    # the bank's own December 2020 report says 3 亿; the district's entered base (2.5 亿) wins
    MonthlyReportFactory(bank_id=first.id, month=date(2020, 12, 1), industrial_loans=300_000_000, loans=900_000_000)
    baselines.set_base(db, users["district"], date(2020, 12, 1),
                       {b.id: ("2.5", "10") for b in banks})  # 22 × 2.5 = 55 亿 base
    for b in banks:
        MonthlyReportFactory(bank_id=b.id, month=date(2023, 12, 1), industrial_loans=500_000_000,  # 22 × 5 = 110 亿
                             loans=1_100_000_000)
    db.commit()
    assert baselines.base_map(db)[first.id] == {"industrial_loans": 250_000_000, "loans": 1_000_000_000,
                                                "source": "录入"}
    assert targets.base_period(db, 2020)["industrial_loans"] == 55 * YI
    district = targets.totals(targets.progress(db, date(2023, 12, 1)))
    assert district["complete"] and district["increase"]["complete"]
    panel = {g["key"]: g for g in targets.goals_panel(db, district)}
    # 110 − 55 = 55 亿 ≥ 53 亿: met, 103.77 % of the goal (the old derived base, 109 − 53 = 56, read 54)
    assert (panel["increase"]["actual"], panel["increase"]["met"], panel["increase"]["progress"]) == \
        ("55.00", True, "103.77")
    assert "基期 55.00 亿元，22/22 家同口径" in panel["increase"]["label"]
    assert (panel["industrial"]["actual"], panel["industrial"]["met"], panel["industrial"]["progress"]) == \
        ("110.00", True, "100.92")


def test_a_bulletin_of_a_year_without_targets_says_so_with_a_link(db, as_role, bank):
    MonthlyReportFactory(bank_id=bank.id, month=date(2025, 3, 1), industrial_loans=2_000_000_000)
    db.commit()
    page = as_role("district").get("/bulletins/monthly?month=2025-03").get_data(as_text=True)
    assert "2025年未设定目标" in page and "/targets/edit/2025" in page
    table = page.split('id="target-table"')[1].split("</table>")[0]
    row = next(r for r in table.split("<tr") if bank.name in r)
    assert "111.43" not in row and "22.20" not in row  # nothing borrowed from 2023's appendix (邮储 22.20 亿)


# 5. Growth goal -----------------------------------------------------------------------------------------------------

def test_growth_since_the_base_per_bank_and_district_on_pages_and_xlsx(db, as_role, users, bank, other_bank):
    baselines.set_base(db, users["district"], date(2020, 12, 1), {bank.id: ("10", "50"), other_bank.id: ("10", "50")})
    # bank: industrial 10 → 13 (+30 %), loans 50 → 60 (+20 %): met; other: 10 → 11 (+10 %), 50 → 60: not met
    MonthlyReportFactory(bank_id=bank.id, month=date(2022, 3, 1), industrial_loans=13 * YI, loans=60 * YI)
    MonthlyReportFactory(bank_id=other_bank.id, month=date(2022, 3, 1), industrial_loans=11 * YI, loans=60 * YI)
    db.commit()
    rows = {r["bank_id"]: r for r in targets.progress(db, date(2022, 3, 1))}
    assert rows[bank.id]["growth_base"] == {"industrial": "30.00", "loans": "20.00", "met": True}
    assert rows[other_bank.id]["growth_base"] == {"industrial": "10.00", "loans": "20.00", "met": False}
    district = targets.totals(list(rows.values()))
    assert district["growth_base"] == {"industrial": "20.00", "loans": "20.00", "met": False, "banks": 2}
    card = next(g for g in targets.goals_panel(db, district) if g["key"] == "growth")
    assert "较基期：工业贷款 20.00%、各项贷款 20.00%（2 家同口径）" == card["note"]

    client = as_role("district")
    page = client.get("/targets/?year=2022").get_data(as_text=True)
    row = next(r for r in page.split("<tbody>")[2].split("<tr") if bank.name in r)
    assert "30.00%" in row and "20.00%" in row
    bulletin = client.get("/bulletins/monthly?month=2022-03").get_data(as_text=True)
    table = bulletin.split('id="target-table"')[1].split("</table>")[0]
    assert "较基期" in table and "30.00% / 20.00%" in table and "10.00% / 20.00%" in table
    book = load_workbook(io.BytesIO(client.get("/bulletins/monthly/2022-03.xlsx").data))
    sheet = book["目标进度"]
    header = [c.value for c in sheet[4]]
    line = next(r for r in sheet.iter_rows(min_row=5, values_only=True) if r[2] == other_bank.name)
    at = header.index("工业贷款较基期%")
    assert (line[at], line[at + 1], line[at + 2]) == (10.0, 20.0, "否")


def test_the_annual_assessment_scores_the_growth_goal_with_the_districts_weight(db, as_role, bank, other_bank):
    for b, before, now in ((bank, 10, 12), (other_bank, 10, 10)):  # loans +10 % for both
        MonthlyReportFactory(bank_id=b.id, month=date(2021, 12, 1), industrial_loans=before * YI, loans=50 * YI)
        MonthlyReportFactory(bank_id=b.id, month=date(2022, 12, 1), industrial_loans=now * YI, loans=55 * YI)
    db.commit()
    client = as_role("district")
    ok = client.post("/bulletins/settings", data={"which": "weights", "target": 0, "growth": 100, "whitelist": 0,
                                                  "speed": 0, "satisfaction": 0, "first_loan": 0, "policy": 0})
    assert ok.status_code == 302
    db.expire_all()
    data = bulletins.annual(db, periods.parse("annual", "2022"), date(2023, 1, 20))
    scores = {r["bank_id"]: r for r in data["banks"]}
    # bank +20 % against +10 %: full marks; other 0 % against +10 %: 10 points behind → 0
    assert scores[bank.id]["parts"]["growth"]["score"] == "100.00" and scores[bank.id]["score"] == "100.00"
    assert scores[other_bank.id]["parts"]["growth"]["score"] == "0.00" and scores[other_bank.id]["score"] == "0.00"
    assert scores[bank.id]["rank"] == 1
    page = client.get("/bulletins/annual?year=2022").get_data(as_text=True)
    assert "工业贷款增速高于贷款平均增速" in page and "权重 100" in page and "20.00%" in page

"""Targets and goals: each bank's targets next to its latest figures, the appendix's totals against its rows, the
district goals panel, and the listing reserve pool (上市后备资源库) kept by the district."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from matchmaker.domain.banks import listing, targets
from matchmaker.domain.core.errors import DomainError
from matchmaker.models import History, ListingCandidate

from .factories import FirmFactory, MonthlyReportFactory


def test_the_appendix_totals_are_compared_with_the_sums_of_its_rows(db):
    check = targets.appendix_check(db)
    rows = [(y["year"], y["stated"], y["row_sum"], y["difference"], y["differs"], y["loaded"]) for y in check["years"]]
    assert rows == [
        (2021, "72.41", "72.41", "+0.00", False, "72.41"),
        (2022, "92.83", "92.80", "+0.03", True, "92.80"),
        (2023, "111.40", "111.43", "-0.03", True, "111.43"),
    ]
    assert check["banks"] == 22
    assert check["goal_note"] == "2023年各行目标相加 111.43 亿元，区定目标为 109 亿元以上（高于区定目标 2.43 亿元）"


def test_targets_page_shows_latest_figures_progress_gap_and_appendix_check(db, as_role, users, bank):
    MonthlyReportFactory(bank_id=bank.id, month=date(2022, 1, 1), deposits=10_000_000_000, loans=10_000_000_000,
                         industrial_loans=1_300_000_000)
    MonthlyReportFactory(bank_id=bank.id, month=date(2022, 3, 1), deposits=10_000_000_000, loans=10_500_000_000,
                         industrial_loans=1_440_000_000)
    db.commit()
    rows = {r["bank_id"]: r for r in targets.latest_progress(db, 2022)}
    mine = rows[bank.id]
    assert (mine["month"], mine["industrial_loans"], mine["target_industrial"], mine["completion_pct"],
            mine["industrial_gap"], mine["ldr_pct"], mine["ldr_gap"]) == \
        ("2022-03", 1_440_000_000, 1_592_000_000, "90.45", 152_000_000, "105.00", "3.00")
    html = as_role("district").get("/targets/?year=2022").get_data(as_text=True)
    check = html.split('id="appendix-check"')[1].split("</table>")[0]
    assert "92.83" in check and "92.80" in check and "+0.03" in check and "不一致" in check
    assert f"/reports/{bank.id}/2022-03" in html and "90.45%" in html and "1.52" in html
    assert "全区存贷比" in html and "上市企业" in html


def test_a_year_without_targets_says_so_and_never_borrows_another_years(db, as_role, bank):
    MonthlyReportFactory(bank_id=bank.id, month=date(2025, 6, 1), industrial_loans=2_000_000_000,
                         loans=9_000_000_000)
    db.commit()
    row = next(r for r in targets.progress(db, date(2025, 6, 1)) if r["bank_id"] == bank.id)
    assert (row["target_year"], row["target_industrial"], row["completion_pct"]) == (None, None, None)
    page = as_role("district").get("/targets/?year=2025").get_data(as_text=True)
    assert "2025年未设定目标" in page and "/targets/edit/2025" in page


def test_the_district_sets_later_targets_with_history(db, as_role, users, bank, other_bank):
    client = as_role("district")
    form = client.get("/targets/edit/2025")
    assert form.status_code == 200 and f'name="ind_{bank.id}"' in form.get_data(as_text=True)
    bad = client.post("/targets/edit/2025", data={f"ind_{bank.id}": "12.345", f"ldr_{bank.id}": "80"})
    assert bad.status_code == 422 and "最多两位小数" in bad.get_data(as_text=True)
    assert 'value="12.345"' in bad.get_data(as_text=True)  # what was typed stays
    for junk in ("NaN", "1e309", "-3", "abc"):
        r = client.post("/targets/edit/2025", data={f"ind_{bank.id}": junk, f"ldr_{bank.id}": "80"})
        assert r.status_code == 422, junk
    ok = client.post("/targets/edit/2025", data={f"ind_{bank.id}": "20.50", f"ldr_{bank.id}": "85",
                                                 f"ind_{other_bank.id}": "", f"ldr_{other_bank.id}": ""})
    assert ok.status_code == 302
    db.expire_all()
    MonthlyReportFactory(bank_id=bank.id, month=date(2025, 6, 1), industrial_loans=2_050_000_000)
    db.commit()
    row = next(r for r in targets.progress(db, date(2025, 6, 1)) if r["bank_id"] == bank.id)
    assert (row["target_industrial"], row["completion_pct"]) == (2_050_000_000, "100.00")
    other = next(r for r in targets.progress(db, date(2025, 6, 1)) if r["bank_id"] == other_bank.id)
    assert other["target_industrial"] is None
    client.post("/targets/edit/2025", data={f"ind_{bank.id}": "21", f"ldr_{bank.id}": "85"})
    notes = list(db.scalars(select(History.note).where(History.entity == "bank_target",
                                                        History.entity_id == bank.id).order_by(History.id)))
    assert notes == ["2025年目标：未设定 → 工业贷款 20.50 亿元、存贷比 85.00%",
                     "2025年目标：工业贷款 20.50 亿元、存贷比 85.00% → 工业贷款 21.00 亿元、存贷比 85.00%"]
    assert as_role("township").get("/targets/edit/2025").status_code == 403
    with pytest.raises(DomainError):
        targets.set_targets(db, users["bank_admin"], 2025, {bank.id: ("1", "1")})


def test_goals_panel_counts_joint_stock_and_listed_firms_from_the_pool(db, users):
    district = users["district"]
    plan = [("tutoring", "", date(2022, 5, 1)), ("listed", "star", date(2021, 3, 1)),
            ("listed", "neeq", date(2020, 6, 1)), ("cultivating", "", None)]
    for i, (stage, market, joint) in enumerate(plan):
        listing.save(db, district, name=f"枣庄后备{i}号股份有限公司", tier="first", stage=stage, market=market,
                     joint_stock_on=joint, listed_on=date(2023, 1, 5) if stage == "listed" else None,
                     today=date(2024, 1, 1))
    assert listing.goal_counts(db, 2021, 2023) == {"joint_stock_new": 2, "listed": 1, "quoted": 1}
    complete = {"ldr_pct": "84.00", "industrial_loans": 11_000_000_000, "reported": 22, "banks": 22, "complete": True}
    panel = {g["key"]: g for g in targets.goals_panel(db, complete)}
    assert (panel["joint_stock"]["actual"], panel["joint_stock"]["progress"]) == (2, "8.33")
    assert (panel["listed"]["actual"], panel["listed"]["progress"]) == (1, "16.67")
    assert (panel["ldr"]["met"], panel["industrial"]["met"]) == (True, True)
    # the +53 亿 goal is measured from the December 2020 base: none entered or reported yet, so no figure
    assert panel["increase"]["actual"] is None and "基期未录入" in panel["increase"]["label"]


def test_the_increase_goal_is_measured_from_the_reported_base(db, bank, other_bank):
    MonthlyReportFactory(bank_id=bank.id, month=date(2020, 12, 1), industrial_loans=4_000_000_000)
    MonthlyReportFactory(bank_id=other_bank.id, month=date(2020, 12, 1), industrial_loans=2_196_000_000)
    MonthlyReportFactory(bank_id=bank.id, month=date(2023, 12, 1), industrial_loans=7_000_000_000)
    MonthlyReportFactory(bank_id=other_bank.id, month=date(2023, 12, 1), industrial_loans=4_000_000_000)
    db.commit()
    assert targets.base_period(db, 2020)["industrial_loans"] == 6_196_000_000
    district = targets.totals(targets.progress(db, date(2023, 12, 1)))
    panel = {g["key"]: g for g in targets.goals_panel(db, district)}
    # 110.00 − 61.96 = 48.04 亿元 over the two banks with a base and a report (not 110 − (109 − 53) = 54, the old
    # derived base); only 2 of 22 banks, so it is not read against the district's +53 亿 goal
    assert panel["increase"]["actual"] == "48.04" and not panel["increase"]["met"]
    assert panel["increase"]["progress"] is None and "暂不与目标比较" in panel["increase"]["note"]
    assert "基期 61.96 亿元，2/22 家同口径" in panel["increase"]["label"]


def test_the_district_keeps_the_listing_pool(db, as_role, users, township):
    firm = FirmFactory(township_id=township.id, industry="health_devices")
    db.commit()
    client = as_role("district")
    response = client.post("/listing/new", data={"name": firm.uscc, "tier": "second", "stage": "restructuring",
                                                 "industry": "other", "market": ""})
    assert response.status_code == 302
    row = db.scalar(select(ListingCandidate))
    assert (row.firm_id, row.name, row.industry, row.stage, row.joint_stock_on) == \
        (firm.id, firm.name, "health_devices", "restructuring", None)
    again = client.post("/listing/new", data={"name": firm.name, "tier": "first", "stage": "cultivating",
                                              "industry": "other", "market": ""})
    assert again.status_code == 422 and "已在后备资源库中" in again.get_data(as_text=True)

    assert client.post(f"/listing/{row.id}/move", data={"step": 1}).status_code == 302
    db.expire_all()
    row = db.get(ListingCandidate, row.id)
    assert row.stage == "tutoring" and row.joint_stock_on is not None  # past 股改: now a joint-stock firm
    refused = client.post(f"/listing/{row.id}", data={"name": row.name, "tier": "first", "stage": "listed",
                                                       "industry": row.industry, "market": ""})
    assert refused.status_code == 422 and "请选择市场" in refused.get_data(as_text=True)
    notes = [h.note for h in db.scalars(select(History).where(History.entity == "listing"))]
    assert notes == ["纳入后备资源库（股改）", "股改 → 辅导"]

    page = client.get("/listing/").get_data(as_text=True)
    column = page.split('aria-label="辅导"')[1].split("</section>")[0]
    assert firm.name in column
    assert client.get("/listing/?tier=nonsense").status_code == 404
    assert client.get("/listing/99999").status_code == 404
    for role in ("bank_admin", "township", "enterprise"):
        assert as_role(role).post(f"/listing/{row.id}/move", data={"step": 1}).status_code == 403
    with pytest.raises(DomainError):
        listing.save(db, users["bank_admin"], name="x", tier="first", stage="cultivating")


def test_reporting_settings_change_the_deadline(db, as_role, users):
    client = as_role("district")
    bad = client.post("/bulletins/settings", data={"which": "reporting", "deadline_workdays": 0, "jump_pct": 30})
    assert bad.status_code == 422
    assert client.post("/bulletins/settings", data={"which": "reporting", "deadline_workdays": 3,
                                                    "jump_pct": 50}).status_code == 302
    page = client.get("/reports/status?month=2022-03").get_data(as_text=True)
    assert "2022-04-06" in page

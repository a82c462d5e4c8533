"""Monthly figures: typed and uploaded reports stored exactly, checks, jump confirmation, versions, the .xlsx
template refused whole on a bad cell, the working-day deadline, reminders and who may see what."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from matchmaker.domain.banks import periods, report_deadlines, report_xlsx
from matchmaker.domain.banks.monthly_reports import UploadRefused
from matchmaker.domain.core import settings
from matchmaker.models import MonthlyReport, Notification, utcnow

from .factories import MonthlyReportFactory

FORM = {"deposits": "100", "loans": "105.5", "industrial_loans": "14.4", "new_industrial_loans": "3000",
        "first_loan_count": "2", "first_loan_amount": "150.5", "ip_pledge_loans": "1000", "green_loans": "1500",
        "kechuang_loans": "1000", "zhengyinbao_loans": "1000", "supply_chain_bills": "500.0001"}
STORED = {"deposits": 10_000_000_000, "loans": 10_550_000_000, "industrial_loans": 1_440_000_000,
          "new_industrial_loans": 30_000_000, "first_loan_count": 2, "first_loan_amount": 1_505_000,
          "ip_pledge_loans": 10_000_000, "green_loans": 15_000_000, "kechuang_loans": 10_000_000,
          "zhengyinbao_loans": 10_000_000, "supply_chain_bills": 5_000_001}


def post(client, month="2022-03", **override):
    return client.post("/reports/submit", data={**FORM, "month": month, **override})


def reports(db) -> list[MonthlyReport]:
    db.expire_all()
    return list(db.scalars(select(MonthlyReport).order_by(MonthlyReport.month, MonthlyReport.version)))


def test_typed_report_is_stored_exactly_in_yuan(db, as_role, users, bank):
    response = post(as_role("bank_admin"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/reports/{bank.id}/2022-03")
    [row] = reports(db)
    assert {name: getattr(row, name) for name in STORED} == STORED
    assert all(type(getattr(row, name)) is int for name in STORED)
    assert (row.bank_id, row.month, row.version, row.source) == (bank.id, date(2022, 3, 1), 1, "form")
    assert row.submitted_by_id == users["bank_admin"].id


@pytest.mark.parametrize("override, message", [
    ({"deposits": "-1"}, "不能为负数"),
    ({"green_loans": "-0.5"}, "不能为负数"),
    ({"industrial_loans": "200"}, "不能大于各项贷款余额"),
    ({"deposits": "1.123456789"}, "最多精确到元"),
    ({"first_loan_count": "1.5"}, "户数应为整数"),
    ({"deposits": "abc"}, "各项存款余额"),
    ({"loans": ""}, "请填写各项贷款余额"),
    ({"deposits": "100000000000", "loans": "100000000000"}, "数值过大，请核对单位（亿元）"),
    ({"first_loan_count": "10000000000"}, "数值过大，请核对单位（户）"),
])
def test_bad_figures_are_refused_next_to_the_field(db, as_role, users, override, message):
    response = post(as_role("bank_admin"), **override)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "is-invalid" in html
    assert reports(db) == []


def test_a_submission_cannot_pass_itself_off_as_demo_data(db, as_role, users, bank):
    assert post(as_role("bank_admin"), source="demo").status_code == 302
    assert [r.source for r in reports(db)] == ["form"]


def test_months_not_yet_ended_cannot_be_reported(db, as_role, users):
    response = post(as_role("bank_admin"), month="2099-01")
    assert response.status_code == 302 and reports(db) == []
    assert post(as_role("bank_admin"), month="2022-13").status_code == 404


def test_a_jump_from_last_month_needs_confirmation(db, as_role, users, bank):
    MonthlyReportFactory(bank_id=bank.id, month=date(2022, 2, 1), **{**STORED, "deposits": 5_000_000_000})
    db.commit()
    client = as_role("bank_admin")
    response = post(client)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "各项存款余额较上月增长100.0%（50 → 100亿元），超过30%" in html
    assert html.count("，超过30%") == 1  # the other balances moved less
    assert "我已核对" in html
    assert [r.month for r in reports(db)] == [date(2022, 2, 1)]
    assert post(client, confirm_jump="y").status_code == 302
    march = reports(db)[-1]
    assert march.month == date(2022, 3, 1) and march.jump_confirmed is True and march.deposits == 10_000_000_000
    # a correction of another figure does not ask again about the confirmed jump; changing that figure does
    assert post(client, industrial_loans="14.5", note="补报").status_code == 302
    again = post(client, deposits="101", note="存款口径调整")
    assert again.status_code == 422 and "（50 → 101亿元）" in again.get_data(as_text=True)
    assert [r.version for r in reports(db)] == [1, 1, 2]


def test_the_jump_threshold_is_a_setting(db, as_role, users, bank):
    MonthlyReportFactory(bank_id=bank.id, month=date(2022, 2, 1), **{**STORED, "deposits": 5_000_000_000})
    settings.put(db, "report_jump_pct", 150)
    db.commit()
    assert post(as_role("bank_admin")).status_code == 302


def test_a_correction_is_a_new_version_and_the_old_one_stays(db, as_role, users, bank):
    client = as_role("bank_admin")
    assert post(client).status_code == 302
    same = post(client, note="再报一次")
    assert same.status_code == 422 and "完全相同" in same.get_data(as_text=True)
    no_note = post(client, industrial_loans="14.5")
    assert no_note.status_code == 422 and "请填写更正说明" in no_note.get_data(as_text=True)
    assert post(client, industrial_loans="14.5", note="补报技改贷款").status_code == 302
    first, second = reports(db)
    assert (first.version, first.industrial_loans, first.note) == (1, 1_440_000_000, "")
    assert (second.version, second.industrial_loans, second.note) == (2, 1_450_000_000, "补报技改贷款")
    html = client.get(f"/reports/{bank.id}/2022-03").get_data(as_text=True)
    assert "第1版" in html and "第2版（当前）" in html and "补报技改贷款" in html
    assert '<td class="num cell-changed">14.5</td>' in html
    form = client.get("/reports/submit?month=2022-03").get_data(as_text=True)
    assert 'value="14.5"' in form and "第3版" in form


# The .xlsx template and its upload ------------------------------------------------------------------------------

def filled(bank, month: date, cells: dict[str, object] | None = None) -> bytes:
    """The page's template with STORED filled in, then `cells` (e.g. {"C7": "abc"}) overwritten."""
    book = load_workbook(io.BytesIO(report_xlsx.template_xlsx(bank, month, STORED)))
    sheet = book[report_xlsx.TEMPLATE_SHEET]
    for ref, value in (cells or {}).items():
        sheet[ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, data: bytes, month="2022-03", note=""):
    return client.post("/reports/upload", data={"month": month, "note": note, "file": (io.BytesIO(data), "r.xlsx")},
                       content_type="multipart/form-data")


def test_the_template_names_bank_month_units_and_rows(bank):
    sheet = load_workbook(io.BytesIO(report_xlsx.template_xlsx(bank, date(2022, 3, 1))))["月度报送"]
    assert (sheet["A2"].value, sheet["B2"].value, sheet["A3"].value, sheet["B3"].value) == \
        ("银行", bank.name, "月份", "2022-03")
    assert [sheet[f"A{r}"].value for r in (5, 6, 7)] == ["各项存款余额", "各项贷款余额", "工业贷款余额"]
    assert (sheet["B5"].value, sheet["B8"].value, sheet["B9"].value) == ("亿元", "万元", "户")


def test_an_uploaded_template_is_saved(db, as_role, users, bank):
    response = upload(as_role("bank_admin"), filled(bank, date(2022, 3, 1)))
    assert response.status_code == 302
    [row] = reports(db)
    assert {name: getattr(row, name) for name in STORED} == STORED
    assert row.source == "upload"


@pytest.mark.parametrize("cells, message", [
    ({"C7": "十四点四"}, "第7行C列（工业贷款余额）：“十四点四”不是数字"),
    ({"C5": -1}, "第5行C列（各项存款余额）：不能为负数"),
    ({"C9": 2.5}, "第9行C列（当月首贷户数）：户数应为整数"),
    ({"C12": None}, "第12行C列（绿色贷款余额）：未填写"),
    ({"B3": "2022-02"}, "第3行B列（月份）：文件中为 2022-02，与报送月份 2022-03 不符"),
    ({"C7": 200}, "第7行C列（工业贷款余额）：不能大于各项贷款余额"),
])
def test_an_upload_with_a_bad_cell_is_refused_whole(db, as_role, users, bank, cells, message):
    response = upload(as_role("bank_admin"), filled(bank, date(2022, 3, 1), cells))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "整份退回" in html and message in html
    assert reports(db) == []


def test_an_upload_of_another_banks_report_is_refused(db, as_role, users, bank, other_bank):
    response = upload(as_role("bank_admin"), filled(other_bank, date(2022, 3, 1)))
    assert response.status_code == 422
    assert f"第2行B列（银行）：“{other_bank.name}”不是本行“{bank.name}”，这是其他银行的报表" in \
        response.get_data(as_text=True)
    assert reports(db) == []


def test_every_bad_cell_is_named_at_once(bank, other_bank):
    data = filled(bank, date(2022, 3, 1), {"B2": other_bank.name, "B3": "2022-04", "C6": "abc", "C10": -3})
    with pytest.raises(UploadRefused) as caught:
        report_xlsx.parse_xlsx(data, bank, date(2022, 3, 1), {other_bank.name: other_bank.id})
    assert caught.value.errors == [
        f"第2行B列（银行）：“{other_bank.name}”不是本行“{bank.name}”，这是其他银行的报表",
        "第3行B列（月份）：文件中为 2022-04，与报送月份 2022-03 不符",
        "第6行C列（各项贷款余额）：“abc”不是数字",
        "第10行C列（当月首贷金额）：不能为负数",
    ]


def test_a_file_that_is_not_xlsx_is_refused(db, as_role, users):
    response = upload(as_role("bank_admin"), b"not a spreadsheet")
    assert response.status_code == 422
    assert "不是有效的 Excel" in response.get_data(as_text=True)
    assert reports(db) == []


def test_an_xlsx_whose_sheet_is_broken_is_refused_not_a_500(db, as_role, users, bank):
    """The sheet's XML is read lazily: a file that opens but whose rows cannot be read is refused whole."""
    good = zipfile.ZipFile(io.BytesIO(filled(bank, date(2022, 3, 1))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as broken:
        for item in good.infolist():
            body = good.read(item.filename)
            broken.writestr(item, body[:len(body) // 2] if item.filename.startswith("xl/worksheets/") else body)
    response = upload(as_role("bank_admin"), out.getvalue())
    assert response.status_code == 422
    assert "不是有效的 Excel" in response.get_data(as_text=True)
    assert reports(db) == []


def test_an_upload_with_a_jump_asks_for_confirmation_on_the_form(db, as_role, users, bank):
    MonthlyReportFactory(bank_id=bank.id, month=date(2022, 2, 1), **{**STORED, "deposits": 5_000_000_000})
    db.commit()
    client = as_role("bank_admin")
    response = upload(client, filled(bank, date(2022, 3, 1)))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "超过30%" in html and 'value="upload"' in html and 'value="100"' in html
    assert len(reports(db)) == 1
    assert post(client, confirm_jump="y", source="upload").status_code == 302
    assert reports(db)[-1].source == "upload"


# Deadline, status, reminders ------------------------------------------------------------------------------------

def test_the_deadline_is_the_fifth_working_day_of_the_next_month(db):
    # April 2022: Fri 1st, Sat 2nd is a swapped working day, 3rd–5th Qingming, then 6th, 7th, 8th.
    assert report_deadlines.deadline(db, date(2022, 3, 1)) == date(2022, 4, 8)
    settings.put(db, "report_deadline_workdays", 3)
    assert report_deadlines.deadline(db, date(2022, 3, 1)) == date(2022, 4, 6)
    # September 2022's figures: 1–7 October off, then Saturday 8th and Sunday 9th are swapped working days.
    settings.put(db, "report_deadline_workdays", 5)
    assert report_deadlines.deadline(db, date(2022, 9, 1)) == date(2022, 10, 12)


def test_status_separates_on_time_late_overdue_and_pending(db, bank, other_bank):
    MonthlyReportFactory(bank_id=bank.id, month=date(2022, 3, 1), submitted_at=datetime(2022, 4, 8, 9, 0))
    MonthlyReportFactory(bank_id=other_bank.id, month=date(2022, 3, 1), submitted_at=datetime(2022, 4, 8, 16, 30))
    due, rows = report_deadlines.status(db, date(2022, 3, 1), today=date(2022, 4, 20))
    states = {r.bank.id: r.state for r in rows}
    assert due == date(2022, 4, 8)
    assert states[bank.id] == "on_time"  # 17:00 Beijing time on the 8th
    assert states[other_bank.id] == "late"  # 00:30 Beijing time on the 9th
    assert sum(1 for s in states.values() if s == "overdue") == 20
    _, early = report_deadlines.status(db, date(2022, 3, 1), today=date(2022, 4, 8))
    assert sum(1 for r in early if r.state == "pending") == 20


def test_the_district_reminds_only_banks_that_have_not_reported(db, as_role, users, bank, other_bank):
    MonthlyReportFactory(bank_id=other_bank.id, month=date(2022, 3, 1))
    db.commit()
    client = as_role("district")
    page = client.get("/reports/status?month=2022-03").get_data(as_text=True)
    assert "21 家银行尚未报送" in page and "2022-04-08" in page
    response = client.post("/reports/remind", data={"month": "2022-03"})
    assert response.status_code == 302
    rows = db.scalars(select(Notification).where(Notification.kind == "report")).all()
    assert [(n.user_id, n.link) for n in rows] == [(users["bank_admin"].id, "/reports/submit?month=2022-03")]
    assert "2022-04-08" in rows[0].body
    page = client.get("/reports/status?month=2022-03&state=overdue").get_data(as_text=True)
    assert bank.name in page and other_bank.name not in page.split("<tbody>")[1]


def test_no_reminder_for_a_month_that_has_not_ended(db, as_role, users):
    """The banks cannot report the current month yet, so they are not told to."""
    client = as_role("district")
    key = periods.month_key(periods.local_date(utcnow()))
    assert "提醒未报送银行" not in client.get(f"/reports/status?month={key}").get_data(as_text=True)
    response = client.post("/reports/remind", data={"month": key}, follow_redirects=True)
    assert response.status_code == 200 and "尚未结束" in response.get_data(as_text=True)
    assert db.scalars(select(Notification).where(Notification.kind == "report")).all() == []


# Who sees what ---------------------------------------------------------------------------------------------------

REPORT_PAGES = ["/reports/", "/reports/submit?month=2022-03", "/reports/status", "/reports/leads?period=2022-03",
                "/targets/", "/bulletins/monthly", "/bulletins/quarterly", "/bulletins/annual", "/bulletins/settings",
                "/listing/", "/reports/template.xlsx?month=2022-03"]


@pytest.mark.parametrize("role", ["bank_manager", "enterprise", "township"])
def test_other_roles_have_no_access_to_bank_reports(db, as_role, users, bank, role):
    MonthlyReportFactory(bank_id=bank.id, month=date(2022, 3, 1))
    db.commit()
    client = as_role(role)
    for url in REPORT_PAGES + [f"/reports/{bank.id}/2022-03"]:
        assert client.get(url).status_code == 403, url
    assert post(client).status_code == 403
    assert reports(db)[0].version == 1 and len(reports(db)) == 1


def test_a_bank_admin_sees_only_its_own_banks_reports(db, as_role, users, bank, other_bank):
    MonthlyReportFactory(bank_id=bank.id, month=date(2022, 3, 1), industrial_loans=1_234_000_000)
    MonthlyReportFactory(bank_id=other_bank.id, month=date(2022, 3, 1), industrial_loans=987_000_000)
    db.commit()
    client = as_role("bank_admin")
    own = client.get(f"/reports/{bank.id}/2022-03")
    assert own.status_code == 200 and "12.34" in own.get_data(as_text=True)
    assert client.get(f"/reports/{other_bank.id}/2022-03").status_code == 403
    assert client.get(f"/reports/leads?period=2022-03&bank={other_bank.id}").status_code == 403
    for url in ("/reports/status", "/bulletins/monthly", "/targets/", "/listing/"):
        assert client.get(url).status_code == 403, url
    assert client.get("/reports/99999/2022-03").status_code == 404


def test_the_district_sees_every_banks_reports_but_does_not_file_them(db, as_role, users, bank, other_bank):
    MonthlyReportFactory(bank_id=other_bank.id, month=date(2022, 3, 1), industrial_loans=987_000_000)
    db.commit()
    client = as_role("district")
    page = client.get(f"/reports/{other_bank.id}/2022-03")
    assert page.status_code == 200 and "9.87" in page.get_data(as_text=True)
    assert client.get(f"/reports/{bank.id}/2022-13").status_code == 404
    assert post(client).status_code == 403
    assert db.scalar(select(func.count()).select_from(MonthlyReport)) == 1

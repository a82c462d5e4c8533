"""Issue 19 for the bulletins, the banks' monthly reports and the listing pipeline: the pages read in English, a
published bulletin keeps its figures but shows its headings in the reader's language, the bulletin and report
workbooks come in the requester's language (a job keeps it), and form errors come in English."""
from __future__ import annotations

import copy
import io
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import select

from matchmaker.domain.banks import bulletin_xlsx, bulletins, periods, report_xlsx
from matchmaker.models import Bulletin, Job

from .conftest import login
from .test_i18n import cjk_left
from .test_reports_bulletins import MARCH, Q1, TODAY, _row, known  # noqa: F401 - the known data set (a fixture)
from .test_reports_monthly import STORED, filled


def in_english(app, users, role: str):
    """A client reading English, signed in as `role` (the cookie first: the welcome is flashed in English)."""
    client = app.test_client()
    client.set_cookie("locale", "en")
    return login(client, users[role].username)


def test_period_labels_and_titles_in_english():
    assert MARCH.label_in("en") == "March 2022" and MARCH.label_in(None) == "2022年3月"
    assert Q1.label_in("en") == "Q1 2022" and Q1.label_in("zh_Hans_CN") == "2022年第一季度"
    assert periods.parse("annual", "2022").label_in("en") == "2022"
    assert bulletins.title(MARCH) == "2022年3月全区银行业金融机构支持“工业强区、产业兴区”工作通报"
    assert bulletins.title(MARCH, "en").startswith("Monthly bulletin March 2022")


def test_the_settings_and_listing_pages_read_in_english(app, users):
    client = in_english(app, users, "district")
    for url, phrase in (("/bulletins/settings", "Weights of the quarterly evaluation"),
                        ("/listing/", "Listing pipeline"), ("/listing/new", "Add to the listing pipeline"),
                        ("/reports/status?month=2022-03", "Reporting status for March 2022")):
        html = client.get(url).get_data(as_text=True)
        assert phrase in html, url
        assert not cjk_left(html), (url, cjk_left(html))


def test_a_form_error_in_english(app, users):
    client = in_english(app, users, "district")
    weights = {"which": "weights", "target": 50, "growth": 0, "whitelist": 10, "speed": 10, "satisfaction": 10,
               "first_loan": 10, "policy": 0}
    html = client.post("/bulletins/settings", data=weights).get_data(as_text=True)
    assert "The weights must add up to 100; they now add up to 90" in html
    html = client.post("/listing/new", data={"name": "", "tier": "first", "stage": "cultivating",
                                             "industry": "other", "market": ""}).get_data(as_text=True)
    assert "Enter the firm name" in html and not cjk_left(html)
    admin = in_english(app, users, "bank_admin")
    html = admin.post("/reports/submit", data={"month": "2022-03", "deposits": "abc"}).get_data(as_text=True)
    assert "Total loans is required" in html and "Total deposits (CNY 100m)" in html


def test_a_published_bulletin_shows_its_frozen_figures_under_english_headings(app, users, db, as_role, known):  # noqa: F811
    district = in_english(app, users, "district")
    assert district.post("/bulletins/quarterly/2022Q1/issue").status_code == 302
    frozen = copy.deepcopy(db.scalar(select(Bulletin).where(Bulletin.kind == "quarterly")).data)
    html = district.get("/bulletins/quarterly?quarter=2022Q1").get_data(as_text=True)
    assert "Quarterly evaluation Q1 2022" in html and "Published · edition 1" in html
    assert "industrial loans 99.45%, LDR 105.00% (schedule 102.00%)" in html  # the part's basis, from its figures
    assert "No figures for the same month last year" in html and "Target completion" in html
    assert not cjk_left(html), cjk_left(html)
    assert _row(frozen, known["p"])["parts"]["target"]["raw"] == "工业贷款 99.45%，存贷比 105.00%（序时 102.00%）"
    assert "工业贷款 99.45%，存贷比 105.00%（序时 102.00%）" in as_role("district").get(
        "/bulletins/quarterly?quarter=2022Q1").get_data(as_text=True)


def test_the_monthly_bulletin_and_the_reports_read_in_english(app, users, known):  # noqa: F811
    district = in_english(app, users, "district")
    html = district.get("/bulletins/monthly?month=2022-03").get_data(as_text=True)
    assert "Banks behind schedule" in html and "Monthly bulletin March 2022" in html
    assert not cjk_left(html), cjk_left(html)
    p = known["p"]
    for url in (f"/reports/{p.id}/2022-03", f"/reports/{p.id}/period/2022Q1",
                f"/reports/leads?period=2022-03&metric=overdue&bank={p.id}"):
        page = district.get(url).get_data(as_text=True)
        assert not cjk_left(page), (url, cjk_left(page))
    admin = in_english(app, users, "bank_admin")
    for url in ("/reports/", "/reports/submit?month=2022-03"):
        page = admin.get(url).get_data(as_text=True)
        assert not cjk_left(page), (url, cjk_left(page))


def test_a_bulletin_workbook_in_english(app, users, as_role, known):  # noqa: F811
    district = in_english(app, users, "district")
    book = load_workbook(io.BytesIO(district.get("/bulletins/monthly/2022-03.xlsx").data))
    assert book.sheetnames == ["Summary", "Target progress", "Platform figures"]
    assert book["Summary"]["A1"].value.startswith("Monthly bulletin March 2022")
    assert "Not published (live figures)" in book["Summary"]["A2"].value
    headers = [c.value for c in book["Target progress"][4]]
    assert headers[:3] == ["Rank", "No.", "Bank"] and "Why behind schedule" in headers
    row = next(r for r in book["Target progress"].iter_rows(min_row=5, values_only=True) if r[2] == known["p"].name)
    assert row[-1].startswith("Industrial loans ") and row[-1].endswith("schedule")
    quarterly = load_workbook(io.BytesIO(district.get("/bulletins/quarterly/2022Q1.xlsx").data))
    assert quarterly.sheetnames[0] == "Scores"
    # the same bulletin in Chinese, for a Chinese reader
    chinese = load_workbook(io.BytesIO(as_role("district").get("/bulletins/monthly/2022-03.xlsx").data))
    assert chinese.sheetnames == ["概况", "目标进度", "平台数据"]


def test_the_bulletin_job_writes_the_requesters_language(app, users, db, known, worker):  # noqa: F811
    district = in_english(app, users, "district")
    assert district.post("/jobs/start/bulletin/quarterly/2022Q1").status_code == 302
    worker.wait()
    job = db.scalar(select(Job).where(Job.kind == "bulletin_year"))
    assert job.state == "done" and job.params["locale"] == "en", job.error
    assert job.result["label"].startswith("Download Quarterly evaluation Q1 2022")
    book = load_workbook(io.BytesIO(district.get(job.result["url"]).data))
    assert book.sheetnames[0] == "Scores"


def test_the_report_template_in_english_reads_back(bank):
    data = report_xlsx.template_xlsx(bank, date(2022, 3, 1), locale="en")
    book = load_workbook(io.BytesIO(data))
    sheet = book["Monthly reports"]
    assert [sheet[f"A{r}"].value for r in (2, 3, 5)] == ["Bank", "Month", "Total deposits"]
    assert sheet["B4"].value == "Unit" and sheet["B5"].value == "CNY 100m"
    data = report_xlsx.template_xlsx(bank, date(2022, 3, 1), STORED, locale="en")  # filled in, read back
    assert report_xlsx.parse_xlsx(data, bank, date(2022, 3, 1))["deposits"] == 100


def test_an_upload_error_is_written_in_english(app, bank):
    from matchmaker.domain.banks.monthly_reports import UploadRefused
    from matchmaker.domain.banks.wording import render
    from matchmaker.domain.core.translate import translator

    data = filled(bank, date(2022, 3, 1), {"C6": "abc"})
    try:
        report_xlsx.parse_xlsx(data, bank, date(2022, 3, 1))
    except UploadRefused as exc:
        errors = exc.errors
    assert errors == ["第6行C列（各项贷款余额）：“abc”不是数字"]
    assert render(errors[0], translator("en")) == "Row 6, column C (Total loans): “abc” is not a number"
    assert bulletin_xlsx.status_text(2, "en") == "Published (edition 2)"

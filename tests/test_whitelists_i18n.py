"""White lists and background jobs in English (issue 19): the pages, the import's errors (kept as msgids, so an
import checked in Chinese reads in English later, on its page and in its downloaded list), the exports' headers
in the language of who downloads them, the job JSON a progress bar polls, and a form error."""
from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest

from matchmaker.domain.firms.uscc import make as make_uscc
from matchmaker.models import Job, WhiteListBatch, WhiteListImport

from .conftest import login
from .test_i18n import CJK, cjk_left, english_left
from .wl_files import csv_bytes, xlsx

# the job queue's consumer threads of one module run on one test worker
pytestmark = pytest.mark.xdist_group("jobs")

GOOD = make_uscc("91370402MA3C00001")
BAD = GOOD[:17] + ("0" if GOOD[-1] != "0" else "1")


def _client(app, users, locale: str, role: str = "district"):
    client = app.test_client()
    client.set_cookie("locale", locale)
    return login(client, users[role].username)


def _upload(client, data, filename="名单.xlsx", kind="above_scale", batch="2023"):
    return client.post("/whitelists/import", data={"kind": kind, "batch": batch, "sheet": "",
                                                   "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _import_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/whitelists/imports/(\d+)", response.headers["Location"]).group(1))


def _committed(client, worker, rows, kind="above_scale", batch="2023") -> int:
    import_id = _import_id(_upload(client, xlsx(rows), kind=kind, batch=batch))
    worker.wait()
    assert client.post(f"/whitelists/imports/{import_id}/commit").status_code == 302
    worker.wait()
    return import_id


def test_the_white_list_pages_read_in_english(app, db, users, firm, worker):
    zh = _client(app, users, "zh_Hans_CN")
    _committed(zh, worker, [["企业名称", "统一社会信用代码", "所属镇街"], [firm.name, firm.uscc, "中心街"],
                            ["枣庄新来的化工有限公司", GOOD, ""]])
    en = _client(app, users, "en")
    expected = {
        "/whitelists/": "The six white lists",
        "/whitelists/above_scale": "Import a new batch",
        "/whitelists/key_project": "No batch of this list has been imported yet",
        "/whitelists/import": "Check and preview (nothing is written)",
        "/jobs/": "Background jobs started by every user",
    }
    for url, phrase in expected.items():
        html = en.get(url).get_data(as_text=True)
        assert phrase in html, url
        assert not cjk_left(html), (url, cjk_left(html))
    job = db.query(Job).order_by(Job.id).first()
    html = en.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "Background job #" in html and "Check a white-list file" in html and "View the preview" in html
    assert not cjk_left(html), cjk_left(html)
    commit_job = db.query(Job).filter(Job.kind == "wl_commit").one()
    html = en.get(f"/jobs/{commit_job.id}").get_data(as_text=True)
    assert "Above-scale" in html or "above-scale" in html.lower()  # the result's label: the list, translated
    assert not cjk_left(html), cjk_left(html)
    for url in expected:  # and the Chinese pages keep no English interface word
        html = zh.get(url).get_data(as_text=True)
        assert not english_left(html), (url, english_left(html))


def test_an_import_checked_in_chinese_reads_in_english_later(app, db, users, worker):
    zh = _client(app, users, "zh_Hans_CN")
    rows = [["企业名称", "统一社会信用代码", "所属镇街"], ["枣庄错误一号有限公司", BAD, "北京路街道"], ["", "", ""],
            ["枣庄错误二号有限公司", "", ""], ["枣庄错误二号有限公司", "", ""]]
    import_id = _import_id(_upload(zh, csv_bytes(rows), "bad.csv"))
    worker.wait()
    assert "第2行 统一社会信用代码：" in zh.get(f"/whitelists/imports/{import_id}").get_data(as_text=True)
    stored = db.get(WhiteListImport, import_id).summary["errors"][0]
    assert stored["msgid"] and "message" in stored  # the msgid and its values, and the Chinese text for the CLI

    en = _client(app, users, "en")
    response = en.get(f"/whitelists/imports/{import_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "has 3 errors; nothing was imported" in html
    assert "Row 2, Unified social credit code: " in html and "wrong check character" in html
    assert "is not a township of Shizhong District" in html
    assert "Row 5, Firm name: same firm as row 4 (same name)" in html
    assert not cjk_left(html), cjk_left(html)

    download = en.get(f"/whitelists/imports/{import_id}/errors.xlsx")
    assert download.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(download.data))
    sheet = book.active
    cells = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "Errors" and cells[0] == ("Row", "Column", "Value", "Reason")
    assert cells[1][:3] == (2, "Unified social credit code", BAD) and "wrong check character" in cells[1][3]
    assert not any(CJK.search(str(v)) for row in cells for v in row if v not in ("北京路街道", "枣庄错误二号有限公司")
                   and not str(v).startswith("“北京路街道”"))
    chinese = list(openpyxl.load_workbook(io.BytesIO(zh.get(f"/whitelists/imports/{import_id}/errors.xlsx").data))
                   .active.iter_rows(values_only=True))
    assert chinese[0] == ("行号", "列", "值", "原因") and "校验位" in chinese[1][3]


def test_an_export_has_its_headers_in_the_readers_language(app, db, users, firm, worker):
    _committed(_client(app, users, "zh_Hans_CN"), worker, [["企业名称", "统一社会信用代码"], [firm.name, firm.uscc]])
    en = _client(app, users, "en", "bank_manager")
    response = en.get("/whitelists/above_scale/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    header = next(sheet.iter_rows(values_only=True))
    assert header[:3] == ("No.", "Firm name", "Unified social credit code") and "Batch" in header
    assert not any(CJK.search(h) for h in header) and not CJK.search(sheet.title)
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    text = en.get("/whitelists/above_scale/export.csv").data.decode("utf-8-sig")
    first = next(csv.reader(io.StringIO(text)))
    assert first[:2] == ["No.", "Firm name"]
    zh = _client(app, users, "zh_Hans_CN", "bank_manager")
    assert next(csv.reader(io.StringIO(zh.get("/whitelists/above_scale/export.csv").data.decode("utf-8-sig"))))[:2] \
        == ["序号", "企业名称"]


def test_a_progress_bar_polls_its_texts_in_the_readers_language(app, db, users):
    en = _client(app, users, "en")
    import_id = _import_id(_upload(en, xlsx([["企业名称"], ["枣庄甲有限公司"]])))  # no worker: it waits queued
    job_id = db.get(WhiteListImport, import_id).job_id
    data = en.get(f"/jobs/{job_id}.json").get_json()
    assert (data["state_label"], data["phase"], data["kind_label"]) == ("Queued", "Queued", "Check a white-list file")
    page = en.get(f"/whitelists/imports/{import_id}").get_data(as_text=True)
    assert "Checking the file in the background" in page and not cjk_left(page)
    zh = _client(app, users, "zh_Hans_CN")
    assert zh.get(f"/jobs/{job_id}.json").get_json()["state_label"] == "排队中"


def test_form_errors_of_the_import_in_english(app, users):
    en = _client(app, users, "en")
    html = en.post("/whitelists/import", data={"kind": "", "batch": ""}).get_data(as_text=True)
    assert "Choose the list" in html and "Enter the batch, e.g. 2023" in html and "Choose the file to import" in html
    html = _upload(en, xlsx([["企业名称"], ["枣庄甲有限公司"]]), batch="next year").get_data(as_text=True)
    assert "Start the batch with a year" in html
    html = en.post("/whitelists/import", data={"kind": "nope"}).get_data(as_text=True)
    assert "Not a valid choice" in html


def test_mapping_review_and_an_older_batch_read_in_english(app, db, users, township, worker):
    from . import factories

    for name in ("枣庄鑫源新材料有限公司", "枣庄恒达纺织有限公司"):
        factories.FirmFactory(name=name, township_id=township.id, uscc=None)
    db.commit()
    en = _client(app, users, "en")

    response = _upload(en, xlsx([["主体", "代码", "联系人"], ["随便写的名字有限公司", "", "张三"]]), kind="doubling_firm")
    worker.wait()
    mapping_url = en.get(response.headers["Location"]).headers["Location"]
    html = en.get(mapping_url).get_data(as_text=True)
    assert "Choose the field of each header" in html and "Keep as additional information" in html
    assert not cjk_left(html), cjk_left(html)
    refused = en.post(mapping_url, data={"map-0": "", "map-1": "uscc", "map-2": "extra"})
    assert refused.status_code == 422 and "Choose a field" in refused.get_data(as_text=True)

    import_id = _import_id(_upload(en, xlsx([["企业名称"], ["枣庄鑫源新材料厂"], ["枣庄恒达纺织厂"]]), kind="high_tech"))
    worker.wait()
    html = en.get(f"/whitelists/imports/{import_id}/review").get_data(as_text=True)
    assert "Confirm names" in html and "None of these: create the firm" in html
    assert not cjk_left(html), cjk_left(html)
    html = en.get(f"/whitelists/imports/{import_id}").get_data(as_text=True)
    assert "Import preview" in html and "To confirm" in html and not cjk_left(html), cjk_left(html)
    refused = en.post(f"/whitelists/imports/{import_id}/review", data={"choice-2": "x"})
    assert "Row 2: the chosen firm does not exist" in refused.get_data(as_text=True)

    _committed(en, worker, [["企业名称"], ["枣庄鑫源新材料有限公司"]], batch="2023")
    older = _import_id(_upload(en, xlsx([["企业名称"], ["枣庄鑫源新材料有限公司"]]), batch="2021"))
    worker.wait()
    html = en.get(f"/whitelists/imports/{older}").get_data(as_text=True)
    assert "Batch 2021 is older than the current batch 2023" in html and "no earlier batch" in html
    assert not cjk_left(html), cjk_left(html)
    html = en.post(f"/whitelists/batches/{db.query(WhiteListBatch).one().id}/undo", follow_redirects=True) \
        .get_data(as_text=True)
    assert "Undid Above-scale firms <span data-user>2023</span>" in html and not cjk_left(html), cjk_left(html)


def test_a_project_lists_preview_shows_its_amounts_in_each_language(app, users, worker):
    """The staged amount is text ("1200.50" 万元): the preview reads it as a number, in the reader's unit."""
    rows = [["项目单位", "项目名称", "总投资（万元）"], ["枣庄鑫源化工有限公司", "一期", "1200.5"]]
    for locale, shown in (("zh_Hans_CN", "1,200.5 万元"), ("en", "CNY 12.01m")):
        client = _client(app, users, locale)
        import_id = _import_id(_upload(client, xlsx(rows), kind="key_project", batch="2023"))
        worker.wait()
        response = client.get(f"/whitelists/imports/{import_id}")
        assert response.status_code == 200 and shown in response.get_data(as_text=True)
        client.post(f"/whitelists/imports/{import_id}/discard")

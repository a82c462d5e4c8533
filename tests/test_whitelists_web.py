"""White-list pages: import preview / commit / undo, header mapping, review queue, export, roles, search."""
import csv
import io
import random
import re
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from matchmaker.domain.firms.entity_resolution import name_key
from matchmaker.domain.firms.uscc import make as make_uscc
from matchmaker.domain.requests import routing
from matchmaker.models import Base, Firm
from matchmaker.models.whitelists import FirmAlias, WhiteListBatch, WhiteListEntry, WhiteListImport

from . import factories
from .wl_files import csv_bytes, xlsx

# the job queue's consumer threads of one module run on one test worker
pytestmark = pytest.mark.xdist_group("jobs")

NEW_CODE = make_uscc("91370402MA3C77777")


def _upload(client, data, filename="名单.xlsx", kind="above_scale", batch="2023", sheet=""):
    return client.post("/whitelists/import", data={"kind": kind, "batch": batch, "sheet": sheet,
                                                   "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _import_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/whitelists/imports/(\d+)", response.headers["Location"]).group(1))


def _counts(db) -> dict:
    db.expire_all()
    return {t.name: db.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables
            if t.name != "job"}  # the jobs that checked and committed are recorded, nothing else is written


def waiting(client, worker):
    """A client whose every POST waits for the jobs it started (checks and commits run in the job queue)."""
    post = client.post

    def post_and_wait(*args, **kwargs):
        response = post(*args, **kwargs)
        worker.wait()
        return response

    client.post = post_and_wait
    return client


@pytest.fixture
def district(as_role, worker):
    return waiting(as_role("district"), worker)


@pytest.fixture
def named_firms(db, township):
    made = {name: factories.FirmFactory(name=name, township_id=township.id, uscc=None)
            for name in ("枣庄鑫源新材料有限公司", "山东华泰机械有限公司", "枣庄恒达纺织有限公司")}
    db.commit()
    return made


def test_preview_then_commit_then_undo(db, district, firm, named_firms, other_township):
    rows = [["序号", "企业名称", "统一社会信用代码", "所属镇街"],
            [1, "写法不同也按代码匹配有限公司", firm.uscc, ""],
            [2, "华泰机械有限责任公司", "", "孟庄镇"],
            [3, "枣庄全新科技有限公司", NEW_CODE, other_township.name]]
    before = _counts(db)
    import_id = _import_id(_upload(district, xlsx(rows, title="2023年规上企业")))
    page = district.get(f"/whitelists/imports/{import_id}").get_data(as_text=True)
    assert "按信用代码匹配" in page and "按名称匹配" in page and "新建企业" in page
    after_preview = _counts(db)
    staged = ("whitelist_import", "whitelist_import_row")  # the preview's rows are staged, nothing else written
    assert [after_preview.pop(t) for t in staged] == [1, 3] and after_preview == {k: v for k, v in before.items()
                                                                                   if k not in staged}
    response = district.post(f"/whitelists/imports/{import_id}/commit")  # a job: the client waits for it
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/whitelists/imports/{import_id}")
    assert "已导入" in district.get(response.headers["Location"]).get_data(as_text=True)
    assert _counts(db)["whitelist_import_row"] == 0  # committed: the staged rows are gone
    db.expire_all()
    entries = db.scalars(select(WhiteListEntry).order_by(WhiteListEntry.row_no)).all()
    assert [e.firm_id for e in entries[:2]] == [firm.id, named_firms["山东华泰机械有限公司"].id]
    new_firm = db.scalar(select(Firm).where(Firm.uscc == NEW_CODE))
    assert new_firm.name == "枣庄全新科技有限公司" and new_firm.township_id == other_township.id
    assert entries[2].firm_id == new_firm.id
    listing = district.get("/whitelists/above_scale").get_data(as_text=True)
    assert "枣庄全新科技有限公司" in listing and "名单写法：<span data-user>华泰机械有限责任公司</span>" in listing
    assert routing.firm_whitelist_kinds(db, [firm.id]) == {firm.id: frozenset({"above_scale"})}

    batch = db.scalar(select(WhiteListBatch))
    assert district.post(f"/whitelists/batches/{batch.id}/undo").status_code == 302
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(WhiteListEntry)) == 0
    assert db.scalar(select(Firm).where(Firm.uscc == NEW_CODE)) is None  # created by the batch, used by nothing
    assert db.get(WhiteListBatch, batch.id).state == "undone"
    assert routing.firm_whitelist_kinds(db, [firm.id]) == {}


def test_second_batch_shows_added_gone_and_changed(db, district, named_firms, township, other_township):
    first = [["企业名称", "所属镇街"], ["枣庄鑫源新材料有限公司", township.name], ["山东华泰机械有限公司", township.name],
             ["枣庄恒达纺织有限公司", township.name]]
    district.post(f"/whitelists/imports/{_import_id(_upload(district, xlsx(first), batch='2022'))}/commit")
    second = [["企业名称", "所属镇街"], ["枣庄鑫源新材料有限公司", township.name],
              ["山东华泰机械有限公司", other_township.name], ["枣庄新来的化工有限公司", township.name]]
    import_id = _import_id(_upload(district, xlsx(second), batch="2023"))
    summary = db.get(WhiteListImport, import_id).summary
    assert (summary["add"], summary["changed"], summary["same"], summary["gone"]) == (1, 1, 1, 1)
    assert summary["previous_label"] == "2022" and summary["gone_rows"][0]["name"] == "枣庄恒达纺织有限公司"
    page = district.get(f"/whitelists/imports/{import_id}?tab=changed").get_data(as_text=True)
    assert f"所属镇街：<span data-user>{township.name}</span> → <span data-user>{other_township.name}</span>" in page
    assert "枣庄新来的化工有限公司" not in page  # the tab shows changed rows only
    assert "将移出名单" in district.get(f"/whitelists/imports/{import_id}").get_data(as_text=True)


@pytest.mark.parametrize("data, filename, message", [
    (xlsx([["企业名称", "统一社会信用代码"], ["枣庄甲有限公司", make_uscc("91370402MA3C00001")[:17] + "0"],
           ["枣庄乙有限公司", "913704021234"]]), "bad.xlsx", "第2行 统一社会信用代码"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", "旧版 Excel"),
    (b"", "empty.csv", "文件为空"),
    (csv_bytes([["企业名称", "总投资（万元）", "项目名称"], ["枣庄甲有限公司", "五百", "一期"]], "gbk"), "a.csv", "不是数字"),
])
def test_a_file_with_errors_writes_nothing(db, district, data, filename, message):
    kind = "key_project" if "项目名称".encode("gbk") in data else "above_scale"
    before = _counts(db)
    response = _upload(district, data, filename, kind=kind)
    assert response.status_code == 302  # stored; the check job finds the errors
    page = district.get(response.headers["Location"])
    assert page.status_code == 422 and message in page.get_data(as_text=True)
    assert "下载错误清单" in page.get_data(as_text=True)
    after = _counts(db)
    assert after.pop("whitelist_import") == 1 and after == {k: v for k, v in before.items() if k != "whitelist_import"}


def test_unknown_headers_get_a_mapping_screen_remembered_for_the_next_file(db, district, firm):
    data = xlsx([["主体", "代码", "联系人"], ["随便写的名字有限公司", firm.uscc, "张三"]], title="倍增企业")
    response = _upload(district, data, kind="doubling_firm")
    status_url = response.headers["Location"]
    mapping_url = district.get(status_url).headers["Location"]  # the check job found unknown headers
    assert mapping_url.endswith("/mapping")
    page = district.get(mapping_url).get_data(as_text=True)
    assert "主体" in page and "随便写的名字有限公司" in page  # the header with sample values
    assert district.post(mapping_url, data={"map-0": "", "map-1": "uscc", "map-2": "extra"}).status_code == 422
    import_id = _import_id(district.post(mapping_url, data={"map-0": "name", "map-1": "uscc", "map-2": "extra"}))
    db.expire_all()
    rows = db.get(WhiteListImport, import_id).rows
    assert rows[0]["method"] == "uscc" and rows[0]["extra"] == {"联系人": "张三"}
    district.post(f"/whitelists/imports/{import_id}/discard")
    data2 = xlsx([["主体2", "代码"], ["又一家有限公司", ""]])
    mapping2 = district.get(_upload(district, data2, kind="doubling_firm").headers["Location"]).headers["Location"]
    district.post(f"/whitelists/imports/{import_id}/commit")  # discarded: nothing happens
    _commit(district, [["企业名称"], ["抢先一步有限公司"]], kind="doubling_firm", batch="2023")
    late = district.post(mapping2, data={"map-0": "name"})  # meanwhile batch 2023 was imported
    late_page = district.get(late.headers["Location"])
    assert late_page.status_code == 422 and "已有“2023”批次" in late_page.get_data(as_text=True)
    again = _upload(district, xlsx([["主体", "代码", "联系人"], ["另一家有限公司", "", "李四"]]), kind="doubling_firm",
                    batch="2024")
    assert "/whitelists/imports/" in again.headers["Location"]  # no mapping screen the second time


def test_review_queue_pick_a_firm_and_remember_the_spelling(db, district, named_firms):
    data = xlsx([["企业名称"], ["枣庄鑫源新材料厂"], ["枣庄恒达纺织厂"]])
    import_id = _import_id(_upload(district, data, kind="high_tech"))
    db.expire_all()  # the check job wrote the preview on another connection
    imp = db.get(WhiteListImport, import_id)
    assert imp.pending_reviews == 2
    assert district.post(f"/whitelists/imports/{import_id}/commit").status_code == 302
    assert db.scalar(select(func.count()).select_from(WhiteListBatch)) == 0  # blocked until reviewed
    page = district.get(f"/whitelists/imports/{import_id}/review").get_data(as_text=True)
    assert "枣庄鑫源新材料厂" in page and "枣庄鑫源新材料有限公司" in page and "新建企业" in page
    target = named_firms["枣庄鑫源新材料有限公司"]
    for bogus in ("9" * 25, "-1", "x"):
        response = district.post(f"/whitelists/imports/{import_id}/review", data={"choice-2": bogus})
        assert response.status_code == 200 and "所选企业不存在" in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(FirmAlias)) == 0
    response = district.post(f"/whitelists/imports/{import_id}/review", data={"choice-2": str(target.id),
                                                                               "choice-3": "new"})
    assert response.status_code == 302
    db.expire_all()
    alias = db.scalar(select(FirmAlias).where(FirmAlias.name_key == name_key("枣庄鑫源新材料厂")))
    assert alias.firm_id == target.id and alias.source == "review"
    assert district.post(f"/whitelists/imports/{import_id}/commit").status_code == 302
    db.expire_all()
    entries = {e.written_name: e for e in db.scalars(select(WhiteListEntry))}
    assert entries["枣庄鑫源新材料厂"].firm_id == target.id
    assert entries["枣庄鑫源新材料厂"].match_method == "review"
    assert entries["枣庄恒达纺织厂"].firm.name == "枣庄恒达纺织厂"  # a new firm
    assert entries["枣庄恒达纺织厂"].firm_id != named_firms["枣庄恒达纺织有限公司"].id
    next_id = _import_id(_upload(district, xlsx([["企业名称"], ["枣庄鑫源新材料厂"]]), kind="above_scale"))
    row = db.get(WhiteListImport, next_id).rows[0]
    assert (row["decision"], row["method"], row["firm_id"]) == ("auto", "alias", target.id)


def _commit(client, rows, kind="key_project", batch="2023", as_csv=False):
    data, filename = (csv_bytes(rows, "gbk"), "名单.csv") if as_csv else (xlsx(rows), "名单.xlsx")
    response = client.post(f"/whitelists/imports/{_import_id(_upload(client, data, filename, kind, batch))}/commit")
    assert response.status_code == 302


def test_export_neutralises_formulas_and_keeps_filters(db, district, township, other_township):
    rows = [["项目单位", "项目名称", "总投资（万元）", "所属镇街", "备注"],
            ["=HYPERLINK(\"http://x\")有限公司", "+1+1项目", "1200", township.name, "@SUM(A1)"],
            ["枣庄正常化工有限公司", "-2项目", "300.5", other_township.name, "正常"]]
    _commit(district, rows, as_csv=True)  # openpyxl would store "=..." as a formula; a CSV keeps it as text
    book = openpyxl.load_workbook(io.BytesIO(district.get(
        f"/whitelists/key_project/export.xlsx?township={township.id}").data))
    sheet = list(book.active.iter_rows(values_only=True))
    assert sheet[0][:5] == ("序号", "企业名称", "统一社会信用代码", "项目名称", "总投资（万元）")
    assert len(sheet) == 2  # the township filter applies to the export
    assert sheet[1][1] == "'=HYPERLINK(\"http://x\")有限公司" and sheet[1][3] == "'+1+1项目"
    assert sheet[1][4] == 1200 and sheet[1][-1] == "'@SUM(A1)"
    text = district.get("/whitelists/key_project/export.csv").data.decode("utf-8-sig")
    exported = list(csv.reader(io.StringIO(text)))
    assert exported[1][1].startswith("'=") and exported[2][3] == "'-2项目" and exported[2][4] == "300.5"


def test_roles(db, as_role, worker, users, township, other_township):
    district = waiting(as_role("district"), worker)
    _commit(district, [["企业名称", "所属镇街"], ["枣庄本镇化工有限公司", township.name],
                       ["枣庄外镇化工有限公司", other_township.name]], kind="above_scale")
    batch = db.scalar(select(WhiteListBatch))
    imp_id = _import_id(_upload(district, xlsx([["企业名称"], ["枣庄待定化工有限公司"]]), kind="high_tech"))
    assert as_role("enterprise").get("/whitelists/").status_code == 403
    assert as_role("enterprise").get("/whitelists/above_scale").status_code == 403
    for role in ("township", "bank_manager", "bank_admin", "enterprise"):
        client = as_role(role)
        assert client.get("/whitelists/import").status_code == 403, role
        assert _upload(client, xlsx([["企业名称"], ["某某有限公司"]])).status_code == 403, role
        assert client.get(f"/whitelists/imports/{imp_id}").status_code == 403, role
        assert client.post(f"/whitelists/imports/{imp_id}/commit").status_code == 403, role
        assert client.post(f"/whitelists/imports/{imp_id}/review", data={"choice-2": "new"}).status_code == 403
        assert client.post(f"/whitelists/batches/{batch.id}/undo").status_code == 403, role
    township_page = as_role("township").get("/whitelists/above_scale").get_data(as_text=True)
    assert "枣庄本镇化工有限公司" in township_page and "枣庄外镇化工有限公司" not in township_page
    bank_page = as_role("bank_manager").get("/whitelists/above_scale").get_data(as_text=True)
    assert "枣庄本镇化工有限公司" in bank_page and "枣庄外镇化工有限公司" in bank_page
    assert district.get("/whitelists/nope").status_code == 404
    assert district.get("/whitelists/imports/99999").status_code == 404
    assert district.post("/whitelists/batches/99999/undo").status_code == 404
    assert db.get(WhiteListBatch, batch.id).state == "active"


def test_one_search_box_name_pinyin_initials_and_code(db, as_role, worker, township):
    district = waiting(as_role("district"), worker)
    code = make_uscc("91370402MA3C55555")
    _commit(district, [["企业名称", "统一社会信用代码", "所属镇街"], ["枣庄鑫源新材料有限公司", code, township.name],
                       ["山东华泰机械有限公司", "", township.name]], kind="above_scale")
    for term in ("鑫源", "xinyuan", "Xin Yuan", "ｘｉｎｙｕａｎ", "zzxy", code[-8:], code.lower()):
        page = district.get(f"/whitelists/above_scale?q={term}").get_data(as_text=True)
        assert "枣庄鑫源新材料有限公司" in page and "山东华泰机械有限公司" not in page, term
    assert "枣庄鑫源新材料有限公司" not in district.get("/whitelists/above_scale?q=%25").get_data(as_text=True)
    for firm in db.scalars(select(Firm).where(Firm.name.in_(["枣庄鑫源新材料有限公司", "山东华泰机械有限公司"]))):
        factories.RequestFactory(firm=firm, state="submitted", purpose="购买原材料")
    db.commit()
    assert "规上企业</span>" in district.get("/district/firms?q=zzxy").get_data(as_text=True)  # its lists, as badges
    for url in ("/district/firms?q=zzxy", "/district/firms?q=xinyuan", "/requests/?q=xinyuan"):
        page = district.get(url).get_data(as_text=True)
        assert "枣庄鑫源新材料有限公司" in page and "山东华泰机械有限公司" not in page
    page = as_role("township").get("/township/firms?q=shandonghuatai").get_data(as_text=True)
    assert "山东华泰机械有限公司" in page and "枣庄鑫源新材料有限公司" not in page


def test_profile_shows_memberships(db, as_role, worker, firm):
    district = waiting(as_role("district"), worker)
    _commit(district, [["企业名称", "统一社会信用代码", "项目名称"], [firm.name, firm.uscc, "年产5万吨新材料项目"]])
    _commit(district, [["企业名称", "统一社会信用代码"], [firm.name, firm.uscc]], kind="high_tech", batch="2022")
    page = as_role("enterprise").get("/enterprise/profile").get_data(as_text=True)
    page = page.replace("<span data-user>", "").replace("</span>", "")  # batch and project are marked as data
    assert "重点项目（2023）：年产5万吨新材料项目" in page and "高新技术企业（2022）" in page


def test_odd_uploads_and_addresses_are_refused_cleanly(db, district):
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<x/>")
    noise = bytes(random.Random(1).randrange(256) for _ in range(3000))
    before = _counts(db)
    before.pop("whitelist_import")
    for data, name in [(docx.getvalue(), "a.xlsx"), (docx.getvalue(), "a.docx"), (noise, "a.csv"),
                       (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "a.png"), (b"\xff\xfe", "x.csv"),
                       (b"\xff\xfeA", "odd-utf16.csv"), ('企业名称\n"'.encode() + b"x" * 200_000, "quote.csv")]:
        for kind in ("above_scale", "bogus"):
            response = _upload(district, data, name, kind=kind)
            assert response.status_code in (422, 302), (name, kind, response.status_code)
            if response.status_code == 302:  # the check job: its errors or the mapping screen, never a crash
                assert district.get(response.headers["Location"], follow_redirects=True).status_code in (200, 422)
    after = _counts(db)
    after.pop("whitelist_import")
    assert after == before
    for url in ("/whitelists/import/mapping/zz", "/whitelists/imports/99999/mapping", "/whitelists/imports/99999/errors.xlsx",
                "/whitelists/above_scale/export.pdf"):
        assert district.get(url).status_code == 404, url
    assert district.get("/whitelists/above_scale?batch=x&township=y&sort=zzz&page=-3").status_code == 200


def test_an_older_batch_says_so_on_its_preview_and_the_current_list_stays(db, district, named_firms):
    rows = [["企业名称"], ["枣庄鑫源新材料有限公司"], ["山东华泰机械有限公司"]]
    _commit(district, rows, kind="above_scale", batch="2023")
    import_id = _import_id(_upload(district, xlsx(rows[:2]), kind="above_scale", batch="2021"))
    page = district.get(f"/whitelists/imports/{import_id}").get_data(as_text=True)
    assert "批次 2021 早于当前批次 2023" in page and "当前名单仍为 2023" in page and "没有更早的批次可对比" in page
    assert db.get(WhiteListImport, import_id).summary["gone"] == 0
    assert district.post(f"/whitelists/imports/{import_id}/commit").status_code == 302
    assert "早于当前批次 2023" in district.get(f"/whitelists/imports/{import_id}").get_data(as_text=True)
    listing = district.get("/whitelists/above_scale").get_data(as_text=True)
    assert "山东华泰机械有限公司" in listing  # still the 2023 list

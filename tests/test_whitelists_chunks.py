"""A white-list import handled a chunk at a time (spooled checked rows, staged rows in whitelist_import_row,
the commit reading them back): with chunks of two rows, a small file crosses every chunk boundary the
250,000-row benchmark does, and the outcome is the one a single pass gives."""
import pytest
from sqlalchemy import func, select

from matchmaker.domain.firms.uscc import make as make_uscc
from matchmaker.domain.whitelists import batches, checking, staging
from matchmaker.models.whitelists import WhiteListEntry, WhiteListImport, WhiteListImportRow

from . import factories
from .test_whitelists_web import _import_id, _upload, waiting
from .wl_files import xlsx

pytestmark = pytest.mark.xdist_group("jobs")

CODES = [make_uscc(f"91370402MA3D{i:05d}") for i in range(8)]
NAMES = ["枣庄鑫源新材料有限公司", "山东华泰机械有限公司", "枣庄恒达纺织有限公司", "枣庄宏图建材有限公司",
         "枣庄明远食品有限公司", "枣庄安泰物流有限公司"]


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(checking, "SPOOL_CHUNK", 2)
    monkeypatch.setattr(checking, "DUPLICATE_BLOCK", 2)
    monkeypatch.setattr(staging, "CHUNK", 2)
    monkeypatch.setattr(batches, "RESOLVE_CHUNK", 2)


@pytest.fixture
def district(as_role, worker):
    return waiting(as_role("district"), worker)


@pytest.fixture
def firms(db, township):
    made = [factories.FirmFactory(name=n, township_id=township.id, uscc=CODES[i]) for i, n in enumerate(NAMES)]
    db.commit()
    return made


def _staged(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(WhiteListImportRow))


def test_a_file_crossing_every_chunk_previews_pages_and_commits_as_one(db, district, firms, township,
                                                                         other_township, small_chunks):
    head = ["企业名称", "统一社会信用代码", "所属镇街"]
    first = [head] + [[n, CODES[i], township.name] for i, n in enumerate(NAMES[:5])]
    district.post(f"/whitelists/imports/{_import_id(_upload(district, xlsx(first), batch='2022'))}/commit")
    second = [head, [NAMES[0], CODES[0], township.name], [NAMES[1], CODES[1], other_township.name],  # same, changed
              ["枣庄远方电子有限公司", "", ""],                                                    # a firm to create
              [NAMES[3], "", township.name], [NAMES[5], CODES[5], township.name],                    # by name; added
              ["枣庄全新科技有限公司", CODES[7], township.name], [NAMES[4], CODES[4], township.name]]
    import_id = _import_id(_upload(district, xlsx(second), batch="2023"))
    db.expire_all()
    imp = db.get(WhiteListImport, import_id)
    s = imp.summary
    assert (s["rows"], s["add"], s["changed"], s["same"], s["gone"]) == (7, 3, 1, 3, 1)
    assert s["gone_rows"][0]["name"] == NAMES[2] and s["new_firms"] == 2
    assert _staged(db) == 7 and [r["row"] for r in imp.rows] == list(range(2, 9))
    rows, total = staging.page(db, import_id, "changed", 0, 50)
    assert total == 1 and rows[0]["name"] == NAMES[1]
    assert staging.page(db, import_id, "all", 4, 2)[0][0]["row"] == 6  # a page in file order
    assert "枣庄远方电子有限公司" in district.get(f"/whitelists/imports/{import_id}?tab=new").get_data(as_text=True)

    district.post(f"/whitelists/imports/{import_id}/commit")
    db.expire_all()
    assert db.get(WhiteListImport, import_id).state == "committed" and _staged(db) == 0
    batch_id = db.get(WhiteListImport, import_id).batch_id
    entries = db.scalars(select(WhiteListEntry).where(WhiteListEntry.batch_id == batch_id)
                         .order_by(WhiteListEntry.row_no)).all()
    assert [e.row_no for e in entries] == list(range(2, 9))
    assert [e.firm_id for e in entries[:2]] == [firms[0].id, firms[1].id]
    assert entries[3].firm_id == firms[3].id and entries[3].township_id == township.id
    assert entries[5].firm.uscc == CODES[7] and entries[2].firm.name == "枣庄远方电子有限公司"


@pytest.mark.parametrize("rows, message", [
    ([[NAMES[0], CODES[0]], [NAMES[1], CODES[1]], [NAMES[2], CODES[2]], [NAMES[0], CODES[0]]],
     "第5行 统一社会信用代码：与第2行是同一企业"),              # found while checking, two blocks apart
    ([[NAMES[0], CODES[0]], [NAMES[1], CODES[1]], [NAMES[2], CODES[2]], ["鑫源新材料公司", ""]],
     "第5行 企业名称：与第2行匹配到同一家企业"),               # found while resolving, two chunks apart
])
def test_the_same_firm_in_two_chunks_is_refused_and_nothing_stays_staged(db, district, firms, small_chunks,
                                                                         rows, message):
    import_id = _import_id(_upload(district, xlsx([["企业名称", "统一社会信用代码"], *rows]), kind="above_scale"))
    db.expire_all()
    imp = db.get(WhiteListImport, import_id)
    assert imp.state == "failed" and any(message in e["message"] for e in imp.summary["errors"])
    assert _staged(db) == 0

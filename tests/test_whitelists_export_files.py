"""A whole list's export is kept as a file per version of the list (domain/whitelists/export_files.py): the next
download sends the kept file; any change the export shows (a commit, an undo, a firm's name, a township's name)
makes the next download build it again; a township's official gets its own rows, never the district's file; a
filtered export is built for its request and equals the kept one for the same rows."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from sqlalchemy import select

from matchmaker.config import files_dir
from matchmaker.domain.whitelists import export_files
from matchmaker.models import Firm, Township
from matchmaker.models.whitelists import WhiteListBatch

from .test_whitelists_web import _commit, waiting

pytestmark = pytest.mark.xdist_group("jobs")


@pytest.fixture
def district(as_role, worker):
    return waiting(as_role("district"), worker)


def _csv(client, query: str = "") -> list[list[str]]:
    response = client.get(f"/whitelists/above_scale/export.csv{query}")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def _names(rows: list[list[str]]) -> list[str]:
    return [row[1] for row in rows[1:]]


def _kept(app) -> list:
    return sorted((files_dir(app) / export_files.FOLDER).glob("above_scale.*"))


def test_a_kept_export_follows_every_change_of_its_list(app, db, district, township, other_township):
    _commit(district, [["企业名称", "所属镇街"], ["枣庄甲化工有限公司", township.name],
                       ["枣庄乙机械有限公司", other_township.name]], kind="above_scale", batch="2023")
    first = _csv(district)
    assert _names(first) == ["枣庄甲化工有限公司", "枣庄乙机械有限公司"]
    [kept] = _kept(app)
    stamp = kept.stat().st_mtime_ns
    assert _csv(district) == first and _kept(app) == [kept] and kept.stat().st_mtime_ns == stamp  # sent as kept

    firm = db.scalar(select(Firm).where(Firm.name == "枣庄甲化工有限公司"))
    firm.name = "枣庄甲新材料有限公司"  # the firm's name is a column of the export
    db.commit()
    assert _names(_csv(district)) == ["枣庄甲新材料有限公司", "枣庄乙机械有限公司"]
    assert len(_kept(app)) == 1 and _kept(app) != [kept]  # the older file of the list is gone

    db.get(Township, other_township.id).name = "改名后的镇"
    db.commit()
    assert _csv(district)[2][3] == "改名后的镇"

    _commit(district, [["企业名称", "所属镇街"], ["枣庄丙纺织有限公司", township.name]], kind="above_scale",
            batch="2024")
    assert _names(_csv(district)) == ["枣庄丙纺织有限公司"]
    book = openpyxl.load_workbook(io.BytesIO(district.get("/whitelists/above_scale/export.xlsx").data))
    assert [row[1] for row in book.active.iter_rows(min_row=2, values_only=True)] == ["枣庄丙纺织有限公司"]

    newest = db.scalar(select(WhiteListBatch).where(WhiteListBatch.label == "2024"))
    assert district.post(f"/whitelists/batches/{newest.id}/undo").status_code == 302
    assert _names(_csv(district)) == ["枣庄甲新材料有限公司", "枣庄乙机械有限公司"]  # back to 2023, not 2024's file
    book = openpyxl.load_workbook(io.BytesIO(district.get("/whitelists/above_scale/export.xlsx").data))
    assert [row[1] for row in book.active.iter_rows(min_row=2, values_only=True)] == \
        ["枣庄甲新材料有限公司", "枣庄乙机械有限公司"]
    assert _names(_csv(district, f"?batch={newest.id}")) == []  # an undone batch lists nothing


def test_a_township_gets_its_own_rows_and_the_order_asked(app, db, district, as_role, township, other_township):
    _commit(district, [["企业名称", "所属镇街"], ["枣庄甲化工有限公司", township.name],
                       ["枣庄乙机械有限公司", other_township.name], ["枣庄丁建材有限公司", township.name]],
            kind="above_scale")
    assert len(_names(_csv(district))) == 3
    own = _csv(as_role("township"))
    assert _names(own) == ["枣庄甲化工有限公司", "枣庄丁建材有限公司"]
    assert _names(_csv(district, "?sort=-row")) == ["枣庄丁建材有限公司", "枣庄乙机械有限公司", "枣庄甲化工有限公司"]
    assert _names(_csv(district, "?sort=bogus")) == _names(_csv(district))  # an unknown order: file order
    # a filtered export is built for its request, from the same rows: equal to the kept one where they agree
    assert _csv(district, "?q=枣庄") == _csv(district)
    assert _names(_csv(district, f"?township={other_township.id}")) == ["枣庄乙机械有限公司"]
    assert {p.name.split(".")[1] for p in _kept(app)} == {"all", f"t{township.id}"}

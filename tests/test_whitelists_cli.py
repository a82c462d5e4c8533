"""`matchmaker import-whitelist` (dry run, commit, review left for the web page) and `export-whitelist`."""
import csv
import io

import openpyxl
from sqlalchemy import func, select

from matchmaker.domain.firms.uscc import make as make_uscc
from matchmaker.models.whitelists import WhiteListBatch, WhiteListEntry, WhiteListImport

from . import factories
from .wl_files import csv_bytes, xlsx


def _entries(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(WhiteListEntry))


def test_import_dry_run_then_commit(app, db, firm, tmp_path, township):
    db.commit()  # the CLI works on its own connection
    path = tmp_path / "规上企业2023.xlsx"
    path.write_bytes(xlsx([["企业名称", "统一社会信用代码", "所属镇街"], [firm.name, firm.uscc, township.name],
                           ["枣庄新面孔化工有限公司", make_uscc("91370402MA3C12121"), township.name]], title="规上企业"))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import-whitelist", "above_scale", str(path), "--batch", "2023", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "共 2 行（首个批次）：新增 2" in dry.output and "新建企业 1" in dry.output and "未写入" in dry.output
    assert _entries(db) == 0
    done = runner.invoke(args=["import-whitelist", "above_scale", str(path), "--batch", "2023"])
    assert done.exit_code == 0, done.output
    assert _entries(db) == 2
    again = runner.invoke(args=["import-whitelist", "above_scale", str(path), "--batch", "2023"])
    assert again.exit_code != 0 and "已有“2023”批次" in again.output


def test_import_with_errors_writes_nothing(app, db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([["企业名称", "统一社会信用代码"], ["", make_uscc("91370402MA3C12121")], ["枣庄甲有限公司", "123"]], "gbk"))
    result = app.test_cli_runner().invoke(args=["import-whitelist", "high_tech", str(path), "--batch", "2023"])
    assert result.exit_code != 0
    assert "第2行 企业名称：不能为空" in result.output and "第3行 统一社会信用代码：“123”应为18位" in result.output
    assert _entries(db) == 0 and db.scalar(select(func.count()).select_from(WhiteListImport)) == 0


def test_names_needing_review_are_left_for_the_web_page(app, db, tmp_path, township):
    factories.FirmFactory(name="枣庄鑫源新材料有限公司", uscc=None, township_id=township.id)
    db.commit()
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes([["单位名称"], ["枣庄鑫源新材料厂"]], "utf-8-sig"))
    result = app.test_cli_runner().invoke(args=["import-whitelist", "doubling_firm", str(path), "--batch", "2023"])
    assert result.exit_code != 0 and "需要人工确认" in result.output
    imp = db.scalar(select(WhiteListImport))
    assert f"/whitelists/imports/{imp.id}" in result.output and imp.pending_reviews == 1
    assert _entries(db) == 0


def test_export_xlsx_and_csv(app, db, firm, other_township, tmp_path, township):
    db.commit()
    path = tmp_path / "k.xlsx"
    path.write_bytes(xlsx([["项目单位", "统一社会信用代码", "项目名称", "总投资（万元）", "所属镇街"],
                           [firm.name, firm.uscc, "年产5万吨项目", 1200, township.name],
                           ["枣庄另一家化工有限公司", "", "-技改", "88.5", other_township.name]]))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["import-whitelist", "key_project", str(path), "--batch", "2023"]).exit_code == 0
    out = tmp_path / "out.xlsx"
    result = runner.invoke(args=["export-whitelist", "key_project", "-o", str(out)])
    assert result.exit_code == 0 and "2 行" in result.output
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert rows[1][1:5] == (firm.name, firm.uscc, "年产5万吨项目", 1200) and rows[2][3] == "'-技改"
    out_csv = tmp_path / "out.csv"
    result = runner.invoke(args=["export-whitelist", "key_project", "-o", str(out_csv), "--township", township.name])
    assert result.exit_code == 0
    exported = list(csv.reader(io.StringIO(out_csv.read_text("utf-8-sig"))))
    assert len(exported) == 2 and exported[1][1] == firm.name
    assert db.scalar(select(WhiteListBatch.label)) == "2023"


def test_unknown_headers_can_be_mapped_on_the_command_line(app, db, tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(xlsx([["主体", "联系人"], ["枣庄映射化工有限公司", "张三"]]))
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["import-whitelist", "above_scale", str(path), "--batch", "2023"])
    assert refused.exit_code != 0 and "主体、联系人" in refused.output
    done = runner.invoke(args=["import-whitelist", "above_scale", str(path), "--batch", "2023", "--map", "主体=name",
                               "--map", "联系人=extra"])
    assert done.exit_code == 0, done.output
    db.expire_all()
    entry = db.scalar(select(WhiteListEntry))
    assert entry.written_name == "枣庄映射化工有限公司" and entry.extra == {"联系人": "张三"}
    bad = runner.invoke(args=["import-whitelist", "high_tech", str(path), "--batch", "2023", "--map", "主体=nonsense"])
    assert bad.exit_code != 0 and "对应字段不正确" in bad.output


def test_an_older_batch_says_so_and_reports_nothing_gone(app, db, firm, tmp_path):
    db.commit()
    runner = app.test_cli_runner()
    newer, older = tmp_path / "2023.xlsx", tmp_path / "2021.xlsx"
    newer.write_bytes(xlsx([["企业名称", "统一社会信用代码"], [firm.name, firm.uscc],
                            ["枣庄新面孔化工有限公司", make_uscc("91370402MA3C12121")]]))
    older.write_bytes(xlsx([["企业名称", "统一社会信用代码"], [firm.name, firm.uscc]]))
    assert runner.invoke(args=["import-whitelist", "above_scale", str(newer), "--batch", "2023"]).exit_code == 0
    done = runner.invoke(args=["import-whitelist", "above_scale", str(older), "--batch", "2021"])
    assert done.exit_code == 0, done.output
    assert "（没有更早的批次可对比）" in done.output and "移出 0" in done.output
    assert "批次 2021 早于当前批次 2023" in done.output and "当前名单仍为 2023" in done.output

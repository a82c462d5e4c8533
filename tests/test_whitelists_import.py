"""Checking white-list files: header variants under title rows, encodings, and every error naming row and field."""
from decimal import Decimal

import pytest

from matchmaker.domain.core.errors import DomainError
from matchmaker.domain.firms.uscc import make as make_uscc
from matchmaker.domain.whitelists.checking import check_file, remember_mappings

from .wl_files import csv_bytes, xlsx

CODE_A = make_uscc("91370402MA3C00001")
CODE_B = make_uscc("91370402MA3C00002")
CODE_RURAL = make_uscc("N2370402MA0000003")
BAD_CHECK = CODE_A[:17] + ("0" if CODE_A[17] != "0" else "1")

FIRM_HEADERS = [
    ["企业名称", "统一社会信用代码", "所属镇街", "所属行业"],
    ["单位名称", "信用代码", "镇街", "行业"],
    ["公司名称", "社会信用代码", "街道", "产业"],
    [" 企业\n名称 ", "*统一社会信用代码（注册号）", "所属镇（街）", "所属产业"],
    ["纳税人名称", "纳税人识别号", "乡镇", "行业类别"],
]
PROJECT_HEADERS = [
    (["项目单位", "项目名称", "总投资(万元)", "所属镇街"], Decimal("1"), "1200"),
    (["建设单位", "项目", "计划总投资", "镇街"], Decimal("1"), "1200"),
    (["企业名称", "项目名称", "总投资（亿元）", "街道"], Decimal("10000"), "0.12"),
    (["申报单位", "技改项目名称", "项目总投资（元）", "所属镇街"], Decimal("0.0001"), "12000000"),
]


def _firm_rows(headers):
    return [["序号", *headers], [1, "枣庄鑫源化工有限公司", CODE_A, "中心街街道", "化工"],
            [2, "山东华泰机械有限公司", CODE_RURAL, "孟庄", "机械制造"], [3, "枣庄恒达纺织有限公司", "", "齐村镇", "纺织服装"]]


@pytest.mark.parametrize("headers", FIRM_HEADERS)
def test_firm_list_headers_map_under_a_title_row(db, headers):
    checked = check_file(db, xlsx(_firm_rows(headers), title="2023年市中区规上企业名单"), "规上.xlsx", "above_scale")
    assert not checked.errors and not checked.unknown_headers
    assert checked.header_row == 2
    assert [r["name"] for r in checked.rows] == ["枣庄鑫源化工有限公司", "山东华泰机械有限公司", "枣庄恒达纺织有限公司"]
    assert [r["row"] for r in checked.rows] == [3, 4, 5]  # Excel row numbers
    assert checked.rows[0]["uscc"] == CODE_A and checked.rows[1]["uscc"] == CODE_RURAL  # N-prefixed codes are valid
    assert checked.rows[0]["industry"] == "chemicals" and checked.rows[1]["industry"] == "machinery"
    assert all(r["township_id"] for r in checked.rows)


@pytest.mark.parametrize("headers, factor, written", PROJECT_HEADERS)
def test_project_list_headers_and_amount_units(db, headers, factor, written):
    rows = [headers, ["枣庄鑫源化工有限公司", "年产5万吨新材料项目", written, "税郭镇"]]
    checked = check_file(db, xlsx(rows, title="重点项目"), "项目.xlsx", "key_project")
    assert not checked.errors, checked.errors
    row = checked.rows[0]
    assert row["project_name"] == "年产5万吨新材料项目"
    assert Decimal(row["investment_wan"]) == Decimal("1200.00")  # always 万元, whatever unit the header names


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_are_detected(db, encoding):
    rows = [["市中区高新技术企业名单", "", "", ""], *_firm_rows(["单位名称", "统一社会信用代码", "镇街", "行业"])]
    checked = check_file(db, csv_bytes(rows, encoding), "高新.csv", "high_tech")
    assert not checked.errors
    assert checked.rows[0]["name"] == "枣庄鑫源化工有限公司" and checked.rows[2]["name"] == "枣庄恒达纺织有限公司"
    assert checked.header_row == 2


def test_gbk_csv_with_semicolons_and_totals_row_is_read(db):
    rows = [["企业名称", "总投资（万元）", "项目名称"], ["枣庄鑫源化工有限公司", "1,200.5", "技改一期"], ["合计", "1200.5", ""]]
    checked = check_file(db, csv_bytes(rows, "gbk", ";"), "技改.csv", "tech_upgrade")
    assert not checked.errors
    assert [r["name"] for r in checked.rows] == ["枣庄鑫源化工有限公司"]  # the totals row is not a firm
    assert checked.rows[0]["investment_wan"] == "1200.50"


def _errors(db, data, filename="f.xlsx", kind="above_scale"):
    return [str(e) for e in check_file(db, data, filename, kind).errors]


def test_bad_check_digit_names_row_and_field(db):
    errors = _errors(db, xlsx([["企业名称", "统一社会信用代码"], ["枣庄鑫源化工有限公司", BAD_CHECK]]))
    assert len(errors) == 1 and errors[0].startswith("第2行 统一社会信用代码：") and "校验位" in errors[0]


def test_same_firm_twice_by_code_and_by_name(db):
    rows = [["企业名称", "统一社会信用代码"], ["枣庄鑫源化工有限公司", CODE_A], ["鑫源化工有限责任公司", CODE_A],
            ["山东华泰机械有限公司", ""], ["枣庄市华泰机械有限公司", ""]]
    errors = _errors(db, xlsx(rows))
    assert "第3行 统一社会信用代码：与第2行是同一企业（信用代码相同）" in errors
    assert "第5行 企业名称：与第4行是同一企业（名称相同）" in errors


def test_same_firm_twice_is_fine_for_different_projects(db):
    rows = [["项目单位", "项目名称"], ["枣庄鑫源化工有限公司", "一期"], ["枣庄鑫源化工有限公司", "二期"],
            ["枣庄鑫源化工有限公司", "一期"]]
    errors = _errors(db, xlsx(rows), kind="key_project")
    assert errors == ["第4行 企业名称：与第2行是同一企业的同一项目（名称相同）"]


def test_empty_name_and_amount_not_a_number(db):
    rows = [["项目单位", "项目名称", "总投资（万元）"], ["", "一期", "100"], ["枣庄鑫源化工有限公司", "二期", "约500"]]
    errors = _errors(db, xlsx(rows), kind="key_project")
    assert "第2行 企业名称：不能为空" in errors
    assert "第3行 总投资（万元）：“约500”不是数字（单位：万元）" in errors


def test_code_stored_as_a_number_and_unknown_township(db):
    rows = [["企业名称", "统一社会信用代码", "所属镇街"], ["枣庄鑫源化工有限公司", 913704021234567890, "北京路街道"]]
    errors = _errors(db, xlsx(rows))
    assert any(e.startswith("第2行 统一社会信用代码：被存成了数字") for e in errors)
    assert "第2行 所属镇街：“北京路街道”不是市中区的镇街" in errors


def test_merged_cells_in_the_data_are_refused_but_a_merged_title_is_fine(db):
    rows = [["企业名称", "所属镇街"], ["枣庄鑫源化工有限公司", "中心街"], ["山东华泰机械有限公司", ""]]
    assert _errors(db, xlsx(rows, title="名单")) == []
    errors = _errors(db, xlsx(rows, title="名单", merge=["B3:B4"]))
    assert errors == ["第3–4行“所属镇街”列有合并单元格：请取消合并、在每一行填写完整后再导入"]


def test_legacy_xls_is_refused_with_a_clear_message(db):
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    for name in ("名单.xls", "名单.xlsx"):
        with pytest.raises(DomainError, match="旧版 Excel（.xls）"):
            check_file(db, ole2, name, "above_scale")


@pytest.mark.parametrize("data, filename, message", [
    (b"", "a.csv", "文件为空"),
    (b"\xef\xbb\xbf  \r\n", "a.csv", "文件为空"),
    (xlsx([]), "a.xlsx", "文件为空"),
])
def test_empty_files(db, data, filename, message):
    with pytest.raises(DomainError, match=message):
        check_file(db, data, filename, "above_scale")


def test_header_without_rows_is_an_empty_file(db):
    assert _errors(db, xlsx([["企业名称", "统一社会信用代码"]], title="名单")) == [
        "文件为空：表头（第2行）下面没有数据行"]


def test_wrong_sheet(db):
    data = xlsx([["企业名称"], ["枣庄鑫源化工有限公司"]], sheet="名单", before={"填表说明": [["请按模板填写"]]})
    checked = check_file(db, data, "a.xlsx", "above_scale")  # the sheet with a header is found by itself
    assert checked.sheet == "名单" and checked.rows[0]["name"] == "枣庄鑫源化工有限公司"
    with pytest.raises(DomainError, match="没有名为“2023”的工作表；现有工作表：填表说明、名单"):
        check_file(db, data, "a.xlsx", "above_scale", sheet="2023")
    with pytest.raises(DomainError, match="工作表“填表说明”中没有找到表头行"):
        check_file(db, data, "a.xlsx", "above_scale", sheet="填表说明")


def test_unknown_headers_ask_for_a_mapping_that_is_remembered(db):
    data = xlsx([["主办企业", "信用代码", "负责人"], ["枣庄鑫源化工有限公司", CODE_A, "张三"]])
    checked = check_file(db, data, "a.xlsx", "doubling_firm")
    assert checked.unknown_headers == ["主办企业", "负责人"] and not checked.rows
    assert checked.samples[0] == ["枣庄鑫源化工有限公司"]
    remember_mappings(db, {"主办企业": "name", "负责人": "extra"})
    db.commit()
    again = check_file(db, data, "next.xlsx", "doubling_firm")
    assert not again.unknown_headers and not again.errors
    assert again.rows[0]["name"] == "枣庄鑫源化工有限公司" and again.rows[0]["extra"] == {"负责人": "张三"}


def test_project_list_needs_a_project_column(db):
    errors = _errors(db, xlsx([["企业名称", "统一社会信用代码"], ["枣庄鑫源化工有限公司", CODE_A]]), kind="key_project")
    assert errors == ["第1行 表头中缺少“项目名称”列"]

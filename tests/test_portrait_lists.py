"""Government lists behind the portrait: the tax bureau's 纳税信用等级 list and the qualification lists, imported
through the white-list machinery (real .xlsx files); verified grades win over self-declared ones in the rules."""
import pytest

from matchmaker.domain.requests import eligibility
from matchmaker.domain.whitelists import batches
from matchmaker.domain.whitelists.checking import check_file
from matchmaker.domain.whitelists.grades import verified_grades
from matchmaker.domain.whitelists.lists import whitelist_kinds_by_firm
from matchmaker.models import Product

from . import factories
from .wl_files import csv_bytes, xlsx

THRESHOLDS = batches.Thresholds(92, 75)


def _import(db, kind, label, rows, data=None):
    checked = check_file(db, data or xlsx(rows, title=f"{label}年名单"), f"{kind}{label}.xlsx", kind)
    resolved, _ = batches.preview(db, checked, label, THRESHOLDS)
    batch = batches.commit_rows(db, None, kind, label, f"{kind}{label}.xlsx", resolved)
    db.commit()
    return batch


def test_tax_list_by_year_gives_verified_grades(db, firm, township):
    other = factories.FirmFactory(township_id=township.id, tax_credit_grade="A")
    _import(db, "tax_credit", "2023", [["纳税人名称", "纳税人识别号", "评价结果"], [firm.name, firm.uscc, "B级"],
                                       [other.name, other.uscc, "m"]])
    assert verified_grades(db, [firm.id, other.id]) == {firm.id: "B", other.id: "M"}
    _import(db, "tax_credit", "2024", [["纳税人名称", "纳税人识别号", "纳税信用等级"], [firm.name, firm.uscc, "Ａ"]])
    # the newest list is the grade; a firm missing from it falls back to what it declared
    assert verified_grades(db, [firm.id, other.id]) == {firm.id: "A"}
    # a tax grade is not a white-list membership: no routing priority from being on the tax list
    assert "tax_credit" not in whitelist_kinds_by_firm(db, [firm.id]).get(firm.id, frozenset())


@pytest.mark.parametrize("make", [lambda rows: xlsx(rows), lambda rows: csv_bytes(rows, "gbk")])
def test_a_wrong_grade_letter_refuses_the_file_with_the_row(db, firm, township, make):
    other = factories.FirmFactory(township_id=township.id)
    rows = [["企业名称", "统一社会信用代码", "纳税信用等级"], [firm.name, firm.uscc, "A"], [other.name, other.uscc, "E"]]
    checked = check_file(db, make(rows), "tax.xlsx" if make(rows)[:2] == b"PK" else "tax.csv", "tax_credit")
    assert [str(e) for e in checked.errors] == ["第3行 纳税信用等级：“E”不是纳税信用等级：应为 A、B、M、C、D 之一"]
    with pytest.raises(batches.ImportRejected):
        batches.preview(db, checked, "2024", THRESHOLDS)
    assert verified_grades(db) == {}


def test_a_tax_list_without_a_grade_column_is_refused(db, firm):
    checked = check_file(db, xlsx([["企业名称", "统一社会信用代码"], [firm.name, firm.uscc]]), "t.xlsx", "tax_credit")
    assert "纳税信用等级" in str(checked.errors[0])


def test_supplier_list_names_a_listed_chain_leader(db, firm, township):
    leader = factories.FirmFactory(township_id=township.id, name="枣庄链主集团有限公司")
    stranger = factories.FirmFactory(township_id=township.id)
    rows = [["企业名称", "统一社会信用代码", "所属链主"], [firm.name, firm.uscc, "枣庄链主集团有限公司"]]
    refused = check_file(db, xlsx(rows), "s.xlsx", "chain_supplier")  # no 链主 list yet
    assert [e.row for e in refused.errors] == [2] and "不在现行链主企业名单中" in str(refused.errors[0])
    _import(db, "chain_leader", "2024", [["企业名称", "统一社会信用代码"], [leader.name, leader.uscc]])
    bad = rows + [[stranger.name, stranger.uscc, "不存在的链主公司"]]
    checked = check_file(db, xlsx(bad), "s.xlsx", "chain_supplier")
    assert [(e.row, e.field) for e in checked.errors] == [(3, "chain_leader")]
    batch = _import(db, "chain_supplier", "2024", rows)
    assert batch.row_count == 1
    assert "chain_supplier" in whitelist_kinds_by_firm(db, [firm.id])[firm.id]


@pytest.mark.parametrize("kind, header", [("zjtx", "专精特新中小企业名单"), ("gazelle", "瞪羚企业"), ("champion", "单项冠军")])
def test_qualification_lists_count_for_product_rules(db, firm, kind, header):
    product = db.query(Product).filter_by(kind_code="kechuang").first()
    product.rules = {"required_whitelists": ["high_tech", "gazelle", "zjtx", "champion"]}
    rules = eligibility.ProductRules.from_product(product)
    req = eligibility.RequestFacts(product.min_amount, product.min_term_months, "none", frozenset())
    before = eligibility.FirmFacts.from_firm(firm, whitelist_kinds_by_firm(db, [firm.id]).get(firm.id, frozenset()))
    assert not eligibility.is_eligible(rules, before, req)
    _import(db, kind, "2024", [["序号", "企业名称", "统一社会信用代码"], [1, firm.name, firm.uscc]])
    after = eligibility.FirmFacts.from_firm(firm, whitelist_kinds_by_firm(db, [firm.id])[firm.id])
    assert eligibility.is_eligible(rules, after, req)
    assert all(r.passed for r in eligibility.evaluate(rules, after, req))


def test_a_verified_grade_wins_and_a_rule_can_require_it(db, firm):
    firm.tax_credit_grade = "A"  # self-declared
    product = db.query(Product).filter_by(kind_code="rencai").first()
    product.rules = {"min_tax_grade": "B", "tax_grade_verified": True}
    rules = eligibility.ProductRules.from_product(product)
    req = eligibility.RequestFacts(product.min_amount, product.min_term_months, "none", frozenset())
    declared = eligibility.FirmFacts.from_firm(firm)
    result = [r for r in eligibility.evaluate(rules, declared, req) if r.rule == "tax_grade"][0]
    assert not result.passed and "自报" in result.reason
    _import(db, "tax_credit", "2024", [["企业名称", "统一社会信用代码", "信用等级"], [firm.name, firm.uscc, "C"]])
    verified = eligibility.FirmFacts.from_firm(firm, verified_grade=verified_grades(db, [firm.id])[firm.id])
    assert verified.grade == "C"  # the imported grade wins over the declared A
    assert not eligibility.is_eligible(rules, verified, req)
    product.rules = {"min_tax_grade": "C", "tax_grade_verified": True}
    assert eligibility.is_eligible(eligibility.ProductRules.from_product(product), verified, req)


def test_list_pages_show_the_grade_and_the_chain_leader(db, as_role, firm, township):
    leader = factories.FirmFactory(township_id=township.id, name="枣庄链主集团有限公司")
    _import(db, "tax_credit", "2024", [["企业名称", "统一社会信用代码", "纳税信用等级"], [firm.name, firm.uscc, "M"]])
    _import(db, "chain_leader", "2024", [["企业名称", "统一社会信用代码"], [leader.name, leader.uscc]])
    _import(db, "chain_supplier", "2024", [["企业名称", "统一社会信用代码", "链主企业"], [firm.name, firm.uscc, leader.name]])
    client = as_role("district")
    tax = client.get("/whitelists/tax_credit").get_data(as_text=True)
    assert "<th>纳税信用等级</th>" in tax and "<td>M</td>" in tax
    suppliers = client.get("/whitelists/chain_supplier").get_data(as_text=True)
    assert f"<td data-user>{leader.name}</td>" in suppliers  # a firm's name: user data
    assert as_role("enterprise").get("/whitelists/tax_credit").status_code == 403


def test_routing_gives_priority_for_qualifications_and_a_verified_a_grade_with_the_reason(db, users, firm, township):
    from matchmaker.domain.requests import financing

    def route(f):
        req = financing.file_request(db, users["district"], f, amount_yuan=1_000_000, term_months=12,
                                     purpose="购买原材料", collateral="property", submit=True)
        db.commit()
        return req.leads[0].score_parts["whitelist"]

    plain = factories.FirmFactory(township_id=township.id)
    part = route(plain)
    assert part["value"] == 0 and part["reason"] == "不在白名单，也无核验资质"
    graded = factories.FirmFactory(township_id=township.id, tax_credit_grade="A")
    assert route(graded)["value"] == 0  # self-declared A: no priority
    _import(db, "tax_credit", "2024", [["企业名称", "统一社会信用代码", "纳税信用等级"], [graded.name, graded.uscc, "A"]])
    part = route(graded)
    assert part["value"] == 0.5 and "纳税信用 A 级（税务核验）" in part["reason"]
    _import(db, "gazelle", "2024", [["企业名称", "统一社会信用代码"], [firm.name, firm.uscc]])
    part = route(firm)
    assert part["value"] >= 0.7 and "核验资质：瞪羚企业" in part["reason"]

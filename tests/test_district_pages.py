"""The district's and the township's overview pages show the real figures."""
from matchmaker.domain.requests import financing
from matchmaker.domain.requests.leads import claim, decline

from . import factories


def test_district_dashboard_counts_and_amounts(as_role, db, users, firm, bank, other_township):
    req, lead = factories.routed_request(db, firm, bank)
    req.amount = 3_000_000
    outsider = factories.FirmFactory(township_id=other_township.id)
    draft = financing.file_request(db, users["district"], outsider, amount_yuan=500_000, term_months=6,
                                   purpose="测试", collateral="none", submit=False)
    claim(db, users["bank_manager"], lead.id)
    decline(db, users["bank_manager"], lead.id, "documents", "缺财务报表")
    db.commit()
    page = as_role("district").get("/district/").get_data(as_text=True)
    # requested counts submitted requests only (the draft's 50 万元 is not in it)
    assert '<div class="stat-label">申请金额</div><div class="stat-value">300 万元</div>' in page
    assert draft.state == "draft"
    row = page.split(bank.name)[1].split("</tr>")[0]
    cells = [c.split(">")[-1] for c in row.split("</td>")[:-1]]
    assert cells[1:6] == ["1", "1", "0", "1", "0"]  # received, claimed, expired, declined, approved


def test_district_banks_page_lists_all_22_with_targets(as_role):
    page = as_role("district").get("/district/banks").get_data(as_text=True)
    assert page.count("<td>22</td>") == 1 and "日照银行市行营业部" in page
    assert "599.89%" in page and "19.11" in page  # 农发行 2023 LDR, 邮储 2023 industrial loans


def test_township_dashboard_only_counts_its_firms(as_role, db, users, firm, bank, other_township):
    factories.routed_request(db, firm, bank)
    outsider = factories.FirmFactory(township_id=other_township.id)
    factories.routed_request(db, outsider, bank)
    db.commit()
    page = as_role("township").get("/township/").get_data(as_text=True)
    assert '<div class="stat-label">融资需求</div><div class="stat-value">1</div>' in page


def test_approved_counts_offers_even_when_released(db, users, firm, bank):
    from decimal import Decimal

    from matchmaker.domain.requests import dashboard, leads

    req, lead = factories.routed_request(db, firm, bank)
    manager = users["bank_manager"]
    leads.claim(db, manager, lead.id)
    leads.record_contact(db, manager, lead.id)
    leads.start_review(db, manager, lead.id)
    leads.approve(db, manager, lead.id, amount_yuan=500_000, rate_pct=Decimal("3.6"), term_months=12)
    financing.withdraw(db, users["enterprise"], req.id)  # the offer's lead is released
    db.flush()
    row = next(r for r in dashboard.by_bank(db) if r["bank_id"] == bank.id)
    assert (row["received"], row["approved"], row["disbursed"]) == (1, 1, 0)

"""The ledger pages: each role sees only its entries (matrix), the page's figures equal the sum of the entries
they drill down to, the .xlsx export holds the listed entries, the district edits an instrument, the goals page
shows the panel and the district sees the last verification."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from matchmaker.domain.core import audit_chain
from matchmaker.domain.ledgers import entries
from matchmaker.models import Instrument

ROLES = ("district", "township", "other_township", "enterprise", "other_enterprise", "bank_manager", "bank_admin",
         "other_bank_manager")


@pytest.fixture
def booked(db, users, firm, bank, other_bank):
    g = db.scalar(select(Instrument).where(Instrument.code == "guarantee_gov"))
    other_firm = db.get(type(firm), users["other_enterprise"].firm_id)
    mine = entries.open_case(db, users["district"], g, "issued", 1_230_000, date(2024, 1, 2), firm_id=firm.id,
                             bank_id=bank.id, note="本行担保")
    entries.follow(db, users["district"], mine.id, "released", 230_000, date(2024, 6, 2))
    entries.open_case(db, users["district"], g, "issued", 4_560_000, date(2024, 2, 2), firm_id=other_firm.id,
                      bank_id=other_bank.id, note="他行担保")
    db.commit()
    return g


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_its_own_entries(as_role, booked, role):
    client = as_role(role)
    page = client.get(f"/ledgers/entries?instrument={booked.id}")
    if role == "other_bank_manager":
        assert page.status_code in (200, 403)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    sees_mine = role in ("district", "township", "enterprise", "bank_manager", "bank_admin")
    sees_theirs = role in ("district", "other_township", "other_enterprise", "other_bank_manager")
    assert ("本行担保" in text) == sees_mine and ("他行担保" in text) == sees_theirs


def _figure(text: str, name: str) -> str:
    return re.search(rf'data-figure="{name}">([^<]+)<', text).group(1)


def test_page_figures_equal_the_sum_of_their_entries(as_role, booked):
    client = as_role("district")
    overview = client.get("/ledgers/").get_data(as_text=True)
    assert _figure(overview, "in_force-guarantee_gov") == "556 万元"  # 123 − 23 + 456 万
    by_bank = client.get(f"/ledgers/?instrument={booked.id}&by=bank").get_data(as_text=True)
    for key in re.findall(r'data-figure="in_force-(\d+)"', by_bank):
        listed = client.get(f"/ledgers/entries?instrument={booked.id}&by=bank&key={key}").get_data(as_text=True)
        total = re.search(r'data-total="in_force">([^<]+)<', listed).group(1)
        assert total == _figure(by_bank, f"in_force-{key}")


def test_export_holds_the_listed_entries(as_role, booked):
    response = as_role("bank_manager").get(f"/ledgers/entries.xlsx?instrument={booked.id}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sorted(r[8] for r in rows) == [230_000, 1_230_000]  # its own bank's case only


def test_the_district_edits_an_instrument(as_role, booked, db):
    client = as_role("district")
    assert as_role("township").get(f"/ledgers/instruments/{booked.id}").status_code == 403
    response = client.post(f"/ledgers/instruments/{booked.id}", data={
        "name": booked.name, "capital_wan": "30000", "leverage": "4", "fee_rate_pct": "0.8", "max_days": "",
        "terms": "新规则", "active": "y"})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Instrument, booked.id).capacity == 1_200_000_000
    refused = client.post(f"/ledgers/instruments/{booked.id}", data={
        "name": booked.name, "capital_wan": "0.01", "leverage": "1", "active": "y"})
    assert refused.status_code == 400 and "超过修改后的额度" in refused.get_data(as_text=True)


def test_goals_panel_and_audit_page(as_role, booked, db):
    client = as_role("district")
    assert "政策工具使用情况" in client.get("/targets/").get_data(as_text=True)
    assert "尚未核验" in client.get("/ledgers/audit").get_data(as_text=True)
    audit_chain.verify(db)
    db.commit()
    assert "链完整" in client.get("/ledgers/audit").get_data(as_text=True)
    assert as_role("township").get("/ledgers/audit").status_code == 403


def test_the_district_opens_follows_and_reverses_a_case(as_role, booked, db, firm, bank):
    from matchmaker.models import LedgerEntry

    client = as_role("district")
    assert client.get("/ledgers/new").status_code == 200
    assert as_role("township").get("/ledgers/new").status_code == 403
    response = client.post("/ledgers/new", data={"instrument_id": booked.id, "event": "issued", "amount_wan": "50",
                                                  "on_date": "2025-01-02", "firm": firm.uscc, "bank_id": bank.id,
                                                  "term_days": "365", "note": "网页登记"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    case = db.scalar(select(LedgerEntry).where(LedgerEntry.note == "网页登记"))
    assert (case.amount, case.firm_id, case.bank_id) == (500_000, firm.id, bank.id)
    too_much = client.post("/ledgers/new", data={"instrument_id": booked.id, "event": "issued",
                                                  "amount_wan": "999999", "on_date": "2025-01-02"})
    assert too_much.status_code == 400 and "额度不足" in too_much.get_data(as_text=True)
    page = client.get(f"/ledgers/entries?case={case.id}").get_data(as_text=True)
    assert "登记后续事项" in page and "代偿" in page
    client.post(f"/ledgers/entries/{case.id}/follow", data={"event": "released", "amount_wan": "50",
                                                             "on_date": "2026-01-02"})
    refused = client.post(f"/ledgers/entries/{case.id}/reverse", data={"note": "登错了"}, follow_redirects=True)
    assert "请先冲正后续事项" in refused.get_data(as_text=True)
    released = db.scalar(select(LedgerEntry.id).where(LedgerEntry.case_id == case.id))
    client.post(f"/ledgers/entries/{released}/reverse", data={"note": "登错了"})
    client.post(f"/ledgers/entries/{case.id}/reverse", data={"note": "整笔登错"})
    events = [(e.event, e.amount) for e in db.scalars(select(LedgerEntry).where(
        (LedgerEntry.case_id == case.id) | (LedgerEntry.id == case.id)).order_by(LedgerEntry.id))]
    assert events == [("issued", 500_000), ("released", 500_000), ("released", -500_000), ("issued", -500_000)]

"""The district's instruments and their ledgers (SQLite and PostgreSQL): instruments seeded from the policy and
edited with history; a referral resolved "获得担保" / "使用转贷资金" opens the ledger entry; capacity is never
exceeded, also by 20 concurrent issues; cases follow (released, compensated, recovered, repaid); the figures
equal the sum of the entries behind them; ledger rows are chained and append-only."""
from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from matchmaker.domain.core import audit_chain
from matchmaker.domain.core.errors import Conflict, DomainError, Forbidden
from matchmaker.domain.ledgers import entries, figures, instruments
from matchmaker.domain.outcomes import referrals
from matchmaker.domain.requests import financing
from matchmaker.models import Bank, History, Instrument, LedgerEntry

from . import factories

WAN = 10_000


def inst(db, code: str) -> Instrument:
    return db.scalar(select(Instrument).where(Instrument.code == code))


def test_the_policy_instruments_are_seeded(db):
    got = {i.code: (i.capital, i.capacity) for i in instruments.all_instruments(db)}
    assert got["guarantee_gov"] == (200_000_000, 1_000_000_000)  # 2 亿 × 5
    assert got["bridge_district"][0] == 50_000_000 and got["bridge_private"][0] == 30_000_000
    assert got["fund_caihui"][0] == 500_000_000 and got["fund_medical"][0] == 300_000_000


def test_the_district_edits_an_instrument_with_history(db, users):
    g = inst(db, "guarantee_gov")
    with pytest.raises(Forbidden):
        instruments.update(db, users["township"], g.id, leverage=Decimal("8"))
    instruments.update(db, users["district"], g.id, leverage=Decimal("8"))
    db.commit()
    assert g.capacity == 1_600_000_000
    row = db.scalar(select(History).where(History.entity == "instrument", History.entity_id == g.id))
    assert (row.field, row.old_value, row.new_value) == ("leverage", "5.00", "8")


def _referral(db, users, firm, target: str):
    for b in db.scalars(select(Bank)):
        b.active = False
    db.flush()
    req = financing.file_request(db, users["enterprise"], firm, amount_yuan=1_000_000, term_months=12,
                                 purpose="到期贷款续贷", collateral="none", renewal=True)
    db.commit()
    return next(r for r in referrals.for_request(db, req.id) if r.target == target)


@pytest.mark.parametrize("target, code, event", [("guarantee", "guarantee_gov", "issued"),
                                                 ("bridge_fund", "bridge_district", "drawn")])
def test_a_resolved_referral_opens_the_ledger_entry(db, users, firm, target, code, event):
    ref = _referral(db, users, firm, target)
    referrals.update(db, users["district"], ref.id, "resolved_funded", "", 800_000)
    db.commit()
    entry = db.scalar(select(LedgerEntry).where(LedgerEntry.referral_id == ref.id))
    assert (entry.instrument.code, entry.event, entry.amount, entry.firm_id) == (code, event, 800_000, firm.id)
    assert entry.row_hash and entry.fee > 0


def test_a_referral_beyond_capacity_is_refused_whole(db, users, firm):
    ref = _referral(db, users, firm, "bridge_fund")
    b = inst(db, "bridge_district")
    entries.open_case(db, users["district"], b, "drawn", b.capacity - 500_000, date(2024, 1, 5), firm_id=firm.id,
                      term_days=10)
    db.commit()
    with pytest.raises(Conflict, match="额度不足"):
        referrals.update(db, users["district"], ref.id, "resolved_funded", "", 800_000)
    db.rollback()
    assert db.get(type(ref), ref.id).state == "open"


def test_cases_follow_and_the_capacity_frees(db, users, firm, bank):
    d = users["district"]
    g = inst(db, "guarantee_gov")
    a = entries.open_case(db, d, g, "issued", 3_000_000, date(2023, 3, 1), firm_id=firm.id, bank_id=bank.id,
                          term_days=365)
    entries.follow(db, d, a.id, "compensated", 1_000_000, date(2024, 3, 1))
    entries.follow(db, d, a.id, "recovered", 400_000, date(2024, 6, 1))
    with pytest.raises(Conflict):
        entries.follow(db, d, a.id, "recovered", 700_000, date(2024, 7, 1))  # more than was compensated
    entries.follow(db, d, a.id, "released", 2_000_000, date(2024, 3, 1))
    with pytest.raises(Conflict):
        entries.follow(db, d, a.id, "released", 1, date(2024, 3, 2))  # nothing left in force
    with pytest.raises(DomainError):
        entries.follow(db, d, a.id, "repaid", 1, date(2024, 3, 2))  # not a guarantee's event
    db.commit()
    assert entries.in_use(db, g.id) == 0
    line = dict((i.code, f) for i, f in figures.overview(db, d))["guarantee_gov"]
    assert (line.opened, line.cases, line.compensated, line.recovered) == (3_000_000, 1, 1_000_000, 400_000)
    assert line.compensation_rate == pytest.approx(1 / 3)


def test_bridge_money_revolves(db, users, firm):
    d, b = users["district"], inst(db, "bridge_private")
    for month in range(1, 7):  # the whole 3,000 万 drawn and repaid six times
        c = entries.open_case(db, d, b, "drawn", b.capacity, date(2024, month, 3), firm_id=firm.id, term_days=7)
        entries.follow(db, d, c.id, "repaid", b.capacity, date(2024, month, 10))
    db.commit()
    line = dict((i.code, f) for i, f in figures.overview(db, d))["bridge_private"]
    assert (line.cases, line.opened, line.in_force, line.available) == (6, 6 * b.capacity, 0, b.capacity)


def test_a_reversal_corrects_an_entry(db, users, firm):
    d, g = users["district"], inst(db, "guarantee_gov")
    a = entries.open_case(db, d, g, "issued", 5_000_000, date(2024, 1, 1), firm_id=firm.id)
    entries.reverse(db, d, a.id, "金额录错")
    with pytest.raises(Conflict):
        entries.reverse(db, d, a.id, "再冲一次")
    db.commit()
    assert entries.in_use(db, g.id) == 0
    line = dict((i.code, f) for i, f in figures.overview(db, d))["guarantee_gov"]
    assert (line.opened, line.cases) == (0, 0)


def test_tbd_deal_names_the_four_parties(db, users, firm, bank):
    t = inst(db, "tbd")
    with pytest.raises(DomainError, match="四方"):
        entries.open_case(db, users["district"], t, "deal", 1_000_000, date(2024, 1, 1), firm_id=firm.id,
                          parties=[{"role": "bank", "name": "x", "share_pct": 100}])
    parties = [{"role": "bank", "name": bank.name, "share_pct": 40}, {"role": "guarantor", "name": "担保", "share_pct": 30},
               {"role": "investor", "name": "创投", "share_pct": 20}, {"role": "firm", "name": firm.name, "share_pct": 10}]
    e = entries.open_case(db, users["district"], t, "deal", 1_000_000, date(2024, 1, 1), firm_id=firm.id,
                          bank_id=bank.id, parties=parties)
    db.commit()
    assert db.get(LedgerEntry, e.id).parties[0]["share_pct"] == 40


def test_figures_equal_the_sum_of_their_entries(db, users, firm, bank, other_bank, other_township):
    d, g = users["district"], inst(db, "guarantee_gov")
    other = factories.FirmFactory(township_id=other_township.id, industry="textiles")
    for i, (f, b) in enumerate([(firm, bank), (other, other_bank), (firm, other_bank), (other, bank)]):
        c = entries.open_case(db, d, g, "issued", (i + 1) * 1_000_000, date(2024, i + 1, 2), firm_id=f.id,
                              bank_id=b.id)
        if i % 2:
            entries.follow(db, d, c.id, "released", 500_000, date(2024, i + 2, 2))
    db.commit()
    for dimension in figures.DIMENSIONS:
        lines = figures.breakdown(db, d, g.id, dimension)
        assert sum(f.in_force for f in lines) == entries.in_use(db, g.id)
        for line in lines:
            listed = db.scalars(figures.drill(db, d, g.id, dimension, line.key)).all()
            total = figures.totals(listed)
            assert (total.in_force, total.opened, total.cases) == (line.in_force, line.opened, line.cases), (
                dimension, line.key)


def test_each_role_sees_only_its_entries(db, users, firm, bank, other_bank):
    d, g = users["district"], inst(db, "guarantee_gov")
    mine = entries.open_case(db, d, g, "issued", 1_000_000, date(2024, 1, 2), firm_id=firm.id, bank_id=bank.id)
    other_firm = db.get(type(firm), users["other_enterprise"].firm_id)
    theirs = entries.open_case(db, d, g, "issued", 2_000_000, date(2024, 1, 2), firm_id=other_firm.id,
                               bank_id=other_bank.id)
    db.commit()
    seen = {role: {e.id for e in db.scalars(figures.visible_entries(users[role]))} for role in users}
    assert seen["district"] >= {mine.id, theirs.id}
    assert seen["township"] == {mine.id} and seen["other_township"] == {theirs.id}
    assert seen["enterprise"] == {mine.id} and seen["other_enterprise"] == {theirs.id}
    assert seen["bank_manager"] == {mine.id} and seen["bank_admin"] == {mine.id}
    assert seen["other_bank_manager"] == {theirs.id}


def test_ledger_rows_are_append_only_and_chained(db, users, firm):
    g = inst(db, "guarantee_gov")
    e = entries.open_case(db, users["district"], g, "issued", 1_000_000, date(2024, 1, 2), firm_id=firm.id)
    db.commit()
    with pytest.raises(DBAPIError):
        db.execute(text("UPDATE ledger_entry SET amount = 1 WHERE id = :id"), {"id": e.id})
    db.rollback()
    outcome = audit_chain.verify(db)
    assert outcome.ok and any(r.table == "ledger_entry" and r.rows >= 1 for r in outcome.reports)


def test_twenty_concurrent_issues_never_exceed_capacity(app, db, users, firm):
    b = inst(db, "bridge_district")
    instruments.update(db, users["district"], b.id, capital=5_500_000)  # room for five of twenty
    db.commit()
    make_session = app.extensions["db_sessionmaker"]
    barrier = threading.Barrier(20, timeout=60)
    results: list[str] = []

    def run() -> None:
        with make_session() as session:
            barrier.wait()
            try:
                entries.open_case(session, None, session.get(Instrument, b.id), "drawn", 1_000_000,
                                  date(2024, 5, 6), firm_id=firm.id, term_days=5)
                session.commit()
                results.append("won")
            except Conflict:
                session.rollback()
                results.append("lost")
            except Exception as exc:  # noqa: BLE001
                results.append(repr(exc))

    threads = [threading.Thread(target=run) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(results) == ["lost"] * 15 + ["won"] * 5
    assert db.scalar(select(func.sum(LedgerEntry.amount)).where(LedgerEntry.instrument_id == b.id)) == 5_000_000
    assert audit_chain.verify(db, store=False).ok

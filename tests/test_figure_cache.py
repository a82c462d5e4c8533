"""Figures computed once and shared (`shared_cache`): a bulletin, its platform figures, the progress rows and the
dashboard's claim days read from the cache equal a fresh computation — from the process's copy, and
(PostgreSQL) from the `figure_cache` row another worker would read — and every kind of change they are counted
from is seen at once."""
from __future__ import annotations

from datetime import date

from sqlalchemy import delete, event, select

from matchmaker.domain.banks import bulletins, periods, platform_figures, targets
from matchmaker.domain.core import settings, shared_cache
from matchmaker.models import BankTarget, Firm, Lead, MonthlyReport, WorkdayOverride
from matchmaker.models.cache import FigureCache

from .conftest import PG_URL
from .factories import MonthlyReportFactory
from .test_reports_bulletins import Q1, TODAY, _lead, _rate, cst, known  # noqa: F401

M = periods.parse("monthly", "2022-03")

KINDS = [M, Q1, periods.parse("annual", "2022")]


def _fresh(db, period):
    """Computed anew: nothing cached in the process or the table (this empties both)."""
    shared_cache.forget()
    db.execute(delete(FigureCache))
    db.commit()
    return bulletins.COMPUTE[period.kind](db, period, TODAY)


def _everywhere(db, period):
    """The bulletin from the process's copy, then as another process would get it (the table, or recounted)."""
    first = bulletins.compute(db, period, TODAY)
    again = bulletins.compute(db, period, TODAY)
    shared_cache.forget()
    other = bulletins.compute(db, period, TODAY)
    assert first == again == other
    return first


def test_bulletins_from_the_cache_equal_a_fresh_computation(db, known):  # noqa: F811
    fresh = {period: _fresh(db, period) for period in KINDS}
    for period in KINDS:
        assert _everywhere(db, period) == fresh[period]
    db.commit()
    keys = set(db.scalars(select(FigureCache.key)))
    if PG_URL:  # stored for the other workers, one row per bulletin and per figure set
        assert {"bulletin:monthly:2022-03", "bulletin:quarterly:2022Q1", "bulletin:annual:2022",
                "platform_figures:2022-03-01:2022-04-01", "compliance:2021-04-01:12"} <= keys
    else:
        assert keys == set()
    # each caller gets its own copy: changing one does not change the next
    data = bulletins.compute(db, M, TODAY)
    data["banks"][0]["platform"]["received"] = -1
    assert bulletins.compute(db, M, TODAY) == fresh[M]


def test_a_cached_bulletin_costs_its_stamp_only(db, app, known):  # noqa: F811
    bulletins.compute(db, Q1, TODAY)
    db.commit()
    seen = []
    engine = app.extensions["db_engine"]
    listener = lambda *a, **k: seen.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        bulletins.compute(db, Q1, TODAY)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert 0 < len(seen) <= 8
    assert not any("lead" in s and "GROUP BY" in s for s in seen)


def _changes(db, users, known):  # noqa: F811
    """Each a change the bulletins are counted from, made as the code (or a direct edit) would make it."""
    g, leads = known["g"], known["leads"]

    def claim():
        lead = db.get(Lead, leads["g4"].id)
        lead.state, lead.claimed_at = "claimed", cst(2022, 3, 22, 9, 0)

    def rate():
        _rate(db, db.get(Lead, leads["g5"].id), users, 2)

    def new_lead():
        _lead(db, g, "routed", cst(2022, 3, 25, 9, 0), date(2022, 3, 29))

    def correct_report():
        MonthlyReportFactory(bank_id=g.id, month=date(2022, 3, 1), version=2, deposits=5_000_000_000,
                             loans=4_000_000_000, industrial_loans=470_000_000, submitted_at=cst(2022, 4, 12, 9, 0))

    def first_loan_firm():  # a direct edit of the firm: no history row, its change time moves
        firm = db.get(Firm, db.get(Lead, leads["p1"].id).request.firm_id)
        firm.has_bank_loan = True

    def weights():
        settings.put(db, "evaluation_weights", {**bulletins.DEFAULT_WEIGHTS, "target": 20, "speed": 25})

    def day_off():  # 8 March a day off: the working days to claim and to decide change
        db.add(WorkdayOverride(day=date(2022, 3, 8), is_workday=False, note="test"))

    return [claim, rate, new_lead, correct_report, first_loan_firm, weights, day_off]


def test_every_change_is_seen_at_once(db, users, known):  # noqa: F811
    before = {period: _fresh(db, period) for period in KINDS}
    for period in KINDS:
        assert _everywhere(db, period) == before[period]
    db.commit()
    for change in _changes(db, users, known):
        change()
        db.commit()
        cached = {period: _everywhere(db, period) for period in KINDS}  # kept from before the change, if stale
        db.commit()
        now = {period: _fresh(db, period) for period in KINDS}
        assert cached == now, change.__name__
        assert now != before, change.__name__  # the change did move a figure
        before = now
        for period in KINDS:  # the caches hold the new figures for the next change
            _everywhere(db, period)
        db.commit()
    assert db.scalar(select(MonthlyReport.industrial_loans).where(MonthlyReport.version == 2)) == 470_000_000


def test_claim_days_by_bank_from_the_cache_follow_a_claim(db, known):  # noqa: F811
    def fresh():
        return platform_figures._claim_workdays(db, None, None)  # the computation itself, no cache

    cached = platform_figures.claim_workdays_by_bank(db)
    assert cached == fresh() and cached
    lead = db.get(Lead, known["leads"]["g4"].id)
    lead.state, lead.claimed_at = "claimed", cst(2022, 3, 29, 9, 0)
    db.commit()
    shared_cache.forget()
    after = platform_figures.claim_workdays_by_bank(db)
    assert after == fresh() and after != cached


def test_progress_rows_from_the_cache_follow_a_correction_and_a_target(db, known):  # noqa: F811
    def both():
        fresh = targets._latest_progress(db, 2022, None, None)  # the computation itself, no cache
        cached = targets.latest_progress(db, 2022)
        shared_cache.forget()
        assert targets.latest_progress(db, 2022) == cached == fresh
        return fresh

    before = both()
    MonthlyReportFactory(bank_id=known["g"].id, month=date(2022, 3, 1), version=2, deposits=5_000_000_000,
                         loans=4_000_000_000, industrial_loans=470_000_000, submitted_at=cst(2022, 4, 12, 9, 0))
    db.commit()
    corrected = both()
    assert corrected != before
    target = db.scalar(select(BankTarget).where(BankTarget.bank_id == known["p"].id, BankTarget.year == 2022))
    target.industrial_loans_yi += 1
    db.commit()
    assert both() != corrected

"""`matchmaker sweep`: unclaimed leads past the claim deadline expire and the request moves to the next-best
eligible bank (or becomes unmatched); claimed leads past the contact or decision deadline are escalated to the
township and the district; a second run changes nothing; two runs at once expire and re-route nothing twice."""
import json
import threading
from collections import Counter
from datetime import date, datetime, timedelta

import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from matchmaker.domain.requests import financing, routing, sweep
from matchmaker.domain.requests.eligibility import FirmFacts, RequestFacts
from matchmaker.models import (
    Bank,
    FinancingRequest,
    History,
    Lead,
    LeadEscalation,
    Notification,
    Product,
    WorkdayOverride,
)

from . import factories

CST = timedelta(hours=8)
D = date.fromisoformat


def bj(text: str) -> datetime:
    """A Beijing wall-clock time as the naive UTC instant the app stores."""
    return datetime.fromisoformat(text) - CST


def file(db, users, firm, on: str, **kw) -> FinancingRequest:
    values = dict(amount_yuan=300_0000, term_months=12, purpose="购买原材料", collateral="property")
    values.update(kw)
    req = financing.file_request(db, users["district"], firm, today=D(on), **values)
    db.commit()
    return req


def leads_of(db, req) -> list[Lead]:
    db.expire_all()
    return db.scalars(select(Lead).where(Lead.request_id == req.id).order_by(Lead.rank)).all()


def test_unclaimed_leads_expire_after_the_deadline_and_the_next_best_banks_get_the_request(db, users, firm):
    req = file(db, users, firm, "2025-01-24")  # Friday before the Spring Festival
    first = leads_of(db, req)
    assert len(first) == 3 and {lead.claim_deadline for lead in first} == {D("2025-01-27")}  # Sun 26th works

    assert sweep.sweep(db, bj("2025-01-27T23:59")).changed == 0
    assert {lead.state for lead in leads_of(db, req)} == {"routed"}

    ctx = routing.load_context(db, D("2025-01-28"))
    expected = routing.rank(ctx, FirmFacts.from_firm(firm), RequestFacts.from_request(req),
                            exclude_banks={lead.bank_id for lead in first}, limit=3)
    result = sweep.sweep(db, bj("2025-01-28T00:00:01"))
    assert (result.expired, result.rerouted_requests, result.new_leads) == (3, 1, 3)
    after = leads_of(db, req)
    assert [lead.state for lead in after[:3]] == ["expired"] * 3
    new = after[3:]
    assert [(lead.bank_id, lead.product_id) for lead in new] == [(m.bank_id, m.product_id) for m in expected]
    assert [lead.rank for lead in new] == [4, 5, 6]
    assert {lead.claim_deadline for lead in new} == {D("2025-02-06")}  # 01-28..02-04 off: Wed 5th, Thu 6th
    assert not {lead.bank_id for lead in new} & {lead.bank_id for lead in first}
    db.expire_all()
    assert db.get(FinancingRequest, req.id).state == "routed"
    expired_history = db.scalars(select(History).where(History.entity == "lead", History.to_state == "expired",
                                                       History.request_id == req.id)).all()
    assert len(expired_history) == 3 and {h.actor_role for h in expired_history} == {"system"}
    assert "2025-01-27" in expired_history[0].note
    notified = db.scalars(select(Notification.kind).where(Notification.kind.in_(("expiry", "new_lead")))).all()
    assert "expiry" in notified and "new_lead" in notified


def test_only_the_expired_leads_are_replaced(db, users, firm):
    req = file(db, users, firm, "2025-01-24")
    claimed = leads_of(db, req)[0]
    claimed.state, claimed.claimed_at = "claimed", bj("2025-01-27T10:00")
    db.commit()
    result = sweep.sweep(db, bj("2025-01-28T09:00"))
    assert (result.expired, result.new_leads) == (2, 2)
    assert Counter(lead.state for lead in leads_of(db, req)) == {"claimed": 1, "expired": 2, "routed": 2}


def _limit_to_banks(db, bank_ids: set[int]):
    for p in db.scalars(select(Product)):
        p.active = p.bank_id in bank_ids
    db.commit()


def test_with_no_bank_left_and_nothing_open_the_request_becomes_unmatched(db, users, firm, bank):
    _limit_to_banks(db, {bank.id})
    req = file(db, users, firm, "2025-01-24")
    assert [lead.bank_id for lead in leads_of(db, req)] == [bank.id]
    result = sweep.sweep(db, bj("2025-01-28T09:00"))
    assert (result.expired, result.new_leads, result.unmatched) == (1, 0, 1)
    db.expire_all()
    states = db.scalars(select(History.to_state).where(History.entity == "request",
                                                       History.request_id == req.id)).all()
    assert "unmatched" in states  # (the referral may have moved it on to "referred" since)
    assert db.get(FinancingRequest, req.id).state in ("unmatched", "referred")


def test_with_no_bank_left_but_another_lead_open_the_request_stays_routed(db, users, firm, bank, other_bank):
    _limit_to_banks(db, {bank.id, other_bank.id})
    req = file(db, users, firm, "2025-01-24")
    one, two = leads_of(db, req)
    one.state, one.claimed_at = "claimed", bj("2025-01-27T10:00")
    db.commit()
    result = sweep.sweep(db, bj("2025-01-28T09:00"))
    assert (result.expired, result.new_leads, result.unmatched) == (1, 0, 0)
    db.expire_all()
    assert db.get(FinancingRequest, req.id).state == "routed"


def _claimed(db, users, firm, bank, claimed_local: str, state: str = "claimed") -> Lead:
    req, lead = factories.routed_request(db, firm, bank, state=state)
    lead.claimed_at = bj(claimed_local)
    lead.manager_id = users["bank_manager"].id
    db.commit()
    return lead


def test_claimed_leads_past_contact_and_decision_deadlines_are_escalated_once(db, users, firm, bank):
    lead = _claimed(db, users, firm, bank, "2025-09-29T16:00")  # Monday before National Day
    contacted = _claimed(db, users, firm, bank, "2025-09-29T16:00", state="contacted")
    approved = _claimed(db, users, firm, bank, "2025-09-29T16:00", state="approved")
    assert sweep.sweep(db, bj("2025-10-10T23:00")).changed == 0  # contact due Fri 10-10 (09-30, 10-09, 10-10)
    result = sweep.sweep(db, bj("2025-10-11T08:00"))  # the working Saturday
    assert result.escalated == {"contact": 1, "decision": 0}
    esc = db.scalar(select(LeadEscalation).where(LeadEscalation.lead_id == lead.id))
    assert (esc.kind, esc.due_on) == ("contact", D("2025-10-10"))
    assert sweep.sweep(db, bj("2025-10-20T20:00")).changed == 0  # decision due Mon 10-20
    result = sweep.sweep(db, bj("2025-10-21T08:00"))
    assert result.escalated == {"contact": 0, "decision": 2}
    kinds = set(db.execute(select(LeadEscalation.lead_id, LeadEscalation.kind)).all())
    assert kinds == {(lead.id, "contact"), (lead.id, "decision"), (contacted.id, "decision")}
    assert approved.id not in {k[0] for k in kinds}
    assert sweep.sweep(db, bj("2025-12-01T08:00")).changed == 0

    township_user, district_user = users["township"], users["district"]
    def notes_for(user):
        return db.scalars(select(Notification.title).where(Notification.user_id == user.id,
                                                           Notification.kind == "escalation")).all()
    assert len(notes_for(township_user)) == 2 and len(notes_for(district_user)) == 2
    assert notes_for(users["other_township"]) == []
    assert any(firm.name in t and "超期未联系" in t for t in notes_for(township_user))


def test_overdue_list_by_role(as_role, db, users, firm, bank, other_township):
    other_firm = factories.FirmFactory(township_id=other_township.id, name="枣庄外镇街超期有限公司")
    lead = _claimed(db, users, firm, bank, "2025-09-29T16:00")
    _claimed(db, users, other_firm, bank, "2025-09-29T16:00")
    sweep.sweep(db, bj("2025-10-21T08:00"))
    township = as_role("township").get("/overdue/").get_data(as_text=True)
    assert firm.name in township and "枣庄外镇街超期有限公司" not in township
    assert "认领后超期未联系企业" in township and "2025-10-10" in township
    district = as_role("district").get("/overdue/").get_data(as_text=True)
    assert firm.name in district and "枣庄外镇街超期有限公司" in district
    assert as_role("enterprise").get("/overdue/").status_code == 403

    lead.state, lead.contacted_at = "contacted", bj("2025-10-22T09:00")  # the bank finally called
    db.commit()
    still = as_role("township").get("/overdue/?kind=contact").get_data(as_text=True)
    assert firm.name not in still
    assert firm.name in as_role("township").get("/overdue/?kind=contact&show=all").get_data(as_text=True)


def test_sweep_command_with_now_prints_json_and_second_run_changes_nothing(app, db, users, firm):
    req = file(db, users, firm, "2025-09-26")  # Fri; Sun 09-28 works: deadline Mon 09-29
    assert {lead.claim_deadline for lead in leads_of(db, req)} == {D("2025-09-29")}
    runner = app.test_cli_runner()
    out = runner.invoke(args=["sweep", "--now", "2025-09-30T09:00", "--json"])
    assert out.exit_code == 0, out.output
    first = json.loads(out.output.strip().splitlines()[-1])
    assert first["expired"] == 3 and first["today"] == "2025-09-30" and first["changed"] >= 3
    second = json.loads(runner.invoke(args=["sweep", "--now", "2025-09-30T09:00", "--json"]).output.splitlines()[-1])
    assert second["changed"] == 0
    text = runner.invoke(args=["sweep", "--now", "2025-09-30T01:00:00+00:00"])
    assert text.exit_code == 0 and "[2025-09-30] 超时线索 0 条" in text.output
    bad = runner.invoke(args=["sweep", "--now", "next tuesday"])
    assert bad.exit_code != 0 and "不是 ISO 日期时间" in bad.output
    far = runner.invoke(args=["sweep", "--now", "0001-01-01"])
    assert far.exit_code != 0 and "超出 2000–2100 年" in far.output


def test_time_travel_filing_and_sweeping_across_the_spring_festival(db, users, firm):
    with time_machine.travel(bj("2025-01-24T10:00"), tick=False):
        req = financing.file_request(db, users["district"], firm, amount_yuan=300_0000, term_months=12,
                                     purpose="x", collateral="property")
        db.commit()
        assert {lead.claim_deadline for lead in req.leads} == {D("2025-01-27")}
    with time_machine.travel(bj("2025-01-27T18:00"), tick=False):
        assert sweep.sweep(db).expired == 0
    with time_machine.travel(bj("2025-01-28T08:00"), tick=False):
        result = sweep.sweep(db)
        assert result.expired == 3 and result.today == "2025-01-28"


def test_a_2027_deadline_uses_the_table_or_falls_back_without_crashing(db, users, firm, app):
    req = file(db, users, firm, "2026-12-31")  # Thursday; the library knows nothing of 2027
    assert {lead.claim_deadline for lead in leads_of(db, req)} == {D("2027-01-04")}  # Fri 01-01 counted
    result = sweep.sweep(db, bj("2027-01-05T09:00"))
    assert result.expired == 3 and result.calendar_fallback_days > 0
    db.add(WorkdayOverride(day=D("2027-01-01"), is_workday=False, note="元旦"))
    db.commit()
    req2 = file(db, users, factories.FirmFactory(township_id=firm.township_id), "2026-12-31")
    assert {lead.claim_deadline for lead in leads_of(db, req2)} == {D("2027-01-05")}
    assert sweep.sweep(db, bj("2027-01-05T09:00")).expired == 0
    assert app.test_cli_runner().invoke(args=["sweep", "--now", "2027-06-01T09:00"]).exit_code == 0


# Idempotency as a property -----------------------------------------------------------------------------------------

LEAD_STATES = ["routed", "claimed", "contacted", "in_review", "approved", "declined", "expired"]
scenario = st.lists(st.tuples(st.sampled_from(LEAD_STATES), st.integers(-20, 5), st.integers(0, 30)),
                    min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(leads=scenario, now_offset=st.integers(0, 40), banks_per_request=st.integers(1, 3))
def test_sweep_twice_equals_sweep_once(db, users, leads, now_offset, banks_per_request):
    """Random leads (state, claim deadline and claim date around a base day) swept at a random time: the second
    run reports no change and leaves every table as the first left it."""
    base = D("2025-09-15")
    banks = db.scalars(select(Bank).order_by(Bank.seq)).all()
    firm = factories.FirmFactory(township_id=users["township"].township_id)
    try:
        for i in range(0, len(leads), banks_per_request):
            req = factories.RequestFactory(firm=firm, state="routed")
            for j, (state, deadline_offset, claimed_ago) in enumerate(leads[i:i + banks_per_request]):
                bank = banks[(i + j) % len(banks)]
                claimed = state not in ("routed", "expired")
                db.add(Lead(request=req, bank_id=bank.id, state=state, rank=j + 1, score_parts={},
                            claim_deadline=base + timedelta(days=deadline_offset),
                            claimed_at=bj(f"{base - timedelta(days=claimed_ago)}T10:00") if claimed else None))
        db.flush()
        now = bj(f"{base + timedelta(days=now_offset)}T09:00")
        sweep.sweep(db, now, commit=False)
        once = snapshot_in_transaction(db)
        second = sweep.sweep(db, now, commit=False)
        assert second.changed == 0 and second.notifications == 0
        assert snapshot_in_transaction(db) == once
    finally:
        db.rollback()


def snapshot_in_transaction(db) -> dict:
    db.flush()
    return {
        "leads": sorted(db.execute(select(Lead.id, Lead.state, Lead.bank_id, Lead.claim_deadline)).all()),
        "requests": sorted(db.execute(select(FinancingRequest.id, FinancingRequest.state)).all()),
        "escalations": sorted(db.execute(select(LeadEscalation.lead_id, LeadEscalation.kind)).all()),
        "history": db.scalar(select(func.count()).select_from(History)),
        "notifications": db.scalar(select(func.count()).select_from(Notification)),
    }


# Two sweeps at once ------------------------------------------------------------------------------------------------

def test_two_sweeps_at_once_expire_and_reroute_nothing_twice(app, db, users, township):
    """Two threads, each with its own session, sweep the same overdue leads in small batches (SQLite and
    PostgreSQL): every overdue lead is expired exactly once, every request gets at most as many new banks as it
    lost and never the same bank twice, every escalation is written once."""
    banks = db.scalars(select(Bank).order_by(Bank.seq)).all()
    firms = [factories.FirmFactory(township_id=township.id) for _ in range(4)]
    overdue = []
    for n in range(60):
        req = factories.RequestFactory(firm=firms[n % 4], state="routed", amount=100_0000, term_months=12,
                                       collateral="none")
        for j in range(3):
            lead = Lead(request=req, bank_id=banks[(n + j) % len(banks)].id, state="routed", rank=j + 1,
                        score_parts={}, claim_deadline=D("2025-03-03"))
            db.add(lead)
            overdue.append(lead)
        db.add(Lead(request=req, bank_id=banks[(n + 5) % len(banks)].id, state="claimed", rank=4, score_parts={},
                    claim_deadline=D("2025-03-03"), claimed_at=bj("2025-03-01T10:00")))
    db.commit()
    factory = app.extensions["db_sessionmaker"]
    now = bj("2025-03-20T09:00")
    results, errors = [], []
    barrier = threading.Barrier(2)

    def run():
        try:
            with factory() as session:
                barrier.wait()
                results.append(sweep.sweep(session, now, batch_size=7))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert sum(r.expired for r in results) == len(overdue) == 180
    db.expire_all()
    expired_rows = Counter(db.scalars(select(History.entity_id).where(History.entity == "lead",
                                                                      History.to_state == "expired")).all())
    assert set(expired_rows.values()) == {1} and len(expired_rows) == 180
    per_request = Counter()
    for request_id, bank_id in db.execute(select(Lead.request_id, Lead.bank_id)):
        per_request[(request_id, bank_id)] += 1
    assert set(per_request.values()) == {1}  # no bank got the same request twice
    new = Counter(db.scalars(select(Lead.request_id).where(Lead.rank > 4)).all())
    assert all(n <= 3 for n in new.values()) and sum(new.values()) == sum(r.new_leads for r in results)
    routed_history = db.scalar(select(func.count()).select_from(History).where(
        History.entity == "lead", History.to_state == "routed"))
    assert routed_history == sum(r.new_leads for r in results)
    assert db.scalar(select(func.count()).select_from(LeadEscalation)) == 120  # 60 claimed x contact, decision
    assert sum(sum(r.escalated.values()) for r in results) == 120
    assert sweep.sweep(db, now).changed == 0


# The set-based referral the sweep uses does what the per-request one does ------------------------------------------

def _effects(db, req_id: int) -> dict:
    def norm(text: str) -> str:
        return text.replace(f"R-{req_id}", "R-N").replace(f"request={req_id}", "request=N").replace(
            f"/requests/{req_id}", "/requests/N")
    db.expire_all()
    from matchmaker.models import Referral

    return {
        "state": db.get(FinancingRequest, req_id).state,
        "referrals": sorted(db.execute(select(Referral.target, Referral.state, Referral.township_id)
                                       .where(Referral.request_id == req_id)).all()),
        "history": sorted((h.entity, h.from_state, h.to_state, h.actor_role, h.note) for h in db.scalars(
            select(History).where(History.request_id == req_id))),
        "notifications": sorted((n.user_id, n.kind, norm(n.title), norm(n.body), norm(n.link)) for n in db.scalars(
            select(Notification).where(Notification.kind == "referral",
                                       Notification.link.contains(str(req_id))))),
    }


def test_bulk_close_and_referral_match_the_per_request_ones(db, users, firm, bank):
    from matchmaker.domain.requests.unmatched import close_if_unmatched, close_many_if_unmatched

    for renewal in (False, True):
        pair = []
        for _ in range(2):
            req, lead = factories.routed_request(db, firm, bank, state="declined")
            req.renewal = renewal
            pair.append(req)
        still_open, _ = factories.routed_request(db, firm, bank, state="claimed")
        db.commit()
        one, many = pair
        assert close_if_unmatched(db, db.get(FinancingRequest, one.id)) is True
        assert close_many_if_unmatched(db, [many.id, still_open.id]) == [many.id]
        db.commit()
        a, b = _effects(db, one.id), _effects(db, many.id)
        assert a == b and a["state"] == "referred" and a["notifications"]
        assert len(a["referrals"]) == (3 if renewal else 2)
        assert db.get(FinancingRequest, still_open.id).state == "routed"
        assert close_many_if_unmatched(db, [many.id]) == []  # nothing twice

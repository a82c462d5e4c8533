"""Intentions at an event become leads claimed by the bank and follow the normal lifecycle; the event report
shows what became of them (live from the leads) on the page and in .xlsx; stalled ones are followed up."""
import io

import openpyxl
import pytest
from sqlalchemy import select

from matchmaker.domain.core.errors import DomainError, Forbidden
from matchmaker.domain.core.workdays import add_workdays, local_date
from matchmaker.domain.events import checkin, intentions
from matchmaker.domain.events import invitations as inv
from matchmaker.domain.events import organising as events
from matchmaker.domain.events import report as reports
from matchmaker.domain.requests import financing, leads
from matchmaker.models import History, Notification, Product

from . import factories
from .events_support import make_event, product_of

WAN = 10_000


@pytest.fixture
def held(db, users, township, bank, other_bank):
    """An event today with two banks; firms A, B, C checked in, D invited but absent."""
    event = make_event(db, users["township"], banks=[bank, other_bank], capacity=10)
    firms = {k: factories.FirmFactory(township_id=township.id, name=f"枣庄{k}测试新材料有限公司") for k in "ABCD"}
    rows = {r.firm_id: r for r in inv.send_invitations(db, users["township"], event, [f.id for f in firms.values()])}
    for k in "ABC":
        checkin.check_in(db, users["township"], event, rows[firms[k].id].id)
    db.commit()
    return event, firms


def record(db, actor, event, firm, bank, amount_wan, **kw):
    return intentions.record_intention(db, actor, event, firm_id=firm.id, bank_id=bank.id,
                                       product_id=kw.pop("product_id", None) or product_of(db, bank).id,
                                       amount_yuan=amount_wan * WAN, **kw)


def test_intention_becomes_a_claimed_lead_with_history(db, users, held, bank):
    event, firms = held
    official, manager = users["township"], users["bank_manager"]
    row = record(db, official, event, firms["A"], bank, 500, manager_id=manager.id, kind="signing")
    lead, req = row.lead, db.get(type(row.lead.request), row.request_id)
    assert (req.state, lead.state, lead.manager_id, lead.bank_id) == ("routed", "claimed", manager.id, bank.id)
    assert req.amount == 500 * WAN and req.firm_id == firms["A"].id and lead.claimed_at is not None
    assert event.title in req.purpose and "event" in lead.score_parts
    history = db.scalars(select(History).where(History.request_id == req.id).order_by(History.id)).all()
    assert [(h.entity, h.from_state, h.to_state, h.actor_id) for h in history] == [
        ("request", None, "routed", official.id), ("lead", None, "claimed", official.id)]
    note = db.scalar(select(Notification).where(Notification.user_id == manager.id, Notification.kind == "new_lead"))
    assert note.link == f"/bank/leads/{lead.id}"
    # the bank manager sees it in their own open leads and can work it
    assert lead.id in db.scalars(leads.visible_leads(manager).where(leads.Lead.manager_id == manager.id)
                                 .with_only_columns(leads.Lead.id)).all()
    leads.record_contact(db, manager, lead.id)
    assert lead.state == "contacted"


def test_intention_rules(db, users, held, bank, other_bank):
    event, firms = held
    official = users["township"]
    with pytest.raises(DomainError) as caught:
        record(db, official, event, firms["D"], bank, 100, manager_id=users["bank_manager"].id)
    assert caught.value.field == "firm_id"  # invited but never checked in
    with pytest.raises(DomainError) as caught:
        record(db, official, event, firms["A"], bank, 100, manager_id=users["bank_manager"].id,
               product_id=product_of(db, other_bank).id)
    assert caught.value.field == "product_id"
    with pytest.raises(DomainError) as caught:
        record(db, official, event, firms["A"], bank, 100)
    assert caught.value.field == "manager_id"
    with pytest.raises(DomainError) as caught:
        record(db, official, event, firms["A"], bank, 100, manager_id=users["other_bank_manager"].id)
    assert caught.value.field == "manager_id"
    with pytest.raises(Forbidden):
        record(db, users["bank_manager"], event, firms["A"], other_bank, 100)
    with pytest.raises(Forbidden):
        record(db, users["other_township"], event, firms["A"], bank, 100, manager_id=users["bank_manager"].id)
    with pytest.raises(DomainError) as caught:
        record(db, users["bank_manager"], event, firms["A"], bank, 0)
    assert caught.value.field == "amount_wan"
    first = record(db, users["bank_manager"], event, firms["A"], bank, 100)
    with pytest.raises(DomainError) as caught:
        record(db, users["bank_manager"], event, firms["A"], bank, 120)
    assert f"#{first.id}" in caught.value.message
    lonely = db.scalar(select(Product).where(Product.bank_id.not_in(event.bank_ids)))
    with pytest.raises(DomainError) as caught:
        intentions.record_intention(db, official, event, firm_id=firms["A"].id, bank_id=lonely.bank_id,
                                    product_id=lonely.id, amount_yuan=WAN)
    assert caught.value.field == "bank_id"


def _work_three(db, users, event, firms, bank, other_bank):
    """A: approved 400万, accepted, disbursed 350万. B: declined for collateral. C (other bank): still open."""
    manager = users["bank_manager"]
    a = record(db, users["township"], event, firms["A"], bank, 500, manager_id=manager.id)
    b = record(db, manager, event, firms["B"], bank, 300)
    c = record(db, users["other_bank_manager"], event, firms["C"], other_bank, 200)
    leads.record_contact(db, manager, a.lead_id)
    leads.start_review(db, manager, a.lead_id)
    offer = leads.approve(db, manager, a.lead_id, amount_yuan=400 * WAN, rate_pct="3.85", term_months=12)
    financing.accept_offer(db, users["township"], offer.id)
    leads.disburse(db, manager, a.lead_id, 350 * WAN, local_date())
    leads.decline(db, manager, b.lead_id, "collateral")
    db.commit()
    return a, b, c


def test_intention_to_disbursement_shows_in_the_report(db, users, held, bank, other_bank):
    event, firms = held
    a, b, c = _work_three(db, users, event, firms, bank, other_bank)
    report = reports.event_report(db, event)
    att = report.attendance
    assert (att.invited, att.accepted, att.attended, att.walk_ins) == (4, 3, 3, 0)
    t = report.totals
    assert (t.count, t.intended, t.approved, t.approved_amount, t.disbursed, t.disbursed_amount, t.declined, t.open) == (
        3, 1000 * WAN, 1, 400 * WAN, 1, 350 * WAN, 1, 1)
    assert str(t.conversion) == "33.3" and str(t.amount_conversion) == "35.0"
    by_bank = {f.label: f for f in report.by_bank}
    assert (by_bank[bank.name].count, by_bank[bank.name].intended, by_bank[bank.name].declined) == (2, 800 * WAN, 1)
    assert (by_bank[other_bank.name].count, by_bank[other_bank.name].open) == (1, 1)
    assert report.decline_reasons == [("抵押担保不足", 1)]
    assert [reports.outcome_of(r.lead.state) for r in report.rows] == ["disbursed", "declined", "open"]
    mine = reports.event_report(db, event, bank_id=other_bank.id)
    assert (mine.totals.count, mine.totals.intended, [r.id for r in mine.rows]) == (1, 200 * WAN, [c.id])


def test_report_xlsx_has_the_figures(db, users, held, bank, other_bank):
    event, firms = held
    _work_three(db, users, event, firms, bank, other_bank)
    book = openpyxl.load_workbook(io.BytesIO(reports.report_xlsx(reports.event_report(db, event))))
    assert book.sheetnames == ["概况", "按银行和产品", "意向明细", "拒绝原因"]
    overview = {r[0]: r[1] for r in book["概况"].iter_rows(min_row=3, values_only=True)}
    assert overview["实到企业"] == 3 and overview["意向数"] == 3 and overview["意向金额（万元）"] == 1000
    assert overview["放款金额（万元）"] == 350 and overview["已拒绝"] == 1
    detail = list(book["意向明细"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[8]) for r in detail] == [(firms["A"].name, "已放款"), (firms["B"].name, "已拒绝"),
                                              (firms["C"].name, "办理中")]
    assert detail[1][9] == "抵押担保不足"
    sums = list(book["按银行和产品"].iter_rows(values_only=True))[-1]
    assert sums[0] == "合计" and sums[2] == 3 and sums[3] == 1000 and sums[7] == 350
    assert list(book["拒绝原因"].iter_rows(min_row=2, values_only=True)) == [("抵押担保不足", 1)]


def test_district_conversion_by_township_industry_and_bank(db, users, held, bank, other_bank, township):
    event, firms = held
    _work_three(db, users, event, firms, bank, other_bank)
    by_township = reports.conversion(db, "township")
    assert [(f.label, f.count, f.disbursed_amount) for f in by_township] == [(township.name, 3, 350 * WAN)]
    by_industry = reports.conversion(db, "industry", year=event.starts_at.year)
    assert [(f.label, f.count) for f in by_industry] == [("化工", 3)]  # the factory's firms are chemicals
    assert reports.conversion(db, "industry", year=event.starts_at.year - 1) == []
    by_bank = {f.label: (f.count, f.disbursed) for f in reports.conversion(db, "bank")}
    assert by_bank == {bank.name: (2, 1), other_bank.name: (1, 0)}


def test_followups_and_escalation(db, users, held, bank, other_bank, township):
    event, firms = held
    _a, _b, c = _work_three(db, users, event, firms, bank, other_bank)
    today = events.local_today()
    official = users["township"]
    assert intentions.followups(db, official, today=add_workdays(today, 4), workdays=5) == []
    later = add_workdays(today, 5)
    stale = intentions.followups(db, official, today=later, workdays=5)
    assert [(f.intention.id, f.idle_workdays) for f in stale] == [(c.id, 5)]
    assert intentions.followups(db, users["other_township"], today=later, workdays=5) == []
    assert intentions.escalate(db, today=later, workdays=5) == 1
    got = {n.user_id for n in db.scalars(select(Notification).where(Notification.kind == "escalation"))}
    assert {official.id, users["district"].id, users["other_bank_manager"].id} <= got
    assert users["other_township"].id not in got and users["bank_manager"].id not in got
    assert intentions.escalate(db, today=later, workdays=5) == 0  # idempotent
    leads.record_contact(db, users["other_bank_manager"], c.lead_id)
    assert intentions.followups(db, official, today=add_workdays(today, 4), workdays=5) == []
    assert intentions.escalate(db, today=later, workdays=5) == 1  # new state, stalled again: escalated again


def test_followup_setting(db, users):
    assert intentions.followup_workdays(db) == intentions.FOLLOWUP_DEFAULT
    intentions.set_followup_workdays(db, users["district"], 8)
    assert intentions.followup_workdays(db) == 8
    with pytest.raises(Forbidden):
        intentions.set_followup_workdays(db, users["township"], 3)
    with pytest.raises(DomainError):
        intentions.set_followup_workdays(db, users["district"], 0)


def test_cli_followups_and_report(app, db, users, held, bank, other_bank, tmp_path):
    event, firms = held
    _work_three(db, users, event, firms, bank, other_bank)
    runner = app.test_cli_runner()
    later = add_workdays(events.local_today(), 6).isoformat()
    result = runner.invoke(args=["event-followups", "--today", later, "--workdays", "5", "--escalate"])
    assert result.exit_code == 0, result.output
    assert firms["C"].name in result.output and "共 1 条" in result.output and "已督办 1 条" in result.output
    again = runner.invoke(args=["event-followups", "--today", later, "--workdays", "5", "--escalate"])
    assert "已督办 0 条" in again.output
    out = tmp_path / "event.xlsx"
    result = runner.invoke(args=["event-report", str(event.id), "-o", str(out)])
    assert result.exit_code == 0 and "意向 3 笔，已放款 1 笔" in result.output
    overview = {r[0]: r[1] for r in openpyxl.load_workbook(out)["概况"].iter_rows(min_row=3, values_only=True)}
    assert overview["意向数"] == 3 and overview["放款金额（万元）"] == 350
    assert runner.invoke(args=["event-report", "999999", "-o", str(out)]).exit_code != 0


def test_followup_page_lists_stalled_intentions(db, users, as_role, held, bank, other_bank):
    from datetime import timedelta

    event, firms = held
    _a, _b, c = _work_three(db, users, event, firms, bank, other_bank)
    db.commit()
    # the history is append-only (a trigger refuses UPDATE): age it as direct database access would
    from .test_audit_chain import _tamper

    ids = list(db.scalars(select(History.id).where(History.request_id == c.request_id)))
    moved = [(i, at - timedelta(days=30)) for i, at in db.execute(
        select(History.id, History.at).where(History.id.in_(ids)))]
    for row_id, at in moved:
        _tamper(db, "UPDATE history SET at = :at WHERE id = :id", params={"at": at, "id": row_id})
    c.created_at -= timedelta(days=30)
    db.commit()
    page = as_role("township").get("/events/followups?sort=amount").get_data(as_text=True)
    assert firms["C"].name in page and other_bank.name in page and firms["A"].name not in page
    assert as_role("other_township").get("/events/followups").get_data(as_text=True).count(firms["C"].name) == 0
    done = as_role("township").post("/events/followups/escalate", follow_redirects=True).get_data(as_text=True)
    assert "已督办 1 条意向" in done and "已督办 20" in done

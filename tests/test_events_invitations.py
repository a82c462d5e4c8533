"""Invitations to matchmaking events: filters against a known set of firms, the township rule (never a firm
outside the official's township), sending, replying with a need, and notifications to banks and firms."""
import pytest
from sqlalchemy import func, select

from matchmaker.domain.core.errors import DomainError, Forbidden
from matchmaker.domain.events import invitations as inv
from matchmaker.domain.events import organising as events
from matchmaker.models import EventInvitation, FinancingRequest, Notification

from .events_support import invite_directly, known_firms, make_event


@pytest.fixture
def firms(db, users, township, other_township):
    return known_firms(db, township, other_township)


@pytest.fixture
def event(db, users, bank):
    return make_event(db, users["township"], banks=[bank], days_from_today=7)


def names(rows, firms) -> set[str]:
    by_id = {f.id: key for key, f in firms.items()}
    return {by_id[f.id] for f in rows if f.id in by_id}


def pick(db, actor, event, firms, **filters):
    return names(inv.candidates(db, actor, event, inv.InviteFilters(**filters)), firms)


def test_filters_against_known_firms(db, users, event, firms):
    official = users["township"]
    older = make_event(db, official, title="往期活动", days_from_today=-1)
    invite_directly(db, older, firms["D"], days_ago=60)
    invite_directly(db, older, firms["E"], days_ago=240)

    assert pick(db, official, event, firms) == {"A", "B", "C", "D", "E"}
    assert pick(db, official, event, firms, industries=["new_materials"]) == {"A", "B"}
    assert pick(db, official, event, firms, industries=["new_materials", "textiles"]) == {"A", "B", "C"}
    assert pick(db, official, event, firms, first_loan=True) == {"A", "C"}
    assert pick(db, official, event, firms, requests="open") == {"B"}
    assert pick(db, official, event, firms, requests="unmatched") == {"C"}
    assert pick(db, official, event, firms, requests="open_or_unmatched") == {"B", "C"}
    assert pick(db, official, event, firms, not_invited_months=6) == {"A", "B", "C", "E"}
    assert pick(db, official, event, firms, not_invited_months=12) == {"A", "B", "C"}
    assert pick(db, official, event, firms, first_loan=True, industries=["new_materials"]) == {"A"}
    assert pick(db, official, event, firms, search="zzjxcl") == {"A"}  # pinyin initials of 枣庄甲新材料
    assert pick(db, official, event, firms, search=firms["C"].uscc) == {"C"}


def test_firms_already_on_the_list_are_not_candidates(db, users, event, firms):
    inv.send_invitations(db, users["township"], event, [firms["A"].id])
    assert pick(db, users["township"], event, firms, industries=["new_materials"]) == {"B"}


def test_township_filter_never_widens_an_officials_reach(db, users, event, firms, other_township):
    official = users["township"]
    assert pick(db, official, event, firms, township_id=other_township.id) == set()
    assert "F" not in pick(db, official, event, firms, industries=["new_materials"], search="zzjxcl")
    district = users["district"]
    assert pick(db, district, event, firms, township_id=other_township.id) == {"F"}
    assert pick(db, district, event, firms, industries=["new_materials"]) == {"A", "B", "F"}


def test_official_can_never_invite_a_firm_outside_their_township(db, users, event, firms):
    with pytest.raises(Forbidden) as caught:
        inv.send_invitations(db, users["township"], event, [firms["A"].id, firms["F"].id])
    assert firms["F"].name in caught.value.message
    db.rollback()
    count = db.scalar(select(func.count()).select_from(EventInvitation).where(EventInvitation.event_id == event.id))
    assert count == 0  # all or nothing: not even A was invited
    assert not inv.may_invite(users["township"], firms["F"])
    assert inv.may_invite(users["district"], firms["F"])


def test_other_townships_official_cannot_manage_the_event(db, users, event, firms):
    with pytest.raises(Forbidden):
        inv.candidates(db, users["other_township"], event, inv.InviteFilters())
    with pytest.raises(Forbidden):
        inv.send_invitations(db, users["other_township"], event, [firms["F"].id])


def test_district_event_invites_across_townships(db, users, bank, firms):
    event = make_event(db, users["district"], banks=[bank], kind="industry", industry="new_materials",
                       township_id=None, title="新材料产业专场", days_from_today=3)
    created = inv.send_invitations(db, users["district"], event, [firms["A"].id, firms["F"].id],
                                   manual_ids={firms["F"].id})
    assert {r.firm_id: r.source for r in created} == {firms["A"].id: "filter", firms["F"].id: "manual"}
    again = inv.send_invitations(db, users["district"], event, [firms["A"].id])
    assert again == []  # already on the list: skipped, not duplicated


def test_sending_notifies_the_firms_users_and_creating_notifies_banks(db, users, bank, firm):
    event = make_event(db, users["township"], banks=[bank], days_from_today=2)
    bank_notes = db.scalars(select(Notification).where(Notification.user_id.in_(
        [users["bank_manager"].id, users["bank_admin"].id]))).all()
    assert {n.kind for n in bank_notes} == {"event"} and len(bank_notes) == 2
    assert event.title in bank_notes[0].title
    other = db.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == users["other_bank_manager"].id))
    assert other == 0
    inv.send_invitations(db, users["township"], event, [firm.id])
    note = db.scalar(select(Notification).where(Notification.user_id == users["enterprise"].id))
    assert note.kind == "event" and note.link == f"/events/{event.id}"


def test_banks_added_later_are_notified_once(db, users, bank, other_bank):
    event = make_event(db, users["township"], banks=[bank], days_from_today=2)
    values = {"title": event.title, "kind": event.kind, "starts_at": event.starts_at, "venue": event.venue,
              "capacity": event.capacity, "bank_ids": [bank.id, other_bank.id], "product_ids": []}
    events.update_event(db, users["township"], event, **values)
    events.update_event(db, users["township"], event, **values)
    got = db.scalars(select(Notification).where(Notification.user_id == users["other_bank_manager"].id)).all()
    assert len(got) == 1 and event.bank_ids == [bank.id, other_bank.id]


def test_event_rules(db, users, bank, other_township):
    official = users["township"]
    with pytest.raises(DomainError) as caught:
        make_event(db, official, kind="industry", industry="chemicals")
    assert caught.value.field == "industry" and "新材料" in caught.value.message
    with pytest.raises(Forbidden):
        make_event(db, official, township_id=other_township.id)
    with pytest.raises(DomainError) as caught:
        make_event(db, official, kind="roadshow", banks=[])
    assert caught.value.field == "bank_ids"
    with pytest.raises(DomainError) as caught:
        make_event(db, official, capacity=0)
    assert caught.value.field == "capacity"
    with pytest.raises(Forbidden):
        make_event(db, users["bank_manager"])
    ok = make_event(db, official, kind="industry", industry="health_devices", banks=[bank])
    assert ok.township_id == official.township_id and ok.organiser_id == official.id


def test_firm_accepts_with_a_need_that_becomes_a_draft_request(db, users, firm):
    event = make_event(db, users["township"], days_from_today=5)
    inv.send_invitations(db, users["township"], event, [firm.id])
    row = inv.respond(db, users["enterprise"], event.id, True,
                      {"amount_yuan": 2_000_000, "term_months": 12, "purpose": "购买原材料", "collateral": "property"})
    req = db.get(FinancingRequest, row.need_request_id)
    assert row.state == "accepted" and req.state == "draft" and req.amount == 2_000_000 and req.firm_id == firm.id
    assert [r.id for r in inv.needs_in_advance(db, event.id)] == [row.id]
    row = inv.respond(db, users["enterprise"], event.id, False)
    assert row.state == "declined"
    with pytest.raises(DomainError):
        inv.respond(db, users["other_enterprise"], event.id, True)


def test_accepting_is_refused_once_the_event_is_full(db, users, firm, township):
    from . import factories

    event = make_event(db, users["township"], days_from_today=5, capacity=1)
    early = factories.FirmFactory(township_id=township.id)
    inv.send_invitations(db, users["township"], event, [firm.id, early.id])
    invitation = inv.invitation_of(db, event.id, early.id)
    invitation.state = "accepted"
    db.flush()
    with pytest.raises(DomainError) as caught:
        inv.respond(db, users["enterprise"], event.id, True)
    assert "报名人数已满" in caught.value.message and "容量1家" in caught.value.message


def test_months_before_clamps_to_month_end():
    from datetime import date

    assert inv.months_before(date(2024, 8, 31), 6) == date(2024, 2, 29)
    assert inv.months_before(date(2024, 3, 15), 15) == date(2022, 12, 15)


def test_white_list_kinds_and_batches(db, users, event, firms):
    from matchmaker.models.whitelists import WhiteListBatch, WhiteListEntry

    def batch(kind, label, members):
        row = WhiteListBatch(kind=kind, label=label, state="active")
        db.add(row)
        db.flush()
        for key in members:
            db.add(WhiteListEntry(batch_id=row.id, kind=kind, firm_id=firms[key].id))
        db.flush()
        return row

    batch("high_tech", "2023", ["A", "F"])
    batch("above_scale", "2022", ["B"])
    batch("above_scale", "2023", ["C"])
    undone = batch("doubling_firm", "2023", ["D"])
    undone.state = "undone"
    db.flush()
    official = users["township"]
    kinds, labels = inv.whitelist_options(db)
    assert kinds["high_tech"] == "高新技术企业" and labels == ["2023", "2022"]
    assert pick(db, official, event, firms, whitelist_kinds=["high_tech"]) == {"A"}  # F: other township
    assert pick(db, official, event, firms, whitelist_kinds=["above_scale"]) == {"C"}  # the current batch
    assert pick(db, official, event, firms, whitelist_batches=["2022"]) == {"B"}
    assert pick(db, official, event, firms, whitelist_kinds=["above_scale"], whitelist_batches=["2022", "2023"]) == {
        "B", "C"}
    assert pick(db, official, event, firms, whitelist_kinds=["high_tech", "above_scale"], first_loan=True) == {"A", "C"}
    assert pick(db, official, event, firms, whitelist_kinds=["doubling_firm"]) == set()  # undone batch

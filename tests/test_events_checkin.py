"""The event day: search, one-click check-in, walk-ins (known firm or new USCC), capacity and double check-in
refused with a clear message, check-in only from the event day."""
import pytest
from sqlalchemy import select

from matchmaker.domain.core.errors import Conflict, DomainError, Forbidden
from matchmaker.domain.events import checkin
from matchmaker.domain.events import invitations as inv
from matchmaker.domain.firms.uscc import make as make_uscc
from matchmaker.models import EventInvitation, Firm

from . import factories
from .events_support import make_event


@pytest.fixture
def day(db, users, township, bank):
    """An event today with capacity 2 and three invited firms of the township."""
    event = make_event(db, users["township"], banks=[bank], capacity=2)
    firms = [factories.FirmFactory(township_id=township.id, name=n)
             for n in ("枣庄鑫源新材料有限公司", "枣庄华泰纺织有限公司", "山东恒达医疗器械有限公司")]
    rows = inv.send_invitations(db, users["township"], event, [f.id for f in firms])
    return event, firms, {r.firm_id: r for r in rows}


def test_search_by_name_initials_and_uscc(db, day):
    event, firms, _ = day
    assert [r.firm_id for r in checkin.search_list(db, event, "华泰")] == [firms[1].id]
    assert [r.firm_id for r in checkin.search_list(db, event, "zzxy")] == [firms[0].id]
    assert [r.firm_id for r in checkin.search_list(db, event, firms[2].uscc.lower())] == [firms[2].id]
    assert len(checkin.search_list(db, event, "")) == 3


def test_double_check_in_and_capacity_are_refused_clearly(db, users, day):
    event, firms, rows = day
    official = users["township"]
    first = checkin.check_in(db, official, event, rows[firms[0].id].id)
    assert first.checked_in_at is not None and first.state == "accepted" and first.checked_in_by_id == official.id
    with pytest.raises(Conflict) as caught:
        checkin.check_in(db, official, event, rows[firms[0].id].id)
    assert firms[0].name in caught.value.message and "请勿重复签到" in caught.value.message
    checkin.check_in(db, official, event, rows[firms[1].id].id)
    with pytest.raises(DomainError) as caught:
        checkin.check_in(db, official, event, rows[firms[2].id].id)
    assert "会场已满" in caught.value.message and "容量 2 家" in caught.value.message
    a = checkin.attendance(db, event)
    assert (a.invited, a.attended, a.walk_ins, a.seats_left) == (3, 2, 0, 0)
    # searching lists the not-yet-checked-in firm first
    assert checkin.search_list(db, event, "")[0].firm_id == firms[2].id


def test_walk_in_of_a_known_firm(db, users, day, township):
    event, firms, _ = day
    known = factories.FirmFactory(township_id=township.id, name="枣庄金诺水处理剂有限公司")
    assert [f.id for f in checkin.search_walk_in(db, users["township"], event, "金诺")] == [known.id]
    row = checkin.walk_in(db, users["township"], event, known.id)
    assert row.source == "walk_in" and row.checked_in_at is not None
    with pytest.raises(Conflict):
        checkin.walk_in(db, users["township"], event, known.id)
    a = checkin.attendance(db, event)
    assert (a.invited, a.attended, a.walk_ins) == (3, 1, 1)


def test_walk_in_new_firm_by_uscc(db, users, day, township):
    event, _, _ = day
    good = make_uscc("91370402MA3C1234X")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(DomainError) as caught:
        checkin.walk_in_new_firm(db, users["township"], event, uscc=bad, name="新企业")
    assert caught.value.field == "uscc" and "校验位" in caught.value.message
    code = make_uscc("N2370402MA3C12345")  # a rural collective organisation's code starts with N
    row = checkin.walk_in_new_firm(db, users["township"], event, uscc=code.lower(), name="市中区新村股份经济合作社",
                                   industry="agriculture", contact_person="李会计", contact_phone="13900001111")
    firm = db.get(Firm, row.firm_id)
    assert firm.uscc == code and firm.township_id == township.id and firm.name_initials.startswith("szqxc")
    assert row.source == "walk_in" and row.checked_in_at is not None


def test_walk_in_by_uscc_of_existing_firm_uses_it(db, users, day, township):
    event, firms, rows = day
    row = checkin.walk_in_new_firm(db, users["township"], event, uscc=firms[0].uscc, name="")
    assert row.id == rows[firms[0].id].id and row.source == "filter" and row.checked_in_at is not None
    assert db.scalar(select(Firm).where(Firm.uscc == firms[0].uscc)).id == firms[0].id


def test_walk_in_is_refused_when_full(db, users, day, township):
    event, firms, rows = day
    for f in firms[:2]:
        checkin.check_in(db, users["township"], event, rows[f.id].id)
    with pytest.raises(DomainError) as caught:
        checkin.walk_in_new_firm(db, users["township"], event, uscc=make_uscc("91370402MA3EKT001"), name="晚到企业")
    assert "会场已满" in caught.value.message


def test_township_cannot_register_a_firm_of_another_township(db, users, day, other_township):
    event, _, _ = day
    outsider = factories.FirmFactory(township_id=other_township.id, name="枣庄外镇化工有限公司")
    assert checkin.search_walk_in(db, users["township"], event, "外镇") == []
    with pytest.raises(Forbidden):
        checkin.walk_in(db, users["township"], event, outsider.id)
    with pytest.raises(Forbidden):
        checkin.walk_in_new_firm(db, users["township"], event, uscc=outsider.uscc, name="")
    assert db.scalar(select(EventInvitation).where(EventInvitation.firm_id == outsider.id)) is None


def test_check_in_opens_on_the_event_day(db, users, township):
    event = make_event(db, users["township"], days_from_today=3)
    firm = factories.FirmFactory(township_id=township.id)
    row, = inv.send_invitations(db, users["township"], event, [firm.id])
    with pytest.raises(DomainError) as caught:
        checkin.check_in(db, users["township"], event, row.id)
    assert "签到将于" in caught.value.message


def test_only_the_organiser_checks_in(db, users, day):
    event, firms, rows = day
    for role in ("other_township", "bank_manager", "enterprise"):
        with pytest.raises(Forbidden):
            checkin.check_in(db, users[role], event, rows[firms[0].id].id)
    assert checkin.check_in(db, users["district"], event, rows[firms[0].id].id).checked_in_by_id == users["district"].id


def _race(app, users, event, attempts):
    """Run the attempts (callables of a session and the official) at the same moment; returns the outcomes."""
    import threading

    from matchmaker.models import User

    make_session = app.extensions["db_sessionmaker"]
    barrier = threading.Barrier(len(attempts), timeout=60)
    outcomes: list[str] = []

    def run(attempt):
        with make_session() as session:
            official = session.get(User, users["township"].id)
            mine = session.get(type(event), event.id)
            session.commit()
            barrier.wait()
            try:
                attempt(session, official, mine)
                session.commit()
                outcomes.append("ok")
            except Conflict as exc:
                session.rollback()
                outcomes.append("double:" + exc.message)
            except DomainError as exc:
                session.rollback()
                outcomes.append("full:" + exc.message)

    threads = [threading.Thread(target=run, args=(a,)) for a in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(outcomes)


def test_concurrent_check_ins_respect_capacity_and_count_once(app, db, users, day):
    event, firms, rows = day
    checkin.check_in(db, users["township"], event, rows[firms[0].id].id)
    db.commit()  # one seat left of two
    ids = [rows[firms[1].id].id, rows[firms[2].id].id]
    outcomes = _race(app, users, event, [lambda s, u, e, i=i: checkin.check_in(s, u, e, i) for i in ids])
    assert outcomes[0].startswith("full:") and "会场已满" in outcomes[0] and outcomes[1] == "ok"
    db.expire_all()
    assert checkin.attendance(db, event).attended == 2


def test_concurrent_double_check_in_is_refused(app, db, users, day):
    event, firms, rows = day
    row_id = rows[firms[0].id].id
    db.commit()
    outcomes = _race(app, users, event, [lambda s, u, e: checkin.check_in(s, u, e, row_id)] * 2)
    assert outcomes[0].startswith("double:") and "请勿重复签到" in outcomes[0] and outcomes[1] == "ok"

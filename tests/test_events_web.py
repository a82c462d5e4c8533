"""The event pages through the test client: who may open what (403 for everyone else), the forms with their
errors, the invitation builder, check-in messages, the intention form, report page and .xlsx."""
import io
import re
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from matchmaker.domain.events import checkin, intentions
from matchmaker.domain.events import invitations as inv
from matchmaker.domain.events import organising as events
from matchmaker.models import EventIntention, EventInvitation, FinancingRequest, MatchmakingEvent

from . import factories
from .events_support import make_event, product_of

WAN = 10_000


@pytest.fixture
def setup(db, users, township, other_township, bank, firm):
    """An event today by the township official with `bank` presenting; `firm` (enterprise user) invited and
    checked in, plus a second checked-in firm."""
    event = make_event(db, users["township"], banks=[bank], capacity=3)
    second = factories.FirmFactory(township_id=township.id, name="枣庄瑞丰纺织有限公司", industry="textiles")
    outsider = factories.FirmFactory(township_id=other_township.id, name="枣庄外镇新材料有限公司")
    rows = inv.send_invitations(db, users["township"], event, [firm.id, second.id])
    for r in rows:
        checkin.check_in(db, users["township"], event, r.id)
    db.commit()
    return {"event": event, "second": second, "outsider": outsider}


PAGES = {
    "show": "/events/{id}",
    "edit": "/events/{id}/edit",
    "invite": "/events/{id}/invite",
    "checkin": "/events/{id}/checkin",
    "intentions": "/events/{id}/intentions",
    "report": "/events/{id}/report",
    "xlsx": "/events/{id}/report.xlsx",
}
ALLOWED = {
    "township": set(PAGES),
    "district": set(PAGES),
    "other_township": set(),
    "bank_manager": {"show", "intentions", "report", "xlsx"},
    "bank_admin": {"show", "intentions", "report", "xlsx"},
    "other_bank_manager": set(),
    "enterprise": {"show"},
    "other_enterprise": set(),
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_access_matrix(as_role, setup, role):
    client = as_role(role)
    for page, path in PAGES.items():
        status = client.get(path.format(id=setup["event"].id)).status_code
        assert status == (200 if page in ALLOWED[role] else 403), (role, page, status)
    assert client.get("/events/").status_code == 200
    assert client.get("/events/999999").status_code in (403, 404)
    organiser = role in ("township", "other_township", "district")
    assert client.get("/events/overview").status_code == (200 if role == "district" else 403)
    assert client.get("/events/followups").status_code == (200 if organiser else 403)
    assert client.get("/events/new").status_code == (200 if organiser else 403)


def test_calendar_lists_each_roles_events(db, users, as_role, setup, other_bank):
    event = setup["event"]
    foreign = make_event(db, users["other_township"], banks=[other_bank], title="垎塔埠专场", township_id=None)
    db.commit()
    for role, sees_own, sees_foreign in [("township", True, False), ("other_township", False, True),
                                         ("district", True, True), ("bank_manager", True, False),
                                         ("other_bank_manager", False, True), ("enterprise", True, False),
                                         ("other_enterprise", False, False)]:
        page = as_role(role).get("/events/").get_data(as_text=True)
        assert (event.title in page) == sees_own, role
        assert (foreign.title in page) == sees_foreign, role
    past = as_role("district").get("/events/?when=past").get_data(as_text=True)
    assert event.title not in past


def test_create_event_form(db, as_role, users, bank, township):
    client = as_role("township")
    product = product_of(db, bank)
    day = (events.local_today() + timedelta(days=40)).isoformat()
    data = {"title": "", "kind": "industry", "industry": "", "starts_on": day, "starts_time": "09:30",
            "venue": "便民服务中心", "capacity": "40", "bank_ids": [str(bank.id)], "product_ids": [str(product.id)]}
    response = client.post("/events/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "请填写活动名称" in page and "便民服务中心" in page
    data["title"] = "新材料产业银企对接会"
    response = client.post("/events/new", data=data)
    assert response.status_code == 422 and "产业专场请选择四大主导产业之一" in response.get_data(as_text=True)
    data["industry"] = "new_materials"
    response = client.post("/events/new", data=data)
    assert response.status_code == 302
    event = db.scalar(select(MatchmakingEvent).where(MatchmakingEvent.title == "新材料产业银企对接会"))
    assert event.township_id == township.id and event.bank_ids == [bank.id] and event.product_ids == [product.id]
    assert event.starts_at.strftime("%Y-%m-%d %H:%M") == f"{day} 09:30"
    shown = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert product.name in shown and bank.name in shown


def test_invitation_builder_shows_count_and_list_then_sends(db, users, as_role, township, bank):
    event = make_event(db, users["township"], banks=[bank], days_from_today=10, title="纺织专场")
    a = factories.FirmFactory(township_id=township.id, industry="textiles", name="枣庄华泰纺织有限公司")
    b = factories.FirmFactory(township_id=township.id, industry="textiles", name="枣庄永盛服装有限公司")
    c = factories.FirmFactory(township_id=township.id, industry="food", name="枣庄嘉禾食品有限公司")
    db.commit()
    client = as_role("township")
    base = f"/events/{event.id}/invite?preview=1&industries=textiles"
    page = client.get(base).get_data(as_text=True)
    count = re.search(r'id="invite-count">(\d+)<', page).group(1)
    assert count == "2" and a.name in page and b.name in page and c.name not in page
    page = client.get(base + f"&drop={b.id}&add={c.id}").get_data(as_text=True)
    assert re.search(r'id="invite-count">(\d+)<', page).group(1) == "2" and c.name in page and "手工添加" in page
    response = client.post(f"/events/{event.id}/invite",
                           data={"preview": "1", "industries": "textiles", "drop": str(b.id), "add": str(c.id),
                                 "expected": "2"})
    assert response.status_code == 302
    got = {r.firm_id: r.source for r in db.scalars(select(EventInvitation).where(EventInvitation.event_id == event.id))}
    assert got == {a.id: "filter", c.id: "manual"}


def test_invitation_builder_refuses_outside_firm(db, users, as_role, setup):
    client = as_role("township")
    event, outsider = setup["event"], setup["outsider"]
    page = client.get(f"/events/{event.id}/invite?add={outsider.id}&add_q=外镇").get_data(as_text=True)
    assert outsider.name not in page  # neither in the list nor among the search results
    response = client.post(f"/events/{event.id}/invite", data={"add": str(outsider.id)})
    assert response.status_code == 302  # nothing to send: the outsider is not selectable
    assert db.scalar(select(EventInvitation).where(EventInvitation.firm_id == outsider.id)) is None


def test_check_in_page_messages(db, users, as_role, setup, township):
    event = setup["event"]
    client = as_role("township")
    late = factories.FirmFactory(township_id=township.id, name="枣庄晚到机械有限公司")
    row, = inv.send_invitations(db, users["township"], event, [late.id])
    db.commit()
    page = client.get(f"/events/{event.id}/checkin?q=zzwdjx").get_data(as_text=True)
    assert late.name in page and "签到" in page
    first = client.post(f"/events/{event.id}/checkin/{row.id}", follow_redirects=True).get_data(as_text=True)
    assert f"<span data-user>{late.name}</span> 签到成功（已签到 3 / 3）" in first  # the name marked as data
    again = client.post(f"/events/{event.id}/checkin/{row.id}", follow_redirects=True).get_data(as_text=True)
    assert "请勿重复签到" in again
    walk = client.post(f"/events/{event.id}/walkin", data={"uscc": "91370402MA3C1234", "name": "新企业",
                                                            "industry": "other"})
    assert walk.status_code == 422 and "统一社会信用代码应为18位" in walk.get_data(as_text=True)
    from matchmaker.domain.firms.uscc import make as make_uscc

    full = client.post(f"/events/{event.id}/walkin", data={"uscc": make_uscc("91370402MA3WK0001"), "name": "新企业",
                                                            "industry": "other"}, follow_redirects=True)
    assert "会场已满" in full.get_data(as_text=True)
    assert checkin.attendance(db, event).attended == 3


def test_intention_form_creates_claimed_lead_seen_by_manager(db, users, as_role, setup, bank, firm):
    event = setup["event"]
    product = product_of(db, bank)
    client = as_role("township")
    data = {"firm_id": str(firm.id), "bank_id": str(bank.id), "product_id": str(product.id), "kind": "signing",
            "amount_wan": "", "term_months": "12", "manager_id": str(users["bank_manager"].id)}
    response = client.post(f"/events/{event.id}/intentions", data=data)
    assert response.status_code == 422 and "请填写金额" in response.get_data(as_text=True)
    data["amount_wan"] = "500"
    response = client.post(f"/events/{event.id}/intentions", data=data, follow_redirects=True)
    assert "已生成线索" in response.get_data(as_text=True)
    row = db.scalar(select(EventIntention).where(EventIntention.event_id == event.id))
    assert row.amount == 500 * WAN and row.lead.state == "claimed" and row.lead.manager_id == users["bank_manager"].id
    inbox = as_role("bank_manager").get("/bank/?tab=open").get_data(as_text=True)
    assert firm.name in inbox and f"L-{row.lead_id}" in inbox
    assert as_role("bank_manager").get(f"/bank/leads/{row.lead_id}").status_code == 200
    assert as_role("other_bank_manager").get(f"/bank/leads/{row.lead_id}").status_code == 403


def test_bank_sees_only_its_own_intentions(db, users, as_role, setup, bank, other_bank, firm):
    event = setup["event"]
    event.banks.append(type(event.banks[0])(bank_id=other_bank.id))
    db.flush()
    mine = intentions.record_intention(db, users["bank_manager"], event, firm_id=firm.id, bank_id=bank.id,
                                       product_id=product_of(db, bank).id, amount_yuan=300 * WAN)
    theirs = intentions.record_intention(db, users["other_bank_manager"], event, firm_id=setup["second"].id,
                                         bank_id=other_bank.id, product_id=product_of(db, other_bank).id,
                                         amount_yuan=700 * WAN)
    db.commit()
    page = as_role("bank_manager").get(f"/events/{event.id}").get_data(as_text=True)
    assert f"L-{mine.lead_id}" in page and f"L-{theirs.lead_id}" not in page
    report = as_role("bank_manager").get(f"/events/{event.id}/report").get_data(as_text=True)
    assert "300" in report and "700" not in report
    full = as_role("township").get(f"/events/{event.id}/report").get_data(as_text=True)
    assert "1,000" in full
    response = as_role("bank_manager").post(f"/events/{event.id}/intentions", data={
        "firm_id": str(firm.id), "bank_id": str(other_bank.id), "product_id": str(product_of(db, other_bank).id),
        "kind": "contact", "amount_wan": "10", "term_months": "12"})
    assert response.status_code in (403, 422)
    assert db.scalar(select(func.count()).select_from(EventIntention)) == 2


def test_report_xlsx_download(db, users, as_role, setup, bank, firm):
    event = setup["event"]
    intentions.record_intention(db, users["bank_manager"], event, firm_id=firm.id, bank_id=bank.id,
                                product_id=product_of(db, bank).id, amount_yuan=250 * WAN)
    db.commit()
    response = as_role("district").get(f"/events/{event.id}/report.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    overview = {r[0]: r[1] for r in book["概况"].iter_rows(min_row=3, values_only=True)}
    assert overview["意向数"] == 1 and overview["意向金额（万元）"] == 250 and overview["实到企业"] == 2


def test_firm_responds_with_a_need(db, users, as_role, bank, firm):
    event = make_event(db, users["township"], banks=[bank], days_from_today=4)
    inv.send_invitations(db, users["township"], event, [firm.id])
    db.commit()
    client = as_role("enterprise")
    response = client.post(f"/events/{event.id}/respond", data={"answer": "accept", "amount_wan": "200",
                                                                "term_months": "12", "purpose": "",
                                                                "collateral": "none"})
    assert response.status_code == 422 and "请填写资金用途" in response.get_data(as_text=True)
    response = client.post(f"/events/{event.id}/respond", data={"answer": "accept", "amount_wan": "200",
                                                                "term_months": "12", "purpose": "购买原材料",
                                                                "collateral": "none"}, follow_redirects=True)
    assert "已报名参加" in response.get_data(as_text=True)
    row = inv.invitation_of(db, event.id, firm.id)
    db.refresh(row)
    assert row.state == "accepted" and db.get(FinancingRequest, row.need_request_id).state == "draft"
    bank_page = as_role("bank_manager").get(f"/events/{event.id}").get_data(as_text=True)
    assert "购买原材料" in bank_page and firm.contact_phone not in bank_page
    assert as_role("other_enterprise").post(f"/events/{event.id}/respond", data={"answer": "accept"}).status_code == 403


def test_district_overview_and_followups(db, users, as_role, setup, bank, firm, township):
    event = setup["event"]
    intentions.record_intention(db, users["bank_manager"], event, firm_id=firm.id, bank_id=bank.id,
                                product_id=product_of(db, bank).id, amount_yuan=120 * WAN)
    db.commit()
    page = as_role("district").get("/events/overview?by=bank").get_data(as_text=True)
    assert bank.name in page and "120" in page and event.title in page
    by_township = as_role("district").get("/events/overview").get_data(as_text=True)
    assert township.name in by_township
    followups = as_role("township").get("/events/followups").get_data(as_text=True)
    assert "没有超期未推进的意向" in followups  # recorded today: not stale yet
    assert as_role("township").post("/events/followups", data={"workdays": "3"}).status_code == 403
    response = as_role("district").post("/events/followups", data={"workdays": "3"}, follow_redirects=True)
    assert "跟进期限已改为 3 个工作日" in response.get_data(as_text=True)
    assert intentions.followup_workdays(db) == 3
    response = as_role("township").post("/events/followups/escalate", follow_redirects=True)
    assert "没有需要新督办的意向" in response.get_data(as_text=True)


def test_township_sees_its_own_firms_at_a_district_event(db, users, as_role, bank, firm, setup):
    event = make_event(db, users["district"], banks=[bank], kind="industry", industry="new_materials",
                       township_id=None, title="新材料产业专场", days_from_today=5)
    inv.send_invitations(db, users["district"], event, [firm.id, setup["outsider"].id])
    db.commit()
    mine = as_role("township").get(f"/events/{event.id}")
    page = mine.get_data(as_text=True)
    assert mine.status_code == 200 and firm.name in page and setup["outsider"].name not in page
    theirs = as_role("other_township").get(f"/events/{event.id}").get_data(as_text=True)
    assert setup["outsider"].name in theirs and firm.name not in theirs
    for path in ("checkin", "invite", "edit", "report", "intentions"):
        assert as_role("township").get(f"/events/{event.id}/{path}").status_code == 403, path


def test_cancelled_event(db, users, as_role, bank, firm):
    from matchmaker.models import Notification

    event = make_event(db, users["township"], banks=[bank], days_from_today=3)
    inv.send_invitations(db, users["township"], event, [firm.id])
    db.commit()
    assert as_role("other_township").post(f"/events/{event.id}/cancel").status_code == 403
    response = as_role("township").post(f"/events/{event.id}/cancel", follow_redirects=True)
    assert "活动已取消" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(MatchmakingEvent, event.id).cancelled
    titles = {n.user_id: n.title for n in db.scalars(select(Notification).where(Notification.title.contains("已取消")))}
    assert users["enterprise"].id in titles and users["bank_manager"].id in titles
    again = as_role("township").post(f"/events/{event.id}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "该活动已取消" in again
    reply = as_role("enterprise").post(f"/events/{event.id}/respond", data={"answer": "accept"})
    assert reply.status_code == 422 and "该活动已取消" in reply.get_data(as_text=True)


JUNK = ["?page=x&sort=-nope&township=abc&kind=zz&when=later&q=%27%22%3C",
        "?preview=1&township_id=abc&industries=nope&not_invited_months=-3&requests=zz&add=abc&drop=1x&add_q=%25",
        "?year=abc&by=nope&event=abc"]


@pytest.mark.parametrize("role", ["township", "district", "bank_manager", "enterprise"])
def test_junk_input_never_gives_a_server_error(as_role, setup, role):
    client = as_role(role)
    event = setup["event"]
    for path in ("/events/", f"/events/{event.id}", f"/events/{event.id}/invite", f"/events/{event.id}/checkin",
                 f"/events/{event.id}/intentions", f"/events/{event.id}/report", "/events/overview",
                 "/events/followups"):
        for junk in JUNK:
            assert client.get(path + junk).status_code < 500, (path, junk)
    posts = {f"/events/{event.id}/intentions": {"firm_id": "x", "bank_id": "y", "product_id": "", "amount_wan": "z",
                                                "term_months": "-1", "manager_id": "q"},
             f"/events/{event.id}/walkin": {"uscc": "<script>", "township_id": "abc", "industry": "nope"},
             f"/events/{event.id}/respond": {"answer": "maybe", "amount_wan": "1e99"},
             f"/events/{event.id}/invite": {"add": "x", "expected": "y", "preview": "1", "township_id": "z"},
             f"/events/{event.id}/checkin/999999": {}, f"/events/{event.id}/walkin/999999": {},
             "/events/new": {"kind": "x", "capacity": "-5", "starts_on": "2024-13-45", "bank_ids": "abc"},
             "/events/followups": {"workdays": "abc"}}
    for path, data in posts.items():
        assert client.post(path, data=data).status_code < 500, path


def test_event_list_figures_count_only_intentions_the_role_may_see(db, users, as_role, township, other_township,
                                                                    bank):
    """A district roadshow with firms of two townships: the township official sees the event (its firm is
    invited) but not the figures of intentions it may not list; the district sees them."""
    event = make_event(db, users["district"], banks=[bank], kind="roadshow", township_id=None, title="全区产品路演")
    ours = factories.FirmFactory(township_id=township.id, name="枣庄本镇新材料有限公司")
    theirs = factories.FirmFactory(township_id=other_township.id, name="枣庄外镇纺织有限公司")
    for row in inv.send_invitations(db, users["district"], event, [ours.id, theirs.id]):
        checkin.check_in(db, users["district"], event, row.id)
    intentions.record_intention(db, users["district"], event, firm_id=theirs.id, bank_id=bank.id,
                                product_id=product_of(db, bank).id, amount_yuan=321 * WAN,
                                manager_id=users["bank_manager"].id)
    db.commit()
    district_page = as_role("district").get("/events/").get_data(as_text=True)
    township_page = as_role("township").get("/events/").get_data(as_text=True)
    assert "全区产品路演" in district_page and "1 / 321" in district_page
    assert "全区产品路演" in township_page and "321" not in township_page
    assert "1 / 321" in as_role("bank_manager").get("/events/").get_data(as_text=True)

"""Permission matrix: every page × every role (and anonymous) gets what it should; nobody sees another's data."""
import pytest
from flask import url_for

from matchmaker.models import Lead

from . import factories

ROLES = ["anonymous", "enterprise", "other_enterprise", "bank_manager", "bank_admin", "other_bank_manager",
         "township", "other_township", "district"]

# path -> roles that get 200 (everyone else: anonymous 302 to login, logged-in 403)
PAGES = {
    "/enterprise/": {"enterprise", "other_enterprise"},
    "/enterprise/profile": {"enterprise", "other_enterprise"},
    "/requests/": set(ROLES) - {"anonymous"},
    "/requests/new": {"enterprise", "other_enterprise", "township", "other_township", "district"},
    "/bank/": {"bank_manager", "bank_admin", "other_bank_manager"},
    "/bank/products": {"bank_admin"},
    "/bank/managers": {"bank_admin"},
    "/township/": {"township", "other_township"},
    "/township/firms": {"township", "other_township"},
    "/district/": {"district"},
    "/district/firms": {"district"},
    "/district/banks": {"district"},
    "/district/users": {"district"},
}


@pytest.fixture
def clients(app, users, as_role):
    made = {role: as_role(role) for role in ROLES if role != "anonymous"}
    made["anonymous"] = app.test_client()
    return made


@pytest.fixture
def case(db, users, firm, bank):
    req, lead = factories.routed_request(db, firm, bank)
    db.commit()
    return req, lead


@pytest.mark.parametrize("path", sorted(PAGES))
def test_page_matrix(clients, path):
    for role in ROLES:
        response = clients[role].get(path)
        if role in PAGES[path]:
            assert response.status_code == 200, (path, role)
        elif role == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"], (path, role)
        else:
            assert response.status_code == 403, (path, role)
            assert "无权访问" in response.get_data(as_text=True)


def test_request_detail_matrix(clients, case):
    req, lead = case
    expected = {"enterprise": 200, "other_enterprise": 403, "township": 200, "other_township": 403,
                "district": 200, "bank_manager": 302, "bank_admin": 302, "other_bank_manager": 403, "anonymous": 302}
    for role, status in expected.items():
        response = clients[role].get(f"/requests/{req.id}")
        assert response.status_code == status, role
    assert clients["bank_manager"].get(f"/requests/{req.id}").headers["Location"].endswith(f"/bank/leads/{lead.id}")


def test_lead_detail_matrix(clients, case):
    _, lead = case
    expected = {"bank_manager": 200, "bank_admin": 200, "other_bank_manager": 403, "enterprise": 403,
                "other_enterprise": 403, "township": 403, "other_township": 403, "district": 403}
    for role, status in expected.items():
        assert clients[role].get(f"/bank/leads/{lead.id}").status_code == status, role


def test_lists_show_only_own_data(clients, db, users, case, other_bank, other_township):
    req, lead = case
    other_firm = factories.FirmFactory(township_id=other_township.id, name="枣庄外镇街纺织有限公司")
    other_req, other_lead = factories.routed_request(db, other_firm, other_bank)
    db.commit()
    firm_name = req.firm.name

    assert firm_name in clients["bank_manager"].get("/bank/").get_data(as_text=True)
    assert firm_name not in clients["other_bank_manager"].get("/bank/").get_data(as_text=True)
    assert "枣庄外镇街纺织有限公司" in clients["other_bank_manager"].get("/bank/").get_data(as_text=True)

    assert f"R-{req.id}<" in clients["enterprise"].get("/requests/").get_data(as_text=True)
    assert f"R-{other_req.id}<" not in clients["enterprise"].get("/requests/").get_data(as_text=True)

    township_list = clients["township"].get("/requests/").get_data(as_text=True)
    assert f"R-{req.id}<" in township_list and f"R-{other_req.id}<" not in township_list
    assert "枣庄外镇街纺织有限公司" not in clients["township"].get("/township/firms").get_data(as_text=True)

    district_list = clients["district"].get("/requests/").get_data(as_text=True)
    assert f"R-{req.id}<" in district_list and f"R-{other_req.id}<" in district_list


def test_contact_hidden_until_claimed(clients, db, case):
    _, lead = case
    phone = lead.request.firm.contact_phone
    page = clients["bank_manager"].get(f"/bank/leads/{lead.id}").get_data(as_text=True)
    assert phone not in page and "认领后可见" in page
    assert clients["bank_manager"].post(f"/bank/leads/{lead.id}/claim").status_code == 302
    page = clients["bank_manager"].get(f"/bank/leads/{lead.id}").get_data(as_text=True)
    assert phone in page
    # still hidden from a bank that has not claimed anything
    assert phone not in clients["other_bank_manager"].get("/bank/").get_data(as_text=True)


def test_other_bank_cannot_act_on_lead(clients, db, case):
    _, lead = case
    for action in ("claim", "contact", "review", "approve", "decline", "disburse"):
        response = clients["other_bank_manager"].post(f"/bank/leads/{lead.id}/{action}",
                                                      data={"code": "other", "note": "x"})
        assert response.status_code == 403, action
    db.expire_all()
    assert db.get(Lead, lead.id).state == "routed"


def test_no_page_answers_500_for_any_role(app, clients):
    """Every parameterless GET page of the app, for every role: never a server error."""
    with app.test_request_context():
        paths = sorted({url_for(r.endpoint) for r in app.url_map.iter_rules()
                        if "GET" in r.methods and not r.arguments and r.endpoint != "static"})
    for path in paths:
        for role, client in clients.items():
            assert client.get(path).status_code < 500, (path, role)


def test_bank_does_not_learn_which_other_bank_won(app, db, users, firm, bank, other_bank, as_role):
    """The firm accepts another bank's offer: the released bank's lead page does not name the winner."""
    from decimal import Decimal

    from matchmaker.domain.requests import financing, leads
    from matchmaker.models import Lead

    req, lead = factories.routed_request(db, firm, bank)
    rival = Lead(request=req, bank_id=other_bank.id, state="routed", rank=2, score_parts={})
    db.add(rival)
    db.flush()
    manager, rival_manager = users["bank_manager"], users["other_bank_manager"]
    for who, item in ((manager, lead), (rival_manager, rival)):
        leads.claim(db, who, item.id)
        leads.record_contact(db, who, item.id)
        leads.start_review(db, who, item.id)
    offer = leads.approve(db, rival_manager, rival.id, amount_yuan=1_000_000, rate_pct=Decimal("3.5"),
                          term_months=12)
    financing.accept_offer(db, users["enterprise"], offer.id)
    db.commit()
    page = as_role("bank_manager").get(f"/bank/leads/{lead.id}").get_data(as_text=True)
    assert "已释放" in page and other_bank.name not in page

"""Bad input gets a clear 4xx or form error, keeps what was typed, and changes nothing."""
import pytest
from sqlalchemy import func, select

from matchmaker import create_app
from matchmaker.domain.firms.uscc import make as make_uscc
from matchmaker.models import FinancingRequest, Firm, History, Lead, Offer, User

from . import factories
from .conftest import PASSWORD


def count(db, model):
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def registration(**overrides):
    data = {"uscc": make_uscc("91370402MA3R00001"), "name": "枣庄注册测试化工有限公司", "township_id": "1",
            "industry": "chemicals", "size": "small", "founded_year": "2015", "contact_person": "王经理",
            "contact_phone": "13800001111", "username": "newfirm", "password": PASSWORD, "password2": PASSWORD}
    data.update(overrides)
    return data


def test_register_with_wrong_check_digit_keeps_typed_values(client, db):
    code = make_uscc("91370402MA3R00001")
    bad = code[:17] + ("0" if code[17] != "0" else "1")
    response = client.post("/register", data=registration(uscc=bad))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "校验位不正确" in page
    assert "枣庄注册测试化工有限公司" in page and "13800001111" in page  # nothing lost
    assert count(db, Firm) == 0 and count(db, User) == 0


def test_register_rural_collective_code_succeeds(client, db):
    code = make_uscc("N2370402MA0000009")
    response = client.post("/register", data=registration(uscc=code))
    assert response.status_code == 302
    assert db.scalar(select(Firm.uscc)) == code


def test_register_twice_with_same_code_is_refused(client, db):
    assert client.post("/register", data=registration()).status_code == 302
    other = create_app_client(client)
    response = other.post("/register", data=registration(username="someoneelse"))
    assert "已注册" in response.get_data(as_text=True)
    assert count(db, User) == 1


def create_app_client(client):
    return client.application.test_client()


@pytest.mark.parametrize("field, value, message", [
    ("amount_wan", "-5", "申请金额须大于 0"),
    ("amount_wan", "0", "申请金额须大于 0"),
    ("amount_wan", "99999999", "申请金额不能超过 100000 万元"),
    ("amount_wan", "abc", "申请金额“abc”不是有效的数字"),
    ("amount_wan", "1e309", "申请金额“1e309”不是有效的数字"),
    ("amount_wan", "", "请填写申请金额"),
    ("term_months", "0", "期限应在"),
    ("term_months", "", "请填写期限"),
    ("purpose", "", "请填写资金用途"),
])
def test_request_form_errors_next_to_field_and_nothing_saved(as_role, db, field, value, message):
    client = as_role("enterprise")
    data = {"amount_wan": "300", "term_months": "12", "purpose": "购买原材料设备", "collateral": "property"}
    data[field] = value
    response = client.post("/requests/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "invalid-feedback" in page and message in page
    if field != "purpose":
        assert "购买原材料设备" in page
    assert count(db, FinancingRequest) == 0


def test_forged_post_without_csrf_token_is_refused(app_config, users, db, firm, bank):
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    response = client.post("/login", data={"username": "firm1", "password": PASSWORD})
    assert response.status_code == 400 and "表单已过期" in response.get_data(as_text=True)
    req, lead = factories.routed_request(db, firm, bank)
    db.commit()
    # a logged-in session (login page fetched for its token) still cannot post without the token
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/login", data={"username": "manager1", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    response = client.post(f"/bank/leads/{lead.id}/claim")
    assert response.status_code == 400
    db.expire_all()
    assert db.get(Lead, lead.id).state == "routed"
    app.extensions["db_engine"].dispose()


def test_unknown_and_foreign_ids(as_role, db, firm, other_bank):
    req, lead = factories.routed_request(db, firm, other_bank)
    db.commit()
    manager = as_role("bank_manager")
    assert manager.get("/bank/leads/999999").status_code == 404
    assert manager.post(f"/bank/leads/{lead.id}/claim").status_code == 403
    assert as_role("enterprise").get("/requests/999999").status_code == 404
    assert as_role("other_enterprise").post(f"/requests/{req.id}/withdraw").status_code == 403
    db.expire_all()
    assert db.get(FinancingRequest, req.id).state == "routed"
    assert db.get(Lead, lead.id).state == "routed"


def test_approve_with_bad_rate_shows_error_and_writes_nothing(as_role, db, firm, bank, users):
    req, lead = factories.routed_request(db, firm, bank, state="in_review")
    lead.manager_id = users["bank_manager"].id
    db.commit()
    history_before = count(db, History)
    response = as_role("bank_manager").post(f"/bank/leads/{lead.id}/approve",
                                            data={"amount_wan": "100", "rate_pct": "99", "term_months": "12"})
    assert response.status_code == 422
    assert "年利率应在0–24%之间" in response.get_data(as_text=True)
    assert count(db, Offer) == 0 and count(db, History) == history_before


def test_decline_other_without_note_is_refused(as_role, db, firm, bank, users):
    req, lead = factories.routed_request(db, firm, bank, state="claimed")
    lead.manager_id = users["bank_manager"].id
    db.commit()
    response = as_role("bank_manager").post(f"/bank/leads/{lead.id}/decline", data={"code": "other", "note": ""})
    assert response.status_code == 422 and "请填写说明" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Lead, lead.id).state == "claimed"


def test_login_is_throttled(app_config, users):
    app = create_app({**app_config, "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"})
    client = app.test_client()
    statuses = [client.post("/login", data={"username": "firm1", "password": "wrong-password"}).status_code
                for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    assert "尝试次数过多" in client.post("/login", data={"username": "x", "password": "y"}).get_data(as_text=True)
    app.extensions["db_engine"].dispose()


def test_next_redirect_only_to_own_paths(client, users):
    for target, expected in [("/requests/", "/requests/"), ("https://evil.example/", "/"),
                             ("//evil.example/x", "/"), ("/\\evil.example", "/")]:
        c = client.application.test_client()
        response = c.post(f"/login?next={target}", data={"username": "firm1", "password": PASSWORD})
        assert response.headers["Location"] == expected, target


def test_passwords_are_hashed(db, users):
    stored = db.scalar(select(User.password_hash).where(User.username == "firm1"))
    assert PASSWORD not in stored and stored.startswith("$argon2")

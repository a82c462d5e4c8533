"""API tokens: only a hash is stored, scopes are enforced (403), expired/revoked/unknown tokens get 401, the
token acts through its own account (named in the history), and the management pages and CLI work."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from matchmaker.domain.api import tokens
from matchmaker.domain.core.errors import DomainError, Forbidden
from matchmaker.models import ApiToken, History, User, utcnow

from . import factories
from .api_support import auth, make_token


def test_only_the_hash_is_stored_and_the_token_is_recognisable(db, users):
    token, raw = tokens.create(db, users["bank_admin"], "信贷系统", ["leads:read"], 30)
    db.commit()
    assert raw.startswith("mmk_") and len(raw) > 40
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = db.execute(select(ApiToken.__table__)).mappings().one()
    assert raw not in [str(v) for v in stored.values()]
    assert token.prefix == raw[:10] and token.bank_id == users["bank_admin"].bank_id
    account = db.get(User, token.user_id)
    assert account.active is False and account.role == "bank_admin" and "信贷系统" in account.display_name


@pytest.mark.parametrize("kwargs, field", [
    (dict(name="", scopes=["leads:read"], days=30), "name"),
    (dict(name="x" * 65, scopes=["leads:read"], days=30), "name"),
    (dict(name="a", scopes=[], days=30), "scopes"),
    (dict(name="a", scopes=["district:read"], days=30), "scopes"),  # not a bank's scope
    (dict(name="a", scopes=["leads:read"], days=0), "days"),
    (dict(name="a", scopes=["leads:read"], days=367), "days"),
])
def test_bad_token_settings_are_refused_with_the_field(db, users, kwargs, field):
    with pytest.raises(DomainError) as exc:
        tokens.create(db, users["bank_admin"], **kwargs)
    assert exc.value.field == field


def test_only_bank_admins_and_the_district_make_tokens(db, users):
    for role in ("bank_manager", "township", "enterprise"):
        with pytest.raises(Forbidden):
            tokens.create(db, users[role], "x", ["leads:read"], 30)


def test_scope_missing_is_403_and_bad_tokens_are_401(app, db, users, firm, bank):
    _, lead = factories.routed_request(db, firm, bank)
    db.commit()
    client = app.test_client()
    read_only = make_token(db, users["bank_admin"], ["leads:read"])
    assert client.get("/api/v1/leads", headers=auth(read_only)).status_code == 200
    refused = client.post(f"/api/v1/leads/{lead.id}/claim", headers=auth(read_only))
    assert refused.status_code == 403
    assert refused.get_json()["error"] == {"code": "forbidden", "message": "该令牌没有“leads:write”权限",
                                          "field": "scope", "details": None}
    assert db.get(type(lead), lead.id).state == "routed"
    for header in ({}, {"Authorization": "Bearer mmk_nope"}, {"Authorization": read_only},
                   {"Authorization": "Basic " + read_only}):
        response = client.get("/api/v1/leads", headers=header)
        assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    district = make_token(db, users["district"], ["district:read"])
    assert client.get("/api/v1/leads", headers=auth(district)).status_code == 403


def test_expired_and_revoked_tokens_are_refused_at_once(app, db, users):
    client = app.test_client()
    raw = make_token(db, users["bank_admin"], ["leads:read"], days=1)
    assert client.get("/api/v1/leads", headers=auth(raw)).status_code == 200
    token = db.scalar(select(ApiToken))
    assert token.last_used_at is not None
    with time_machine.travel(utcnow() + timedelta(days=1, minutes=1)):
        assert client.get("/api/v1/leads", headers=auth(raw)).status_code == 401
    assert client.get("/api/v1/leads", headers=auth(raw)).status_code == 200
    tokens.revoke(db, users["bank_admin"], token.id)
    db.commit()
    assert client.get("/api/v1/leads", headers=auth(raw)).status_code == 401
    rows = db.scalars(select(History).where(History.entity == "api_token").order_by(History.id)).all()
    assert [(r.from_state, r.to_state) for r in rows] == [(None, "active"), ("active", "revoked")]
    tokens.revoke(db, users["bank_admin"], token.id)  # twice changes nothing
    db.commit()
    assert db.query(History).filter_by(entity="api_token").count() == 2


def test_another_banks_admin_cannot_revoke(db, users, other_bank):
    from matchmaker.domain.accounts import users as accounts
    from matchmaker.domain.core.errors import NotFound

    token, _ = tokens.create(db, users["bank_admin"], "a", ["leads:read"], 30)
    other_admin = accounts.create_user(db, "otheradmin", "test-pass-123", "bank_admin", bank_id=other_bank.id)
    with pytest.raises(NotFound):
        tokens.revoke(db, other_admin, token.id)
    with pytest.raises(NotFound):
        tokens.revoke(db, users["district"], token.id)


def test_token_pages_show_the_token_once_and_revoke(app, db, users, as_role):
    client = as_role("bank_admin")
    page = client.get("/api-tokens/")
    assert page.status_code == 200 and "接口令牌" in page.get_data(as_text=True)
    made = client.post("/api-tokens/", data={"name": "贷款系统", "scopes": ["leads:read", "leads:write"],
                                             "days": "90"})
    assert made.status_code == 200
    text = made.get_data(as_text=True)
    raw = text.split('id="new-token">')[1].split("<")[0]
    assert raw.startswith("mmk_")
    assert raw not in client.get("/api-tokens/").get_data(as_text=True)  # shown once
    assert app.test_client().get("/api/v1/leads", headers=auth(raw)).status_code == 200
    token = db.scalar(select(ApiToken))
    assert client.post(f"/api-tokens/{token.id}/revoke").status_code == 302
    assert app.test_client().get("/api/v1/leads", headers=auth(raw)).status_code == 401
    bad = client.post("/api-tokens/", data={"name": "", "scopes": ["leads:read"], "days": "90"})
    assert bad.status_code == 422 and "请填写令牌名称" in bad.get_data(as_text=True)
    assert as_role("bank_manager").get("/api-tokens/").status_code == 403
    district = as_role("district").get("/api-tokens/").get_data(as_text=True)
    assert "贷款系统" not in district  # the district sees only district tokens


def test_cli_create_token(app, db, users, bank):
    result = app.test_cli_runner().invoke(args=["create-token", "--bank", str(bank.seq), "--name", "脚本",
                                                "--scope", "leads:read", "--days", "7"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip().splitlines()[-1]
    assert raw.startswith("mmk_")
    assert app.test_client().get("/api/v1/leads", headers=auth(raw)).status_code == 200
    district = app.test_cli_runner().invoke(args=["create-token", "--district", "--name", "省平台",
                                                  "--scope", "requests:read"])
    assert district.exit_code == 0, district.output
    bad = app.test_cli_runner().invoke(args=["create-token", "--district", "--name", "x", "--scope", "leads:write"])
    assert bad.exit_code != 0 and "scopes" in bad.output


def test_a_tokens_account_is_not_a_person(app, db, users, bank, as_role):
    """The account a token acts through is never listed with the staff, notified, made an event owner, or
    managed (reactivated, reset) on the account pages: it is revoked on the token pages."""
    from matchmaker.domain.accounts import control
    from matchmaker.domain.core.errors import NotFound
    from matchmaker.domain.events.intentions import bank_staff
    from matchmaker.domain.notify.notifications import audience

    bank_token, _ = tokens.create(db, users["bank_admin"], "信贷核心系统", ["leads:read"], 30)
    district_token, _ = tokens.create(db, users["district"], "省平台交换", ["district:read"], 30)
    db.commit()
    service = [bank_token.user, district_token.user]
    for account in service:
        account.active = True  # even if someone switched it on in the database
    db.commit()
    district_page = as_role("district").get("/district/users?role=bank_admin").get_data(as_text=True)
    managers_page = as_role("bank_admin").get("/bank/managers").get_data(as_text=True)
    for account in service:
        assert account.username not in district_page and account.username not in managers_page
    assert users["bank_admin"].username in district_page  # the list itself works
    staff_ids = {u.id for u in bank_staff(db, users["bank_admin"].bank_id)}
    assert users["bank_admin"].id in staff_ids and bank_token.user_id not in staff_ids
    notified = audience(db, bank_id=users["bank_admin"].bank_id, roles=["district"])
    assert users["district"].id in notified and not {a.id for a in service} & set(notified)
    for account in service:
        with pytest.raises(NotFound):
            control.reactivate(db, users["district"], account.id)
    as_role("district").post(f"/accounts/{district_token.user_id}/reset-password")
    db.expire_all()
    assert db.get(User, district_token.user_id).password_hash == tokens.UNUSABLE_PASSWORD


def test_cli_create_token_speaks_english(app, db, users, bank, monkeypatch):
    monkeypatch.setenv("MATCHMAKER_LOCALE", "en")
    result = app.test_cli_runner().invoke(args=["create-token", "--bank", str(bank.seq), "--name", "script",
                                                "--scope", "leads:read", "--days", "7"])
    assert result.exit_code == 0, result.output
    assert "It is shown only this once" in result.output and "令牌" not in result.output

"""Accounts the district controls: the password policy everywhere a password is set; deactivate, reactivate and
reset (district for all, a bank admin for its own bank's managers); everyone changes their own password; each
change in the history, and a concurrent change never writes twice."""
import threading

import pytest
from sqlalchemy import func, select

from matchmaker.domain.accounts import control, passwords
from matchmaker.domain.accounts import users as accounts
from matchmaker.domain.core.errors import Conflict, DomainError
from matchmaker.models import History, User

from .conftest import PASSWORD, login
from .test_bad_input import registration


@pytest.mark.parametrize("weak", ["12345678", "aaaaaaaa", "aaaaaaaaaaaa", "password", "qwertyuiop", "1234567890",
                                  "0987654321", "abcdefghijk", "abcabcabcabc", "Password123", "woaini1314",
                                  "short-9ch"])
def test_the_policy_refuses_weak_passwords(weak):
    with pytest.raises(DomainError) as err:
        passwords.check(weak, "someone")
    assert err.value.field == "password"


def test_the_policy_refuses_the_username_and_overlong_passwords():
    with pytest.raises(DomainError, match="用户名"):
        passwords.check("Zhang.San.2026", "zhang.san.2026")
    with pytest.raises(DomainError, match="128"):
        passwords.check("x" + "ab9" * 60)
    assert passwords.check("Lotus-pond-2026", "zhang") == "Lotus-pond-2026"
    assert passwords.check(PASSWORD, "firm1") == PASSWORD


def test_the_common_list_is_shipped_and_large():
    common = passwords.common_passwords()
    assert len(common) > 3000 and {"12345678", "password", "qwerty", "1qaz2wsx3edc"} <= common


def test_temporary_passwords_pass_the_policy_and_differ():
    made = {passwords.temporary_password() for _ in range(20)}
    assert len(made) == 20 and all(passwords.check(p) for p in made)


def test_every_way_of_setting_a_password_uses_the_policy(app, db, client, users, township):
    with pytest.raises(DomainError):
        accounts.create_user(db, "weakling", "12345678", "district")
    db.rollback()
    # registration
    response = client.post("/register", data=registration(password="aaaaaaaaaa", password2="aaaaaaaaaa"))
    assert response.status_code == 200 and "密码过于常见或过于简单" in response.get_data(as_text=True)
    # the district's account form
    district = login(app.test_client(), "district1")
    response = district.post("/district/users", data={"role": "district", "username": "newclerk",
                                                      "password": "newclerk"})
    assert response.status_code == 200 and "密码至少10位" in response.get_data(as_text=True)
    # the CLI
    result = app.test_cli_runner().invoke(args=["create-user", "--username", "cliuser", "--role", "district",
                                                "--password", "cliuser"])
    assert result.exit_code != 0 and "密码至少10位" in result.output
    result = app.test_cli_runner().invoke(args=["create-user", "--username", "cliuser", "--role", "district",
                                                "--password", "password123"])
    assert result.exit_code != 0 and "密码过于常见或过于简单" in result.output
    assert db.scalar(select(func.count()).select_from(User).where(
        User.username.in_(["weakling", "newfirm", "newclerk", "cliuser"]))) == 0


def test_the_district_deactivates_and_reactivates_from_the_users_page(app, db, users):
    district = login(app.test_client(), "district1")
    page = district.get("/district/users").get_data(as_text=True)
    target = users["township"]
    assert f"/accounts/{target.id}/deactivate" in page and f"/accounts/{users['district'].id}/deactivate" not in page
    response = district.post(f"/accounts/{target.id}/deactivate", data={"next": "/district/users?role=township"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/district/users?role=township")
    db.expire_all()
    assert db.get(User, target.id).active is False
    assert app.test_client().post("/login", data={"username": "township1", "password": PASSWORD}).status_code == 200
    # a second click is refused clearly, with no second history row
    response = district.post(f"/accounts/{target.id}/deactivate", follow_redirects=True)
    assert "已是停用状态" in response.get_data(as_text=True)
    district.post(f"/accounts/{target.id}/reactivate")
    db.expire_all()
    assert db.get(User, target.id).active is True
    login(app.test_client(), "township1")
    rows = db.scalars(select(History).where(History.entity == "user", History.entity_id == target.id,
                                            History.to_state != "created").order_by(History.id)).all()
    assert [(h.from_state, h.to_state, h.actor_id) for h in rows] == [
        ("active", "inactive", users["district"].id), ("inactive", "active", users["district"].id)]


def test_reset_shows_a_temporary_password_once_that_must_be_changed(app, db, users):
    victim = login(app.test_client(), "firm1")
    district = login(app.test_client(), "district1")
    response = district.post(f"/accounts/{users['enterprise'].id}/reset-password")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    temporary = html.split('id="temporary-password">')[1].split("<")[0].strip()
    assert len(temporary) == 12
    db.expire_all()
    assert accounts.verify_password(db.get(User, users["enterprise"].id).password_hash, temporary)
    # the old session ended; the old password is gone
    assert victim.get("/notifications/").status_code == 302
    assert app.test_client().post("/login", data={"username": "firm1", "password": PASSWORD}).status_code == 200
    # signed in with the temporary password, every page leads to 修改密码 until it is changed
    client = login(app.test_client(), "firm1", temporary)
    response = client.get("/enterprise/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    response = client.post("/account/password", data={"old_password": temporary, "new_password": "Firm1-own-pass",
                                                      "new_password2": "Firm1-own-pass"})
    assert response.status_code == 302
    assert client.get("/enterprise/").status_code == 200
    notes = db.scalars(select(History.to_state).where(History.entity == "user", History.to_state != "created",
                                                      History.entity_id == users["enterprise"].id)
                       .order_by(History.id)).all()
    assert notes == ["password_reset", "password_changed"]


def test_a_bank_admin_manages_only_its_own_banks_managers(app, db, users):
    admin = login(app.test_client(), "bankadmin1")
    page = admin.get("/bank/managers").get_data(as_text=True)
    assert f"/accounts/{users['bank_manager'].id}/reset-password" in page
    assert admin.post(f"/accounts/{users['other_bank_manager'].id}/deactivate").status_code == 403
    assert admin.post(f"/accounts/{users['township'].id}/reset-password").status_code == 403
    assert admin.post(f"/accounts/{users['bank_admin'].id}/deactivate").status_code == 403  # not itself
    assert admin.post("/accounts/999999/deactivate").status_code == 404
    assert admin.post(f"/accounts/{users['bank_manager'].id}/deactivate").status_code == 302
    db.expire_all()
    assert db.get(User, users["bank_manager"].id).active is False
    assert db.get(User, users["other_bank_manager"].id).active is True
    for role in ("bank_manager", "enterprise", "township"):
        assert login(app.test_client(), users[role if role != "bank_manager" else "bank_manager2"].username) \
            .post(f"/accounts/{users['bank_manager2'].id}/deactivate").status_code == 403


def test_changing_your_own_password_needs_the_old_one(app, db, users):
    client = login(app.test_client(), "township1")
    assert "修改密码" in client.get("/account/password").get_data(as_text=True)
    response = client.post("/account/password", data={"old_password": "wrong-password-1", "new_password":
                                                      "Lotus-pond-2026", "new_password2": "Lotus-pond-2026"})
    assert response.status_code == 200 and "原密码不正确" in response.get_data(as_text=True)
    response = client.post("/account/password", data={"old_password": PASSWORD, "new_password": "township1",
                                                      "new_password2": "township1"})
    assert "密码至少10位" in response.get_data(as_text=True)
    response = client.post("/account/password", data={"old_password": PASSWORD, "new_password": PASSWORD,
                                                      "new_password2": PASSWORD})
    assert "新密码不能与原密码相同" in response.get_data(as_text=True)
    response = client.post("/account/password", data={"old_password": PASSWORD, "new_password": "Lotus-pond-2026",
                                                      "new_password2": "Lotus-pond-2025"})
    assert "两次输入的新密码不一致" in response.get_data(as_text=True)
    db.expire_all()
    assert accounts.verify_password(db.get(User, users["township"].id).password_hash, PASSWORD)
    assert db.scalar(select(func.count()).select_from(History).where(History.entity == "user",
                                                                      History.to_state != "created")) == 0


def test_the_user_menu_links_to_the_password_page(as_role):
    for role in ("enterprise", "bank_manager", "bank_admin", "township", "district"):
        assert 'href="/account/password"' in as_role(role).get("/notifications/").get_data(as_text=True)


def test_concurrent_deactivations_one_wins_one_history_row(app, db, users):
    target = users["bank_manager"].id
    actors = [users["district"].id] * 6 + [users["bank_admin"].id] * 6
    make_session = app.extensions["db_sessionmaker"]
    barrier = threading.Barrier(len(actors), timeout=60)
    results: list[str] = []

    def attempt(uid: int):
        with make_session() as session:
            actor = session.get(User, uid)
            session.commit()
            barrier.wait()
            try:
                control.deactivate(session, actor, target)
                session.commit()
                results.append("won")
            except Conflict:
                session.rollback()
                results.append("lost")

    threads = [threading.Thread(target=attempt, args=(uid,)) for uid in actors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["lost"] * (len(actors) - 1) + ["won"]
    assert db.scalar(select(func.count()).select_from(History).where(
        History.entity == "user", History.entity_id == target, History.to_state == "inactive")) == 1


def test_the_account_history_page(app, db, users):
    district = login(app.test_client(), "district1")
    district.post(f"/accounts/{users['bank_manager'].id}/deactivate")
    district.post(f"/accounts/{users['other_bank_manager'].id}/deactivate")
    page = district.get("/accounts/history").get_data(as_text=True)
    assert "停用账户 manager1" in page and "停用账户 manager2" in page
    own_bank = login(app.test_client(), "bankadmin1").get("/accounts/history").get_data(as_text=True)
    assert "停用账户 manager1" in own_bank and "停用账户 manager2" not in own_bank
    assert login(app.test_client(), "township1").get("/accounts/history").status_code == 403

"""Sign-in sessions end when they should: logout, a password change and a deactivation void the old session
and remember-me cookies at once (replayed, they lead to the login page); each sign-in gets new cookies; the
remember-me cookie is HttpOnly, SameSite=Lax, Secure in production and good for 14 days at most; an idle
session ends after MATCHMAKER_IDLE_MINUTES."""
from datetime import timedelta

import time_machine

from matchmaker import create_app
from matchmaker.domain.accounts import control
from matchmaker.models import User

from .conftest import PASSWORD

PAGE = "/notifications/"  # any page that needs a sign-in


def sign_in(app, username, remember=True):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "remember": "y" if remember else ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert client.get(PAGE).status_code == 200
    return client


def cookies_of(client) -> dict[str, str]:
    return {name: client.get_cookie(name).value for name in ("session", "remember_token")
            if client.get_cookie(name) is not None}


def replay(app, cookies: dict[str, str]):
    """A fresh browser carrying only the given cookies."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def is_sent_to_login(client) -> bool:
    response = client.get(PAGE)
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_cookies_replayed_after_logout_lead_to_the_login_page(app, users):
    client = sign_in(app, "firm1")
    saved = cookies_of(client)
    assert set(saved) == {"session", "remember_token"}
    # before the logout the same cookies work in another browser, so the test can fail
    assert replay(app, saved).get(PAGE).status_code == 200
    assert replay(app, {"remember_token": saved["remember_token"]}).get(PAGE).status_code == 200

    assert client.post("/logout").status_code == 302
    assert is_sent_to_login(client)
    assert is_sent_to_login(replay(app, saved))
    assert is_sent_to_login(replay(app, {"session": saved["session"]}))
    assert is_sent_to_login(replay(app, {"remember_token": saved["remember_token"]}))
    # a new sign-in works again
    sign_in(app, "firm1")


def test_logout_ends_the_sign_in_on_other_devices_too(app, users):
    phone, desk = sign_in(app, "firm1"), sign_in(app, "firm1", remember=False)
    phone.post("/logout")
    assert is_sent_to_login(desk)


def test_password_change_ends_every_other_session(app, db, users):
    other = sign_in(app, "manager1")
    other_cookies = cookies_of(other)
    here = sign_in(app, "manager1")
    response = here.post("/account/password", data={"old_password": PASSWORD, "new_password": "Lotus-pond-2026",
                                                     "new_password2": "Lotus-pond-2026"})
    assert response.status_code == 302
    assert here.get(PAGE).status_code == 200  # the browser that changed it stays signed in
    assert is_sent_to_login(other)
    assert is_sent_to_login(replay(app, other_cookies))
    assert is_sent_to_login(replay(app, {"remember_token": other_cookies["remember_token"]}))
    # the old password no longer signs in, the new one does
    assert app.test_client().post("/login", data={"username": "manager1", "password": PASSWORD}).status_code == 200
    assert app.test_client().post("/login", data={"username": "manager1",
                                                  "password": "Lotus-pond-2026"}).status_code == 302


def test_deactivation_ends_the_users_sessions_at_once(app, db, users):
    victim = sign_in(app, "manager1")
    saved = cookies_of(victim)
    control.deactivate(db, db.get(User, users["district"].id), users["bank_manager"].id)
    db.commit()
    assert is_sent_to_login(victim)
    assert is_sent_to_login(replay(app, saved))
    assert app.test_client().post("/login", data={"username": "manager1", "password": PASSWORD}).status_code == 200


def test_each_sign_in_gets_a_new_remember_cookie(app, users):
    first = cookies_of(sign_in(app, "firm1"))["remember_token"]
    second = cookies_of(sign_in(app, "firm1"))["remember_token"]
    assert first != second
    # both stay good until a logout, a password change or a deactivation
    assert replay(app, {"remember_token": first}).get(PAGE).status_code == 200


def test_remember_cookie_flags_and_duration(app_config, users):
    app = create_app({**app_config, "REMEMBER_COOKIE_SECURE": True, "SESSION_COOKIE_SECURE": True})
    client = app.test_client()
    response = client.post("/login", base_url="https://localhost",
                           data={"username": "firm1", "password": PASSWORD, "remember": "y"})
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    assert len(headers) == 1
    cookie = headers[0].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)
    app.extensions["db_engine"].dispose()


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("MATCHMAKER_ENV", "production")
    monkeypatch.setenv("MATCHMAKER_SECRET_KEY", "k" * 40)
    monkeypatch.delenv("MATCHMAKER_SECURE_COOKIES", raising=False)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite"})
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["SESSION_COOKIE_SECURE"]
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] and app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    app.extensions["db_engine"].dispose()


def test_a_remember_cookie_older_than_its_lifetime_is_refused_by_the_server(app, users):
    with time_machine.travel("2026-03-01 08:00 +0000", tick=False) as clock:
        saved = cookies_of(sign_in(app, "firm1"))
        clock.shift(timedelta(days=13))
        assert replay(app, {"remember_token": saved["remember_token"]}).get(PAGE).status_code == 200
        clock.shift(timedelta(days=2))
        # the browser would have dropped it; a copy kept by someone else is refused too
        assert is_sent_to_login(replay(app, {"remember_token": saved["remember_token"]}))


def test_an_idle_session_ends(app, users):
    assert app.config["IDLE_MINUTES"] == 120
    with time_machine.travel("2026-03-02 08:00 +0000", tick=False) as clock:
        client = sign_in(app, "township1", remember=False)
        clock.shift(timedelta(minutes=100))
        assert client.get(PAGE).status_code == 200  # used within the limit: the clock starts again
        clock.shift(timedelta(minutes=110))
        assert client.get(PAGE).status_code == 200
        clock.shift(timedelta(minutes=121))
        response = client.get(PAGE)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert "长时间未操作" in client.get("/login").get_data(as_text=True)
        assert is_sent_to_login(client)


def test_an_idle_session_with_remember_me_ends_and_its_cookie_is_dropped(app, users):
    with time_machine.travel("2026-03-03 08:00 +0000", tick=False) as clock:
        client = sign_in(app, "township1", remember=True)
        clock.shift(timedelta(minutes=121))
        assert is_sent_to_login(client)
        assert client.get_cookie("remember_token") is None
        assert is_sent_to_login(client)


def test_idle_minutes_come_from_the_environment(monkeypatch, app_config):
    monkeypatch.setenv("MATCHMAKER_IDLE_MINUTES", "5")
    app = create_app(app_config)
    assert app.config["IDLE_MINUTES"] == 5
    app.extensions["db_engine"].dispose()


def test_a_forged_or_old_style_cookie_signs_nobody_in(app, users):
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"] = str(users["district"].id)  # the id alone, as cookies were before
    assert is_sent_to_login(client)

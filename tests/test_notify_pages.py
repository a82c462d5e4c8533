"""The notification centre for every role: unread first, the navbar badge, mark one / all read, open the linked
page; nobody can read or open someone else's notice; where to receive e-mail/SMS."""
import pytest
from sqlalchemy import select, update

from matchmaker.domain.notify import notifications
from matchmaker.models import Notification, NotificationPreference

ROLES = ("enterprise", "bank_manager", "bank_admin", "township", "district")


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_its_own_notices_unread_first_with_a_badge(as_role, db, users, role):
    me, other = users[role], users["other_enterprise"]
    old = notifications.notify(db, "other", "较早的已读通知", user_ids=[me.id])[0]
    notifications.mark_read(db, me.id, [old.id])
    notifications.notify(db, "claim", "新的未读通知", link="/requests/", user_ids=[me.id])
    notifications.notify(db, "other", "别人的通知", user_ids=[other.id])
    db.commit()
    client = as_role(role)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "别人的通知" not in page
    assert page.index("新的未读通知") < page.index("较早的已读通知")  # unread first
    assert 'id="nav-unread">1<' in page  # the bell in the navbar
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert 'id="nav-unread">1<' in home


def test_mark_one_read_open_link_and_mark_all(as_role, db, users):
    me = users["township"]
    first = notifications.notify(db, "referral", "转介一", link="/referrals/", user_ids=[me.id])[0]
    notifications.notify(db, "referral", "转介二", link="https://evil.example.com/", user_ids=[me.id])
    notifications.notify(db, "referral", "转介三", user_ids=[me.id])
    db.commit()
    client = as_role("township")
    opened = client.post(f"/notifications/{first.id}/read", data={"go": "1"})
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/referrals/")
    db.expire_all()
    assert db.get(Notification, first.id).read_at is not None
    assert notifications.unread_count(db, me.id) == 2
    evil = db.scalar(select(Notification).where(Notification.title == "转介二"))
    assert not client.post(f"/notifications/{evil.id}/read", data={"go": "1"}).headers["Location"].startswith("https://evil")
    only_unread = client.get("/notifications/?unread=1").get_data(as_text=True)
    assert "转介三" in only_unread and "转介一" not in only_unread
    done = client.post("/notifications/read-all", follow_redirects=True).get_data(as_text=True)
    assert "已将 1 条通知标为已读" in done
    db.expire_all()
    assert notifications.unread_count(db, me.id) == 0


def test_nobody_reads_or_opens_another_users_notice(as_role, db, users):
    theirs = notifications.notify(db, "claim", "企业的通知", link="/requests/1", user_ids=[users["enterprise"].id])[0]
    db.commit()
    for role in ("other_enterprise", "bank_manager", "township", "district"):
        assert as_role(role).post(f"/notifications/{theirs.id}/read", data={"go": "1"}).status_code == 404, role
    db.expire_all()
    assert db.get(Notification, theirs.id).read_at is None
    assert as_role("enterprise").post("/notifications/999999/read").status_code == 404
    assert as_role("enterprise").get("/notifications/?kind=nonsense&page=abc").status_code == 200


def test_anonymous_users_are_sent_to_login(client):
    assert client.get("/notifications/").status_code == 302
    assert client.post("/notifications/read-all").status_code == 302


def test_preferences_form_saves_and_shows_errors_next_to_the_field(as_role, db, users):
    client = as_role("bank_manager")
    bad = client.post("/notifications/settings", data={"email": "no-at-sign", "sms_phone": "abc"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "手机号“abc”不是有效的号码" in text and 'value="no-at-sign"' in text
    ok = client.post("/notifications/settings", data={"email": "m@example.com", "sms_phone": "13800000000",
                                                      "sms_enabled": "y"})
    assert ok.status_code == 302
    pref = db.get(NotificationPreference, users["bank_manager"].id)
    assert (pref.email, pref.sms_phone, pref.sms_enabled) == ("m@example.com", "13800000000", True)
    wrong_email = client.post("/notifications/settings", data={"email": "@example.com"})
    assert wrong_email.status_code == 422 and "邮箱地址格式不正确" in wrong_email.get_data(as_text=True)


def test_the_inbox_read_in_two_parts_is_the_unread_first_order_page_by_page(as_role, db, users):
    """inbox_page reads the unread and the read notices apart; every page, every filter, equals `inbox`'s order
    (ties on the time broken by id), and the page shows the same rows."""
    from datetime import timedelta

    from matchmaker.models import utcnow

    me = users["township"]
    kinds = ("claim", "referral", "other")
    rows = notifications.notify(db, "other", "占位", user_ids=[me.id])
    for i in range(37):
        rows += notifications.notify(db, kinds[i % 3], f"通知{i:02d}", user_ids=[me.id])
    now = utcnow()
    for i, row in enumerate(rows):  # three notices share each time
        db.execute(update(Notification).where(Notification.id == row.id)
                   .values(created_at=now - timedelta(minutes=i // 3)))
    notifications.mark_read(db, me.id, [r.id for r in rows[::3]] + [r.id for r in rows[20:26]])
    db.commit()
    for kind in ("", "claim", "other"):
        for unread_only in (False, True):
            expected = [n.id for n in db.scalars(notifications.inbox(me.id, kind, unread_only))]
            for offset in (0, 5, 10, 13, 25, 40, 100):
                got, total, unread = notifications.inbox_page(db, me.id, kind, unread_only, offset, 10)
                assert [n.id for n in got] == expected[offset:offset + 10], (kind, unread_only, offset)
                assert total == len(expected)
    page = as_role("township").get("/notifications/?page=2").get_data(as_text=True)
    second = list(db.scalars(notifications.inbox(me.id)))[25:50]
    assert all(n.title in page for n in second) and len(second) == 13
    assert 'id="nav-unread">' in page and f">{notifications.unread_count(db, me.id)}<" in page

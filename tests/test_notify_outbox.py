"""The outbox: rows only for enabled channels and users with an address there; `send-outbox` sends outside any
transaction (the claim is committed before the adapter runs), records sent/failed with attempts and the error,
retries failures up to the limit, never sends a message twice, and picks up messages a crashed run left."""
from __future__ import annotations

import socketserver
import threading
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, text

from matchmaker import senders
from matchmaker.domain.notify import notifications, outbox
from matchmaker.domain.requests import leads
from matchmaker.models import NotificationPreference, OutboxMessage, utcnow

from . import factories


class RecordingSender:
    """Our test adapter, registered in the sender registry: records deliveries, fails on demand, and checks
    from a separate connection that the message's claim was committed before delivery."""

    channel = "test"
    label = "测试渠道"

    def __init__(self, database_url: str):
        self.sent: list[tuple[str, dict]] = []
        self.fail_times = 0
        self.seen_status: list[str] = []
        self.engine = create_engine(database_url)

    def address(self, user, preference) -> str:
        return user.username

    def send(self, recipient: str, payload: dict) -> None:
        with self.engine.connect() as conn:  # another connection: sees only committed data
            self.seen_status.append(conn.execute(
                text("select status from outbox_message where recipient = :r and status = 'sending'"),
                {"r": recipient}).scalar())
        if self.fail_times > 0:
            self.fail_times -= 1
            raise senders.SendError("网关超时")
        self.sent.append((recipient, payload))


@pytest.fixture
def recorder(monkeypatch, database_url):
    sender = RecordingSender(database_url)
    senders.register(sender)
    monkeypatch.setenv("MATCHMAKER_NOTIFY_CHANNELS", "test")
    yield sender
    senders.unregister("test")
    sender.engine.dispose()


def _send(app, *args):
    return app.test_cli_runner().invoke(args=["send-outbox", *args])


def test_no_channels_by_default_means_no_outbox_rows(db, users, monkeypatch):
    monkeypatch.delenv("MATCHMAKER_NOTIFY_CHANNELS", raising=False)
    notifications.notify(db, "other", "测试", user_ids=[users["district"].id])
    db.commit()
    assert outbox.enabled_channels() == []
    assert db.scalar(select(OutboxMessage.id)) is None


def test_unregistered_channel_is_ignored(db, users, monkeypatch):
    monkeypatch.setenv("MATCHMAKER_NOTIFY_CHANNELS", "pigeon, sms")
    assert outbox.configured_channels() == ["pigeon", "sms"]
    assert outbox.enabled_channels() == ["sms"]


def test_a_request_action_only_queues_and_send_outbox_delivers_outside_the_transaction(app, as_role, db, users, firm,
                                                                                        bank, recorder):
    req, lead = factories.routed_request(db, firm, bank)
    db.commit()
    assert as_role("bank_manager").post(f"/bank/leads/{lead.id}/claim").status_code == 302
    queued = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert {m.recipient for m in queued} == {"firm1", "township1"}  # the claim notice's audience
    assert all(m.status == "pending" and m.attempts == 0 for m in queued)
    assert recorder.sent == []  # nothing was sent inside the request

    result = _send(app)
    assert result.exit_code == 0, result.output
    assert "发送成功 2 条" in result.output
    assert sorted(r for r, _ in recorder.sent) == ["firm1", "township1"]
    assert recorder.seen_status == ["sending", "sending"]  # claim committed before the adapter ran
    payload = recorder.sent[0][1]
    assert "已认领" in payload["title"] and payload["link"] == f"/requests/{req.id}" and payload["kind"] == "claim"
    db.expire_all()
    assert {(m.status, m.attempts, m.last_error) for m in db.scalars(select(OutboxMessage))} == {("sent", 1, "")}
    assert all(m.sent_at is not None and m.locked_at is None for m in db.scalars(select(OutboxMessage)))

    again = _send(app)  # safe to run repeatedly: nothing left, nothing sent twice
    assert "本次取出 0 条" in again.output and len(recorder.sent) == 2


def test_failures_are_recorded_and_retried_until_the_limit(app, db, users, recorder):
    notifications.notify(db, "other", "一条测试通知", user_ids=[users["district"].id])
    db.commit()
    recorder.fail_times = 1
    first = outbox.send_pending(app.extensions["db_sessionmaker"])
    assert (first.claimed, first.sent, first.failed) == (1, 0, 1)
    msg = db.scalar(select(OutboxMessage))
    assert (msg.status, msg.attempts, msg.last_error) == ("failed", 1, "网关超时")

    second = outbox.send_pending(app.extensions["db_sessionmaker"])
    assert (second.sent, second.failed) == (1, 0)
    db.expire_all()
    msg = db.scalar(select(OutboxMessage))
    assert (msg.status, msg.attempts, msg.last_error) == ("sent", 2, "")

    notifications.notify(db, "other", "总是失败", user_ids=[users["district"].id])
    db.commit()
    recorder.fail_times = 100
    for _ in range(outbox.MAX_ATTEMPTS + 2):
        outbox.send_pending(app.extensions["db_sessionmaker"])
    db.expire_all()
    dead = db.scalar(select(OutboxMessage).where(OutboxMessage.status == "failed"))
    assert dead.attempts == outbox.MAX_ATTEMPTS  # given up after the limit, not retried for ever
    assert outbox.send_pending(app.extensions["db_sessionmaker"]).claimed == 0
    assert outbox.retry(db, dead.id) is not None  # the district puts it back
    db.commit()
    recorder.fail_times = 0
    assert outbox.send_pending(app.extensions["db_sessionmaker"]).sent == 1


def test_a_claimed_message_is_not_taken_by_a_second_run_until_it_is_stale(app, db, users, recorder):
    notifications.notify(db, "other", "一条", user_ids=[users["district"].id])
    db.commit()
    factory = app.extensions["db_sessionmaker"]
    now = utcnow()
    taken = outbox.claim(factory, 10, now)
    assert len(taken) == 1
    assert outbox.claim(factory, 10, now) == []  # a concurrent run finds nothing to take
    assert outbox.claim(factory, 10, now + outbox.STALE_AFTER - timedelta(seconds=1)) == []
    later = outbox.send_pending(factory, now=now + outbox.STALE_AFTER + timedelta(seconds=1))
    assert later.sent == 1  # the first run crashed: the message is picked up again
    db.expire_all()
    assert db.scalar(select(OutboxMessage.attempts)) == 2


def test_addresses_follow_the_users_preferences(db, users, monkeypatch):
    monkeypatch.setenv("MATCHMAKER_NOTIFY_CHANNELS", "email,sms")
    district, township = users["district"], users["township"]
    district.phone = "13900000001"
    notifications.save_preference(db, township, email="li@example.com", sms_phone="", sms_enabled=False)
    db.flush()
    notifications.notify(db, "other", "测试", user_ids=[district.id, township.id, users["bank_admin"].id])
    rows = {(m.channel, m.recipient) for m in db.scalars(select(OutboxMessage))}
    # district: no preference row -> SMS to the account phone, no e-mail; township: e-mail only; bank admin:
    # no phone and no e-mail -> nothing
    assert rows == {("sms", "13900000001"), ("email", "li@example.com")}
    with pytest.raises(Exception, match="邮箱"):
        notifications.save_preference(db, township, email="not-an-address")
    assert db.get(NotificationPreference, township.id).email == "li@example.com"


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept one message (no TLS, no auth)."""

    def handle(self):
        self.wfile.write(b"220 test ESMTP\r\n")
        data, in_data = [], False
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace")
            if in_data:
                if line in (".\r\n", ".\n"):
                    in_data = False
                    self.server.messages.append("".join(data))
                    self.wfile.write(b"250 queued\r\n")
                else:
                    data.append(line)
                continue
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250 test\r\n")
            elif verb == "DATA":
                in_data = True
                self.wfile.write(b"354 go on\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


def test_email_adapter_sends_through_smtp_and_reports_missing_settings(monkeypatch):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("MATCHMAKER_PUBLIC_URL", "https://rz.example.gov.cn/")
        sender = senders.SmtpEmailSender(senders.SmtpSettings(host="127.0.0.1", port=server.server_address[1],
                                                              sender="noreply@example.gov.cn", security="none"))
        sender.send("li@example.com", {"title": "新线索：某公司", "body": "请认领", "link": "/bank/leads/7"})
    finally:
        server.shutdown()
        server.server_close()
    assert len(server.messages) == 1
    raw = server.messages[0]
    assert "To: li@example.com" in raw and "From: noreply@example.gov.cn" in raw
    message = sender.build("li@example.com", {"title": "新线索：某公司", "body": "请认领", "link": "/bank/leads/7"})
    assert message["Subject"] == "【银企对接】新线索：某公司"
    assert "https://rz.example.gov.cn/bank/leads/7" in message.get_content()
    with pytest.raises(senders.SendError, match="未配置邮件服务器"):
        senders.SmtpEmailSender(senders.SmtpSettings()).send("x@example.com", {"title": "t"})


def test_sms_stub_logs_the_text(caplog):
    sms = senders.get("sms")
    with caplog.at_level("INFO", logger="matchmaker.senders"):
        sms.send("13800000000", {"title": "您的融资需求已被认领", "link": "/requests/1"})
    assert "13800000000" in caplog.text and "【银企对接】您的融资需求已被认领" in caplog.text


def test_outbox_page_is_for_the_district_only(as_role, db, users, recorder):
    notifications.notify(db, "other", "队列里的一条", user_ids=[users["district"].id])
    db.commit()
    page = as_role("district").get("/notifications/outbox")
    assert page.status_code == 200 and "队列里的一条" in page.get_data(as_text=True)
    for role in ("enterprise", "bank_manager", "bank_admin", "township"):
        assert as_role(role).get("/notifications/outbox").status_code == 403, role
        assert as_role(role).post("/notifications/outbox/1/retry").status_code == 403, role


def test_leads_module_is_unchanged_by_the_outbox_being_on(db, users, firm, bank, recorder):
    """Queueing happens in the same transaction: a rolled-back action leaves no outbox rows."""
    req, lead = factories.routed_request(db, firm, bank)
    db.commit()
    leads.claim(db, users["bank_manager"], lead.id)
    assert db.scalar(select(OutboxMessage.id)) is not None
    db.rollback()
    assert db.scalar(select(OutboxMessage.id)) is None


def test_two_runs_at_once_send_each_message_exactly_once(app, db, users, recorder):
    for i in range(12):
        notifications.notify(db, "other", f"并发{i}", user_ids=[users["district"].id, users["township"].id])
    db.commit()
    factory = app.extensions["db_sessionmaker"]
    start = threading.Barrier(2)
    results = []

    def run():
        start.wait()
        results.append(outbox.send_pending(factory, limit=100))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    titles = sorted((r, p["title"]) for r, p in recorder.sent)
    assert len(titles) == 24 and len(set(titles)) == 24  # every message once, none twice
    assert sum(r.sent for r in results) == 24
    db.expire_all()
    assert {m.attempts for m in db.scalars(select(OutboxMessage))} == {1}

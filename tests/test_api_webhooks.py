"""Webhooks: a bank admin registers a URL; lead events are queued in the outbox with the change and delivered by
the outbox run (not in the web request), signed with HMAC-SHA256 over "<timestamp>.<body>" — checked here by a
small real HTTP receiver — and retried with back-off; each delivery's status is on the page."""
from __future__ import annotations

import json
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from matchmaker.domain.api import webhooks
from matchmaker.domain.core.errors import DomainError, Forbidden
from matchmaker.domain.notify import outbox
from matchmaker.domain.requests import financing, followups, leads
from matchmaker.models import OutboxMessage, utcnow

from . import factories


class Receiver:
    """A bank system's endpoint: records each POST; answers 500 to the first `fail` of them."""

    def __init__(self, fail: int = 0):
        self.received: list[dict] = []
        self.fail = fail
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = 500 if len(receiver.received) <= receiver.fail else 204
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def verified(self, secret: str) -> list[dict]:
        """Bodies whose signature checks out, as a receiver in Python would check them."""
        return [json.loads(r["body"]) for r in self.received
                if webhooks.verify(secret, r["headers"]["X-Matchmaker-Timestamp"], r["body"],
                                   r["headers"]["X-Matchmaker-Signature"])]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


def test_registering_checks_the_url_and_the_role(db, users):
    for url in ("", "ftp://x.cn/a", "javascript:alert(1)", "https://" + "a" * 200 + ".cn", "http:///nohost"):
        with pytest.raises(DomainError) as exc:
            webhooks.register(db, users["bank_admin"], url, ["lead.new"])
        assert exc.value.field == "url"
    with pytest.raises(DomainError) as exc:
        webhooks.register(db, users["bank_admin"], "https://a.cn/h", ["lead.bogus"])
    assert exc.value.field == "events"
    for role in ("bank_manager", "district"):
        with pytest.raises(Forbidden):
            webhooks.register(db, users[role], "https://a.cn/h", ["lead.new"])


def test_events_are_signed_delivered_by_the_outbox_and_checked_by_the_receiver(app, db, users, firm, bank,
                                                                              other_bank, receiver):
    from matchmaker.domain.accounts import users as accounts

    endpoint, secret = webhooks.register(db, users["bank_admin"], receiver.url,
                                         ["lead.new", "lead.released", "offer.accepted"])
    other_admin = accounts.create_user(db, "otheradmin", "test-pass-123", "bank_admin", bank_id=other_bank.id)
    _, other_secret = webhooks.register(db, other_admin, receiver.url, ["lead.released"])
    req, lead = factories.routed_request(db, firm, bank)
    other_lead = factories.add_lead(db, req, other_bank)
    followups.leads_routed(db, req, [lead])  # what routing calls for new leads
    db.commit()
    assert receiver.received == []  # queued with the change, nothing sent inside it
    queued = db.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook")).all()
    assert [m.payload["event"] for m in queued] == ["lead.new"]

    result = outbox.send_pending(app.extensions["db_sessionmaker"])
    assert (result.sent, result.failed) == (1, 0)
    [new] = receiver.verified(secret)
    assert new["event"] == "lead.new" and new["data"]["lead_id"] == lead.id
    assert "contact" not in json.dumps(new)  # contact details only through the API after the claim
    assert receiver.verified("whsec_wrong") == []

    manager = users["bank_manager"]
    leads.claim(db, manager, lead.id)
    leads.record_contact(db, manager, lead.id)
    leads.start_review(db, manager, lead.id)
    offer = leads.approve(db, manager, lead.id, amount_yuan=1_000_000, rate_pct=Decimal("4"), term_months=12)
    db.commit()
    financing.accept_offer(db, users["enterprise"], offer.id)  # releases the other bank's lead
    db.commit()
    outbox.send_pending(app.extensions["db_sessionmaker"])
    ours = [b["event"] for b in receiver.verified(secret)]
    theirs = receiver.verified(other_secret)
    assert ours == ["lead.new", "offer.accepted"]
    assert [(b["event"], b["data"]["lead_id"]) for b in theirs] == [("lead.released", other_lead.id)]


def test_a_failed_delivery_is_retried_with_back_off_and_shown(app, db, users, firm, bank, as_role):
    failing = Receiver(fail=2)
    try:
        _, secret = webhooks.register(db, users["bank_admin"], failing.url, ["lead.new"])
        req, lead = factories.routed_request(db, firm, bank)
        followups.leads_routed(db, req, [lead])
        db.commit()
        sessions = app.extensions["db_sessionmaker"]
        now = utcnow()
        assert outbox.send_pending(sessions, now=now).failed == 1
        message = db.scalar(select(OutboxMessage).where(OutboxMessage.channel == "webhook"))
        assert message.status == "failed" and message.last_error == "HTTP 500"
        assert message.next_attempt_at == now + timedelta(minutes=1)
        assert outbox.send_pending(sessions, now=now + timedelta(seconds=30)).claimed == 0  # not yet
        assert outbox.send_pending(sessions, now=now + timedelta(minutes=2)).failed == 1
        db.expire_all()
        assert db.get(OutboxMessage, message.id).next_attempt_at == now + timedelta(minutes=2 + 4)
        assert outbox.send_pending(sessions, now=now + timedelta(minutes=5)).claimed == 0
        assert outbox.send_pending(sessions, now=now + timedelta(minutes=7)).sent == 1
        db.expire_all()
        delivered = db.get(OutboxMessage, message.id)
        assert (delivered.status, delivered.attempts) == ("sent", 3)
        assert len(failing.verified(secret)) == 3  # the same signed event each time
        page = as_role("bank_admin").get("/api-tokens/webhooks").get_data(as_text=True)
        assert failing.url in page and "已发送" in page and 'id="deliveries"' in page
    finally:
        failing.close()


def test_the_webhook_page_shows_the_secret_once(db, users, as_role):
    client = as_role("bank_admin")
    made = client.post("/api-tokens/webhooks", data={"url": "https://loan.bank.cn/hook", "events": ["lead.new"]})
    assert made.status_code == 200
    secret = made.get_data(as_text=True).split('id="new-secret">')[1].split("<")[0]
    assert secret.startswith("whsec_") and secret not in client.get("/api-tokens/webhooks").get_data(as_text=True)
    bad = client.post("/api-tokens/webhooks", data={"url": "ftp://x", "events": ["lead.new"]})
    assert bad.status_code == 422 and "http" in bad.get_data(as_text=True)
    endpoint = webhooks.endpoints_of(db, users["bank_admin"])[0]
    assert client.post(f"/api-tokens/webhooks/{endpoint.id}/deactivate").status_code == 302
    db.expire_all()
    assert webhooks.endpoints_of(db, users["bank_admin"])[0].active is False
    assert as_role("bank_manager").get("/api-tokens/webhooks").status_code == 403

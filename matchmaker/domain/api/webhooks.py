"""Webhooks for banks' systems: a bank admin registers a URL; new-lead, lead-released and offer-accepted events
are queued in the outbox in the same transaction as the change (channel "webhook"), and `matchmaker send-outbox`
delivers them outside any request: POSTed as JSON, signed with HMAC-SHA256 over "<timestamp>.<body>", retried with
a growing back-off, each delivery's status kept on the outbox row."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import senders
from ...models import Lead, OutboxMessage, User, WebhookEndpoint, utcnow
from ...models.api import WEBHOOK_EVENTS
from ...text import N_
from ..core import txn_memo
from ..core.errors import DomainError, Forbidden, NotFound

CHANNEL = "webhook"
MAX_URL = 180
TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Matchmaker-Signature"
TIMESTAMP_HEADER = "X-Matchmaker-Timestamp"


def _bank_admin(actor: User) -> int:
    if actor.role != "bank_admin" or not actor.bank_id:
        raise Forbidden("只有支行管理员可以管理本行的回调地址")
    return actor.bank_id


def check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if len(url) > MAX_URL:
        raise DomainError("回调地址不能超过%(n)d个字符", field="url", n=MAX_URL)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise DomainError("回调地址应为 http:// 或 https:// 开头的完整网址", field="url")
    return url


def register(session: Session, actor: User, url: str, events: list[str]) -> tuple[WebhookEndpoint, str]:
    """A new endpoint of the actor's bank and its signing secret (shown once on the page)."""
    bank_id = _bank_admin(actor)
    url = check_url(url)
    events = list(dict.fromkeys(events or []))
    if not events or any(e not in WEBHOOK_EVENTS for e in events):
        raise DomainError("请选择要接收的事件", field="events")
    secret = "whsec_" + secrets.token_hex(24)
    endpoint = WebhookEndpoint(bank_id=bank_id, url=url, secret=secret, events=events, created_by_id=actor.id)
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def endpoints_of(session: Session, actor: User) -> list[WebhookEndpoint]:
    bank_id = _bank_admin(actor)
    return list(session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.bank_id == bank_id)
                                .order_by(WebhookEndpoint.id.desc())))


def deactivate(session: Session, actor: User, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.bank_id != _bank_admin(actor):
        raise NotFound("回调地址不存在")
    endpoint.active = False
    return endpoint


def recipient_of(endpoint: WebhookEndpoint) -> str:
    return f"{endpoint.id}:{endpoint.url}"


def deliveries(session: Session, actor: User, limit: int = 50) -> list[OutboxMessage]:
    """The bank's most recent deliveries, newest first, with their status."""
    ids = [e.id for e in endpoints_of(session, actor)]
    if not ids:
        return []
    clauses = [OutboxMessage.recipient.startswith(f"{i}:") for i in ids]
    from sqlalchemy import or_

    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.channel == CHANNEL, or_(*clauses))
                                .order_by(OutboxMessage.id.desc()).limit(limit)))


def lead_data(lead: Lead) -> dict:
    """What an event says of a lead: no firm contact details (the API gives those after the claim)."""
    return {"lead_id": lead.id, "request_id": lead.request_id, "bank_id": lead.bank_id, "state": lead.state,
            "amount_yuan": lead.request.amount, "term_months": lead.request.term_months,
            "claim_deadline": lead.claim_deadline.isoformat() if lead.claim_deadline else None}


def enqueue(session: Session, event: str, leads: Iterable[Lead]) -> list[OutboxMessage]:
    """Queue `event` for each lead to its bank's active endpoints that asked for it (same transaction)."""
    leads = list(leads)
    if not leads:
        return []
    bank_ids = tuple(sorted({lead.bank_id for lead in leads}))

    def read():
        with session.no_autoflush:
            return session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.bank_id.in_(bank_ids),
                                                                 WebhookEndpoint.active.is_(True))).all()
    endpoints = txn_memo.memo(session, (WebhookEndpoint.__tablename__,), ("webhooks", bank_ids), read)
    rows = []
    now = utcnow()
    for lead in leads:
        for endpoint in endpoints:
            if endpoint.bank_id != lead.bank_id or event not in (endpoint.events or []):
                continue
            body = {"event": event, "occurred_at": now.isoformat() + "Z", "data": lead_data(lead)}
            rows.append(OutboxMessage(channel=CHANNEL, recipient=recipient_of(endpoint)[:200],
                                      payload={"event": event, "body": body}, status="pending", attempts=0,
                                      created_at=now))
    session.add_all(rows)
    return rows


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, tolerance: int = 300,
           now: float | None = None) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent (no replay of old deliveries)."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now or time.time()) - stamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature or "")


class WebhookSender:
    """The outbox's "webhook" channel: looks up the endpoint's URL and secret, signs and POSTs the body."""

    channel = CHANNEL
    label = N_("回调")

    def __init__(self, session_factory: Callable[[], Session]):
        self.session_factory = session_factory

    def address(self, user, preference) -> str:
        return ""  # never chosen for a user's notification; webhook rows are queued by `enqueue`

    @staticmethod
    def retry_delay(attempt: int) -> timedelta:
        """1, 4, 16, 64 minutes after the 1st, 2nd, 3rd, 4th failure."""
        return timedelta(minutes=4 ** (attempt - 1))

    def send(self, recipient: str, payload: dict) -> None:
        endpoint_id = int(recipient.split(":", 1)[0])
        with self.session_factory() as session:
            endpoint = session.get(WebhookEndpoint, endpoint_id)
            if endpoint is None or not endpoint.active:
                raise senders.SendError("回调地址已停用")
            url, secret = endpoint.url, endpoint.secret
        body = json.dumps(payload["body"], ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(time.time())
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Matchmaker-Event": payload["event"],
            TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body)})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (http/https only)
                status = response.status
        except urllib.error.HTTPError as exc:
            raise senders.SendError(f"HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise senders.SendError(f"无法连接：{getattr(exc, 'reason', exc)}") from None
        if not 200 <= status < 300:
            raise senders.SendError(f"HTTP {status}")

"""The outbox: external messages (e-mail, SMS) queued in the same transaction as their notification and sent
later by `matchmaker send-outbox`, outside any request's transaction. Safe to run repeatedly and concurrently:
each message is taken by one conditional UPDATE, committed before anything is sent."""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ... import senders
from ...models import Notification, NotificationPreference, OutboxMessage, User, utcnow

MAX_ATTEMPTS = 5
STALE_AFTER = timedelta(minutes=15)  # a "sending" message older than this was left by a crashed run


def configured_channels() -> list[str]:
    """Channels named in MATCHMAKER_NOTIFY_CHANNELS (comma-separated; empty = none, the default)."""
    raw = os.environ.get("MATCHMAKER_NOTIFY_CHANNELS", "")
    return [c.strip().lower() for c in raw.split(",") if c.strip()]


def enabled_channels() -> list[str]:
    """Configured channels that have a registered sender."""
    return [c for c in configured_channels() if senders.get(c) is not None]


def enqueue(session: Session, notifications: list[Notification]) -> list[OutboxMessage]:
    """One outbox message per notification and enabled channel where the user has an address there. The payload
    carries the recipient's language (the notice is already in it): the sender writes its own words in it too."""
    channels = enabled_channels()
    if not channels or not notifications:
        return []
    user_ids = {n.user_id for n in notifications}
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}
    prefs = {p.user_id: p for p in session.scalars(select(NotificationPreference)
                                                   .where(NotificationPreference.user_id.in_(user_ids)))}
    rows = []
    for n in notifications:
        user = users.get(n.user_id)
        if user is None:
            continue
        for channel in channels:
            recipient = senders.get(channel).address(user, prefs.get(user.id))
            if recipient:
                rows.append(OutboxMessage(notification_id=n.id, channel=channel, recipient=recipient[:200],
                                          payload={"kind": n.kind, "title": n.title, "body": n.body,
                                                   "link": n.link, "locale": user.locale},
                                          status="pending", attempts=0, created_at=n.created_at))
    session.add_all(rows)
    return rows


@dataclass
class SendResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"claimed": self.claimed, "sent": self.sent, "failed": self.failed}


def due_clause(now: datetime):
    """Messages a run may take: pending, failed with attempts left, or stuck in "sending" by a crashed run."""
    return or_(OutboxMessage.status == "pending",
               (OutboxMessage.status == "failed") & (OutboxMessage.attempts < MAX_ATTEMPTS)
               & (OutboxMessage.next_attempt_at.is_(None) | (OutboxMessage.next_attempt_at <= now)),
               (OutboxMessage.status == "sending") & (OutboxMessage.locked_at < now - STALE_AFTER))


def claim(session_factory: Callable[[], Session], limit: int, now: datetime) -> list[tuple]:
    """Take up to `limit` due messages in one short committed transaction; returns
    (id, attempt number, channel, recipient, payload) for each message this run now owns."""
    taken = []
    with session_factory() as session, session.begin():
        candidates = session.execute(
            select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.attempts)
            .where(due_clause(now)).order_by(OutboxMessage.id).limit(limit)
        ).all()
        for msg_id, status, attempts in candidates:
            moved = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == msg_id, OutboxMessage.status == status,
                       OutboxMessage.attempts == attempts)
                .values(status="sending", attempts=attempts + 1, locked_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if moved == 1:
                row = session.execute(select(OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.payload)
                                      .where(OutboxMessage.id == msg_id)).one()
                taken.append((msg_id, attempts + 1, row.channel, row.recipient, row.payload))
    return taken


def _finish(session_factory: Callable[[], Session], msg_id: int, attempt: int, error: str | None,
            retry_at: datetime | None = None) -> None:
    values = {"status": "failed", "last_error": error[:2000], "next_attempt_at": retry_at} if error else \
        {"status": "sent", "sent_at": utcnow(), "last_error": ""}
    with session_factory() as session, session.begin():
        session.execute(update(OutboxMessage)
                        .where(OutboxMessage.id == msg_id, OutboxMessage.status == "sending",
                               OutboxMessage.attempts == attempt)
                        .values(locked_at=None, **values).execution_options(synchronize_session=False))


def send_pending(session_factory: Callable[[], Session], limit: int = 100,
                 now: datetime | None = None) -> SendResult:
    """Send due messages: claim (commit), deliver with no transaction open, record sent/failed (commit)."""
    now = now or utcnow()
    result = SendResult()
    for msg_id, attempt, channel, recipient, payload in claim(session_factory, limit, now):
        result.claimed += 1
        sender = senders.get(channel)
        try:
            if sender is None:
                raise senders.SendError(f"发送通道“{channel}”未注册")
            sender.send(recipient, dict(payload or {}))
        except Exception as exc:  # any adapter failure is recorded and retried, never lost
            error = str(exc) or type(exc).__name__
            result.failed += 1
            result.errors.append(f"#{msg_id} {channel} {recipient}: {error}")
            # a sender with a back-off (webhooks) says when to try again; others retry on the next run
            backoff = getattr(sender, "retry_delay", None)
            _finish(session_factory, msg_id, attempt, error, now + backoff(attempt) if backoff else None)
        else:
            result.sent += 1
            _finish(session_factory, msg_id, attempt, None)
    return result


def retry(session: Session, message_id: int) -> OutboxMessage | None:
    """Put a failed message back in the queue (the district's "重新发送")."""
    msg = session.get(OutboxMessage, message_id)
    if msg is None or msg.status != "failed":
        return None
    msg.status, msg.attempts, msg.last_error, msg.next_attempt_at = "pending", 0, "", None
    return msg


def counts(session: Session) -> dict[str, int]:
    """Messages per status."""
    return dict(session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())

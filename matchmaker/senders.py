"""Sender adapters for the outbox: a registry of channels (e-mail over SMTP, an SMS stub that logs), each
knowing which address of a user it needs and how to deliver one message. Register another adapter with
`register(MySender())`; enable channels with MATCHMAKER_NOTIFY_CHANNELS=email,sms (default: none).

A message is written in its recipient's language: the payload's title and body already are (the notice was
rendered for them), and its `locale` (None: Chinese) picks the words the sender adds (subject prefix, link,
signature)."""
from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from .domain.core.translate import text as translated
from .text import N_

log = logging.getLogger("matchmaker.senders")
SUBJECT_PREFIX = N_("【银企对接】")
SIGNATURE = N_("—— 市中区银企融资对接平台（系统邮件，请勿回复）")


class SendError(Exception):
    """Delivery failed; the message stays in the outbox and is retried."""


class Sender(Protocol):
    channel: str
    label: str

    def address(self, user, preference) -> str:
        """The user's address on this channel ("" = do not send to this user)."""

    def send(self, recipient: str, payload: dict) -> None:
        """Deliver one message (payload: kind, title, body, link); raise SendError on failure."""


REGISTRY: dict[str, Sender] = {}


def register(sender: Sender) -> Sender:
    REGISTRY[sender.channel] = sender
    return sender


def unregister(channel: str) -> None:
    REGISTRY.pop(channel, None)


def get(channel: str) -> Sender | None:
    return REGISTRY.get(channel)


def public_link(link: str) -> str:
    """An absolute link for messages read outside the app (MATCHMAKER_PUBLIC_URL + path)."""
    base = os.environ.get("MATCHMAKER_PUBLIC_URL", "").rstrip("/")
    return f"{base}{link}" if link and base else link


def message_text(payload: dict) -> str:
    parts = [payload.get("title", ""), payload.get("body", "")]
    if payload.get("link"):
        parts.append(translated(payload.get("locale"), N_("查看：%(link)s"), link=public_link(payload["link"])))
    return "\n\n".join(p for p in parts if p)


def subject(payload: dict) -> str:
    """The prefix and the notice's title, in the recipient's language."""
    return translated(payload.get("locale"), SUBJECT_PREFIX) + payload.get("title", "")


@dataclass
class SmtpSettings:
    host: str = ""
    port: int = 587
    username: str = ""
    password: str = ""
    sender: str = ""
    security: str = "starttls"  # starttls / ssl / none
    timeout: float = 15.0

    @classmethod
    def from_env(cls) -> "SmtpSettings":
        env = os.environ.get
        return cls(host=env("MATCHMAKER_SMTP_HOST", ""), port=int(env("MATCHMAKER_SMTP_PORT", "587")),
                   username=env("MATCHMAKER_SMTP_USER", ""), password=env("MATCHMAKER_SMTP_PASSWORD", ""),
                   sender=env("MATCHMAKER_SMTP_FROM", "") or env("MATCHMAKER_SMTP_USER", ""),
                   security=env("MATCHMAKER_SMTP_SECURITY", "starttls").lower())


class SmtpEmailSender:
    """E-mail through an SMTP server; settings from MATCHMAKER_SMTP_* (read when sending)."""

    channel = "email"
    label = N_("电子邮件")

    def __init__(self, settings: SmtpSettings | None = None):
        self._settings = settings

    @property
    def settings(self) -> SmtpSettings:
        return self._settings or SmtpSettings.from_env()

    def address(self, user, preference) -> str:
        return (preference.email if preference is not None else "") or ""

    def build(self, recipient: str, payload: dict) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = subject(payload)
        msg["From"] = self.settings.sender
        msg["To"] = recipient
        msg.set_content(message_text(payload) + "\n\n" + translated(payload.get("locale"), SIGNATURE))
        return msg

    def send(self, recipient: str, payload: dict) -> None:
        cfg = self.settings
        if not cfg.host or not cfg.sender:
            raise SendError("未配置邮件服务器（MATCHMAKER_SMTP_HOST / MATCHMAKER_SMTP_FROM）")
        msg = self.build(recipient, payload)
        try:
            if cfg.security == "ssl":
                client = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
            with client:
                if cfg.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if cfg.username:
                    client.login(cfg.username, cfg.password)
                client.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"邮件发送失败：{exc}") from exc


class LogSmsSender:
    """SMS stub: writes the text to the log. A real gateway subclasses this and overrides `deliver`."""

    channel = "sms"
    label = N_("短信")

    def address(self, user, preference) -> str:
        if preference is not None:
            if not preference.sms_enabled:
                return ""
            return preference.sms_phone or user.phone or ""
        return user.phone or ""

    def text(self, payload: dict) -> str:
        text = subject(payload)
        if payload.get("link"):
            text += " " + public_link(payload["link"])
        return text[:300]

    def deliver(self, phone: str, text: str) -> None:
        log.info("SMS to %s: %s", phone, text)

    def send(self, recipient: str, payload: dict) -> None:
        self.deliver(recipient, self.text(payload))


register(SmtpEmailSender())
register(LogSmsSender())

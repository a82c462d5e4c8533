"""The notification centre (every role): the user's notices, unread first, mark read, open the linked page;
where to receive e-mail/SMS; the unread badge for the navbar; the district's view of the outbox."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from ...domain.notify import notifications, outbox
from ...models import OutboxMessage
from ...models.notifications import NOTIFICATION_KINDS, OUTBOX_STATES
from ...text import N_
from .. import i18n
from ..common import (
    Page,
    apply_sort,
    found_or_abort,
    page_number,
    paginate,
    roles_required,
    run_form_action,
    safe_next,
    session,
)
from .forms import PreferenceForm

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
ALL_ROLES = ("enterprise", "bank_manager", "bank_admin", "township", "district")
CHANNEL_LABELS = {"email": N_("邮件"), "sms": N_("短信")}
COMMAND = Markup('<code lang="en">matchmaker send-outbox</code>')  # a command: the same in every language


def _channels_text(channels) -> Markup:
    """Channel names as the reader's language lists them ("邮件、短信" / "E-mail, SMS")."""
    names = [gettext(CHANNEL_LABELS[c]) if c in CHANNEL_LABELS else i18n.data(c) for c in channels]
    return Markup("、" if i18n.is_chinese() else ", ").join(names)


def unread_notifications() -> int:
    """The signed-in user's unread count, counted once per request (the badge and the page share it)."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        g.unread_notifications = notifications.unread_count(session(), current_user.id)
    return g.unread_notifications


@bp.app_context_processor
def _unread_badge():

    return {"unread_notifications": unread_notifications, "NOTIFICATION_KINDS": NOTIFICATION_KINDS}


@bp.get("/")
@roles_required(*ALL_ROLES)
def index():
    kind = request.args.get("kind", "")
    kind = kind if kind in NOTIFICATION_KINDS else ""
    unread_only = request.args.get("unread") == "1"
    number, per_page = page_number(), current_app.config["PAGE_SIZE"]
    rows, total, unread = notifications.inbox_page(session(), current_user.id, kind, unread_only,
                                                   (number - 1) * per_page, per_page)
    if not kind:
        g.unread_notifications = unread  # the badge's figure: counted once
    page = Page(rows, number, per_page, total)
    return render_template("notifications/index.html", page=page, kind=kind, unread_only=unread_only,
                           unread=unread_notifications())


@bp.post("/<int:notification_id>/read")
@roles_required(*ALL_ROLES)
def read(notification_id: int):
    """Mark one of the user's notices read; with go=1, then open the page it links to."""
    db = session()
    row = found_or_abort(notifications.open_notification, db, current_user.id, notification_id)
    db.commit()
    target = row.link if request.form.get("go") == "1" else request.form.get("next")
    return redirect(safe_next(target) or url_for("notifications.index"))


@bp.post("/read-all")
@roles_required(*ALL_ROLES)
def read_all():
    db = session()
    changed = notifications.mark_read(db, current_user.id)
    db.commit()
    flash(gettext("已将 %(n)s 条通知标为已读", n=changed) if changed else gettext("没有未读通知"),
          "success" if changed else "info")
    return redirect(url_for("notifications.index"))


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(*ALL_ROLES)
def settings():
    db = session()
    pref = notifications.preference_for(db, current_user)
    form = PreferenceForm(obj=pref)
    if form.validate_on_submit():
        done = run_form_action(db, form, lambda: notifications.save_preference(
            db, current_user, email=form.email.data or "", sms_phone=form.sms_phone.data or "",
            sms_enabled=form.sms_enabled.data), gettext("通知接收方式已保存"), url_for("notifications.settings"))
        if done:
            return done
    status = 422 if form.errors else 200
    channels = outbox.enabled_channels()
    return render_template("notifications/settings.html", form=form, channels=channels,
                           channels_text=_channels_text(channels)), status


@bp.get("/outbox")
@roles_required("district")
def outbox_page():
    query = select(OutboxMessage)
    status = request.args.get("status", "")
    if status in OUTBOX_STATES:
        query = query.where(OutboxMessage.status == status)
    channel = request.args.get("channel", "")
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    query = apply_sort(query, {"created": OutboxMessage.created_at, "status": OutboxMessage.status,
                               "attempts": OutboxMessage.attempts}, "-created")
    page = paginate(query, current_app.config["PAGE_SIZE"])
    return render_template("notifications/outbox.html", page=page, counts=outbox.counts(session()),
                           channels=outbox.configured_channels(), enabled=outbox.enabled_channels(),
                           enabled_text=_channels_text(outbox.enabled_channels()),
                           max_attempts=outbox.MAX_ATTEMPTS, status=status, states=OUTBOX_STATES)


@bp.post("/outbox/<int:message_id>/retry")
@roles_required("district")
def outbox_retry(message_id: int):
    db = session()
    if outbox.retry(db, message_id) is None:
        db.rollback()
        flash(gettext("只有发送失败的消息可以重新发送"), "warning")
    else:
        db.commit()
        flash(Markup(escape(gettext("已重新放入发送队列，下次运行 %(command)s 时发送"))) % {"command": COMMAND}, "success")
    return redirect(url_for("notifications.outbox_page"))

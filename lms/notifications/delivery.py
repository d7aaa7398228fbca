"""Sending the outbox by e-mail: run by the mail worker, never inside a web request."""

import logging
import smtplib
import sys
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from icalendar import Calendar

from lms.clock import utcnow
from lms.extensions import db
from lms.notifications.models import Notification, OutboxState

log = logging.getLogger("lms.mail")

CLAIM_SECONDS = 120
MAX_BACKOFF = timedelta(hours=1)
DUE_STATES = (OutboxState.WAITING, OutboxState.FAILING)
ATTACHMENT_NAMES = {"REQUEST": "invitation.ics", "CANCEL": "cancellation.ics"}
NO_SERVER_NOTE = "MAIL_SERVER is not set: printed on the mail worker's console, not sent"


class NoMailServer(Exception):
    """No MAIL_SERVER is configured: the message can only be shown, not sent."""


class Delivery(NamedTuple):
    """What one pass over the outbox did."""

    sent: int
    failed: int
    not_sent: int  # no mail server: printed instead


def _print(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _claim(notification_id: int) -> bool:
    """Claim one message for sending; a second worker trying at once gets False."""
    now = utcnow()
    hold = max(CLAIM_SECONDS, 10 * current_app.config["MAIL_TIMEOUT"])
    result = db.session.execute(
        sa.update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.state.in_(DUE_STATES),
            sa.or_(Notification.claimed_until.is_(None), Notification.claimed_until < now),
        )
        .values(claimed_until=now + timedelta(seconds=hold))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def email_for(notification: Notification) -> EmailMessage:
    """The e-mail of one notification, its calendar attached when it has one."""
    config = current_app.config
    message = EmailMessage()
    message["Subject"] = notification.subject
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = notification.to_address or notification.user.email
    message["Message-ID"] = f"<notification-{notification.id}@{config['MAIL_DOMAIN']}>"
    message.set_content(notification.body)
    if notification.ics:
        # Mail programs act on the part's `method` (Outlook, Gmail show the invitation
        # or remove the event): it must be the calendar's own METHOD.
        method = str(Calendar.from_ical(notification.ics).get("method") or "PUBLISH").upper()
        message.add_attachment(
            notification.ics.encode(),
            maintype="text",
            subtype="calendar",
            filename=ATTACHMENT_NAMES.get(method, "sessions.ics"),
            params={"method": method, "charset": "utf-8"},
        )
    return message


def console_text(message: EmailMessage) -> str:
    """The message as a person reads it: headers, then the plain text (links intact)."""
    lines = [
        f"{name}: {value}"
        for name, value in message.items()
        if name not in ("Content-Type", "Content-Transfer-Encoding", "MIME-Version")
    ]
    body = message.get_body(preferencelist=("plain",))
    lines += ["", body.get_content().rstrip() if body is not None else ""]
    lines += [f"[attachment: {part.get_filename()}]" for part in message.iter_attachments()]
    rule = "-" * 72
    return "\n".join([rule, *lines, rule])


def _send(message: EmailMessage) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        raise NoMailServer
    with smtplib.SMTP(
        config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]
    ) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def deliver_outbox(limit: int = 100, console: Callable[[str], None] = _print) -> Delivery:
    """Send the due messages (waiting, or failing and due for a retry).

    Commits its own small transactions (one claim, one outcome per message), so a
    crash loses at most the message in hand, which is claimed for a while and then
    tried again. Without MAIL_SERVER each message is written to `console` in full
    and kept as "not sent: no mail server" until an administrator resends it.
    """
    now = utcnow()
    due = list(
        db.session.scalars(
            sa.select(Notification.id)
            .where(Notification.state.in_(DUE_STATES), Notification.next_attempt_at <= now)
            .order_by(Notification.id)
            .limit(limit)
        )
    )
    sent = failed = not_sent = 0
    for notification_id in due:
        if not _claim(notification_id):
            continue
        notification = db.session.get(Notification, notification_id)
        try:
            message = email_for(notification)
            _send(message)
        except NoMailServer:
            not_sent += 1
            console(console_text(message))
            notification.state = OutboxState.NO_SERVER
            notification.last_error = NO_SERVER_NOTE
        except Exception as error:  # refused, timed out, or a message that cannot be built
            failed += 1
            notification.attempts += 1
            notification.state = OutboxState.FAILING
            # Back off 1, 2, 4 ... minutes, at most an hour; never give up.
            delay = min(timedelta(minutes=2 ** min(notification.attempts - 1, 10)), MAX_BACKOFF)
            notification.next_attempt_at = utcnow() + delay
            notification.last_error = f"{type(error).__name__}: {error}"[:1000]
            # The error's kind only: its text may name the recipient's address, and
            # logs hold no personal data beyond ids (the outbox row keeps the text).
            log.warning(
                "e-mail %s not sent (attempt %s): %s",
                notification.id,
                notification.attempts,
                type(error).__name__,
            )
        else:
            sent += 1
            notification.state = OutboxState.SENT
            notification.sent_at = utcnow()
            notification.attempts += 1
            notification.last_error = ""
        notification.claimed_until = None
        db.session.commit()
    return Delivery(sent, failed, not_sent)

"""The outbox: notifications written with the change they report, e-mailed after commit."""

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context
from flask_babel import force_locale

from lms.auth.models import User
from lms.db import utcnow
from lms.extensions import db
from lms.notifications.models import Notification

log = logging.getLogger("lms.mail")

CLAIM_SECONDS = 120
MAX_BACKOFF = timedelta(hours=1)


def notify(user: User, kind: str, render, ics: str | None = None,
           language: str | None = None) -> Notification:
    """Queue news for `user`. `render()` returns (subject, body) and runs in their language.

    Their language is their profile's, else `language` (the run's, for news about a
    run), else the default: never the language of whoever caused the change.
    """
    with force_locale(recipient_locale(user, language)):
        subject, body = render()
    notification = Notification(user=user, kind=kind, subject=str(subject), body=str(body),
                                ics=ics)
    db.session.add(notification)
    db.session.flush()
    if has_app_context():
        g.outbox_pending = True
    return notification


def recipient_locale(user: User, language: str | None = None) -> str:
    languages = current_app.config["LANGUAGES"]
    for code in (user.locale, language):
        if code in languages:
            return code
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def unseen_count(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.seen_at.is_(None)
        )
    )


def recent_for(user: User, limit: int = 10) -> list[Notification]:
    return list(db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.id.desc()).limit(limit)
    ))


def mark_seen(notifications: list[Notification]) -> None:
    now = utcnow()
    for notification in notifications:
        if notification.seen_at is None:
            notification.seen_at = now
    db.session.flush()


# ---------------------------------------------------------------- delivery

def _claim(notification_id: int) -> bool:
    """Claim one message for sending; a second process trying at once gets False."""
    now = utcnow()
    result = db.session.execute(
        sa.update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.sent_at.is_(None),
            sa.or_(Notification.claimed_until.is_(None), Notification.claimed_until < now),
        )
        .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _email(notification: Notification) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["Subject"] = notification.subject
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = notification.user.email
    message["Message-ID"] = f"<notification-{notification.id}@{config['MAIL_DOMAIN']}>"
    message.set_content(notification.body)
    if notification.ics:
        message.add_attachment(notification.ics.encode(), maintype="text", subtype="calendar",
                               filename="sessions.ics", params={"method": "PUBLISH"})
    return message


def _send(message: EmailMessage) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        log.info("e-mail (no MAIL_SERVER set, logged instead):\n%s", message)
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def deliver_outbox(limit: int = 100) -> tuple[int, int]:
    """Send due messages; returns (sent, failed). Commits its own small transactions."""
    now = utcnow()
    due = list(db.session.scalars(
        sa.select(Notification.id)
        .where(Notification.sent_at.is_(None), Notification.next_attempt_at <= now)
        .order_by(Notification.id).limit(limit)
    ))
    sent = failed = 0
    for notification_id in due:
        if not _claim(notification_id):
            continue
        notification = db.session.get(Notification, notification_id)
        try:
            _send(_email(notification))
        except (OSError, smtplib.SMTPException) as error:
            failed += 1
            notification.attempts += 1
            # Back off 1, 2, 4 ... minutes, at most an hour; never give up.
            delay = min(timedelta(minutes=2 ** (notification.attempts - 1)), MAX_BACKOFF)
            notification.next_attempt_at = utcnow() + delay
            notification.last_error = f"{type(error).__name__}: {error}"[:1000]
            log.warning("e-mail %s not sent (attempt %s): %s", notification.id,
                        notification.attempts, error)
        else:
            sent += 1
            notification.sent_at = utcnow()
            notification.attempts += 1
            notification.last_error = ""
        notification.claimed_until = None
        db.session.commit()
    return sent, failed


def deliver_after_response(app: Flask) -> None:
    """Run by the request that committed news, once its response has gone out."""
    with app.app_context():
        try:
            deliver_outbox()
        except Exception:  # a failed delivery must never break the request
            log.exception("outbox delivery failed; messages stay queued")
            db.session.rollback()


def init_app(app: Flask) -> None:
    """After a request that queued news, send it once the response has gone out."""

    @app.after_request
    def _deliver_queued_news(response):
        if g.pop("outbox_pending", False) and app.config["OUTBOX_DELIVER_AFTER_REQUEST"]:
            response.call_on_close(lambda: deliver_after_response(app))
        return response

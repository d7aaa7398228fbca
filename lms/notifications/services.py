"""The outbox: notifications written with the change they report, e-mailed after commit.

Delivery is the mail worker's job (`flask outbox send --loop N`, lms/notifications/
worker.py), never a web worker's: a slow or hung SMTP server then delays no page.
"""

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from lms.auth.models import User
from lms.clock import utcnow
from lms.extensions import db
from lms.notifications.models import Notification, OutboxState


def notify(
    user: User,
    kind: str,
    render,
    ics: str | None = None,
    language: str | None = None,
    to_address: str | None = None,
    centre_id: int | None = None,
) -> Notification:
    """Queue news for `user`. `render()` returns (subject, body) and runs in their language.

    `centre_id`: the centre whose run the news is about (its administrators see the
    message in their Outbox); None for news about the account itself.

    Their language is their profile's, else `language` (the run's, for news about a
    run), else the default: never the language of whoever caused the change.
    """
    with force_locale(recipient_locale(user, language)):
        subject, body = render()
    notification = Notification(
        user=user,
        kind=kind,
        subject=str(subject),
        body=str(body),
        ics=ics,
        to_address=to_address,
        centre_id=centre_id,
        state=OutboxState.WAITING,
    )
    db.session.add(notification)
    db.session.flush()
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
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def mark_seen(notifications: list[Notification]) -> None:
    now = utcnow()
    for notification in notifications:
        if notification.seen_at is None:
            notification.seen_at = now
    db.session.flush()

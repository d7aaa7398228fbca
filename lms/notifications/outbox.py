"""The outbox as administrators see it: which messages left, which wait, which fail.

A message belongs to a centre when it is news about one of that centre's runs
(`Notification.centre_id`, set by `notify`); messages about the account itself
(confirmation, password reset) belong to no centre and only network
administrators see them.
"""

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from lms.clock import utcnow
from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import gettext as _
from lms.notifications.models import Notification, OutboxState
from lms.paging import KeysetPage, keyset_page

PAGE_SIZE = 50
RESENDABLE = (OutboxState.FAILING, OutboxState.NO_SERVER)  # offered a "Resend" button


def _visible(stmt, centre_id: int | None):
    """`stmt` narrowed to one centre's messages (None: a network administrator, all)."""
    return stmt if centre_id is None else stmt.where(Notification.centre_id == centre_id)


def outbox_page(
    centre_id: int | None, state: OutboxState | None = None,
    after: str | None = None, before: str | None = None,
) -> KeysetPage:
    """One page of messages, newest first: the newest, those older than cursor `after`,
    or those newer than cursor `before` (lms.paging).

    Keyset paging on the id with the recipient joined: one query per page, however
    many messages there are.
    """
    stmt = _visible(sa.select(Notification), centre_id).options(joinedload(Notification.user))
    if state is not None:
        stmt = stmt.where(Notification.state == state)
    return keyset_page(stmt, (Notification.id,), (int,), after=after, before=before,
                       size=PAGE_SIZE)


def visible_message(notification_id: int, centre_id: int | None) -> Notification | None:
    """The message, if an administrator of `centre_id` (None: network) may see it."""
    return db.session.scalar(
        _visible(sa.select(Notification), centre_id).where(Notification.id == notification_id)
    )


def resend(notification: Notification) -> None:
    """Queue a message that was not sent for the mail worker's next pass."""
    if notification.state == OutboxState.SENT:
        raise DomainError(_("This message has already been sent."))
    notification.state = OutboxState.WAITING
    notification.next_attempt_at = utcnow()
    db.session.flush()


def _failing(stmt, centre_id: int | None):
    stmt = stmt.where(Notification.state.in_((OutboxState.FAILING, OutboxState.NO_SERVER)))
    if centre_id is not None:
        stmt = stmt.where(Notification.centre_id == centre_id)
    return stmt


def count_failing(centre_id: int | None) -> int:
    """How many messages `resend_all_failing(centre_id)` would queue again."""
    return db.session.scalar(_failing(sa.select(sa.func.count(Notification.id)), centre_id))


def resend_all_failing(centre_id: int | None) -> int:
    """Queue again every failing or unsent (no mail server) message; returns how many.
    Through the ORM, one by one, so that each is in the audit log with who resent it."""
    messages = db.session.scalars(_failing(sa.select(Notification), centre_id)).all()
    for notification in messages:
        resend(notification)
    return len(messages)

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.db import str_enum
from lms.extensions import db


class OutboxState(enum.StrEnum):
    """Where a message stands in the outbox (the e-mail side of a notification)."""

    WAITING = "waiting"  # due now or later; never tried, or resent by an administrator
    FAILING = "failing"  # the SMTP server refused or did not answer; retried with back-off
    SENT = "sent"
    NO_SERVER = "no_server"  # no MAIL_SERVER configured: printed by the worker, not sent


class Notification(db.Model):
    """News for one person: shown in the app and sent by e-mail through this outbox.

    Written in the same transaction as the change it reports, sent by the mail
    worker (`flask outbox send --loop N`) after that commits; a failed send is
    retried later, so no message is lost. `centre_id` is the centre whose run the
    news is about (NULL for news about the account itself): it decides which
    centre's administrators see the message on the Outbox page.
    """

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False, index=True)
    centre_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("centre.id"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    ics: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    # Sent here instead of the user's address (a new address being confirmed, or
    # the old one told of the change): NULL means the user's address when sent.
    to_address: Mapped[str | None] = mapped_column(sa.String(254), nullable=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # The e-mail side of the outbox.
    state: Mapped[OutboxState] = mapped_column(
        str_enum(OutboxState, "outbox_state"),
        nullable=False,
        default=OutboxState.WAITING,
        server_default=OutboxState.WAITING.value,
        index=True,
    )
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")

    user: Mapped["User"] = relationship()  # noqa: F821

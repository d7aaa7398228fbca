from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import utcnow
from lms.extensions import db


class Notification(db.Model):
    """News for one person: shown in the app and sent by e-mail through this outbox.

    Written in the same transaction as the change it reports, sent after that
    commits; a failed send is retried later, so no message is lost.
    """

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    ics: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # The e-mail side of the outbox.
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")

    user: Mapped["User"] = relationship()  # noqa: F821

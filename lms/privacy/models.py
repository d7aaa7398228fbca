import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.db import str_enum
from lms.extensions import db


class RequestKind(enum.StrEnum):
    ACCESS = "access"  # GDPR Art. 15 (the export answers it at once; a request asks staff)
    ERASURE = "erasure"  # Art. 17, within the retention of training evidence
    RECTIFICATION = "rectification"  # Art. 16: what the person cannot correct themselves


class RequestState(enum.StrEnum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    REFUSED = "refused"


OPEN_STATES = (RequestState.RECEIVED, RequestState.IN_PROGRESS)


class PrivacyRequest(db.Model):
    """A person's request about their data, answered by an administrator within the
    legal deadline (one month from receipt, GDPR Art. 12(3)). Never deleted: the
    queue is the proof that requests were answered."""

    __tablename__ = "privacy_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False, index=True)
    kind: Mapped[RequestKind] = mapped_column(str_enum(RequestKind, "privacy_request_kind"),
                                              nullable=False)
    state: Mapped[RequestState] = mapped_column(
        str_enum(RequestState, "privacy_request_state"), nullable=False,
        default=RequestState.RECEIVED)
    received_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    # The legal deadline: the same day of the next month (the last day if shorter).
    due_on: Mapped[date] = mapped_column(nullable=False)
    # What the person asked (rectification: what is wrong and what is right).
    details: Mapped[str] = mapped_column(sa.String(2000), nullable=False, default="")
    # What was done (or why it was refused), as told to the person.
    outcome: Mapped[str] = mapped_column(sa.String(2000), nullable=False, default="")
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), nullable=True)
    handled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # An erasure carried out: what no rule keeps is erased at once; the rest is kept
    # until `retain_until`, then pseudonymised (`flask privacy pseudonymise`).
    retain_until: Mapped[date | None] = mapped_column(nullable=True)
    pseudonymised_at: Mapped[datetime | None] = mapped_column(nullable=True)

    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821
    handled_by: Mapped["User | None"] = relationship(foreign_keys=[handled_by_id])  # noqa: F821

    __table_args__ = (sa.Index("ix_privacy_request_state_due_on", "state", "due_on"),)

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.db import str_enum
from lms.extensions import db


class EnrolmentState(enum.StrEnum):
    PENDING = "pending"
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


# States that hold a seat (counted in Run.enrolled_count): a pending enrolment
# keeps its seat while it waits for approval, so refusing it frees one (rule 2).
SEAT_STATES = (EnrolmentState.PENDING, EnrolmentState.ENROLLED)
ACTIVE_STATES = (*SEAT_STATES, EnrolmentState.WAITLISTED)


class CancelKind(enum.StrEnum):
    BY_TRAINEE = "by_trainee"
    BY_ADMIN = "by_admin"
    REFUSED = "refused"
    RUN_CANCELLED = "run_cancelled"
    MOVED = "moved"


class Outcome(enum.StrEnum):
    COMPLETED = "completed"
    NOT_COMPLETED = "not_completed"


class Enrolment(db.Model):
    """A trainee's place (or wish for one) in a run. Cancelled, never deleted.

    One row per trainee and run: enrolling again after a cancellation reopens
    the same row, and EnrolmentEvent keeps every change.
    """

    __tablename__ = "enrolment"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("run.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False, index=True)
    state: Mapped[EnrolmentState] = mapped_column(
        str_enum(EnrolmentState, "enrolment_state"), nullable=False
    )
    # FIFO order of the waitlist; the position shown is derived from it, so
    # positions are unique and gap-free without renumbering anything.
    waitlisted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    outcome: Mapped[Outcome | None] = mapped_column(
        str_enum(Outcome, "enrolment_outcome"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), nullable=True)
    cancel_kind: Mapped[CancelKind | None] = mapped_column(
        str_enum(CancelKind, "cancel_kind"), nullable=True
    )
    cancel_reason: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")
    # Not stored: the waitlist position counted when enrolment.services.enrol() put
    # this enrolment in line, in that transaction (what the trainee is told).
    waitlist_position = None

    run: Mapped["Run"] = relationship()  # noqa: F821
    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821
    cancelled_by: Mapped["User | None"] = relationship(foreign_keys=[cancelled_by_id])  # noqa: F821
    events: Mapped[list["EnrolmentEvent"]] = relationship(
        back_populates="enrolment", order_by="EnrolmentEvent.id"
    )

    __table_args__ = (sa.UniqueConstraint("run_id", "user_id"),)

    @property
    def holds_seat(self) -> bool:
        return self.state in SEAT_STATES


class EnrolmentEvent(db.Model):
    """The history of an enrolment: every state change, who made it, when, why."""

    __tablename__ = "enrolment_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrolment.id"), nullable=False, index=True
    )
    at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), nullable=True)
    from_state: Mapped[EnrolmentState | None] = mapped_column(
        str_enum(EnrolmentState, "enrolment_event_from"), nullable=True
    )
    to_state: Mapped[EnrolmentState] = mapped_column(
        str_enum(EnrolmentState, "enrolment_event_to"), nullable=False
    )
    reason: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")

    enrolment: Mapped[Enrolment] = relationship(back_populates="events")
    by: Mapped["User | None"] = relationship()  # noqa: F821

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.db import str_enum
from lms.extensions import db


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    LATE = "late"
    LEFT_EARLY = "left_early"
    EXCUSED = "excused"
    ABSENT = "absent"


class AttendanceMark(db.Model):
    """One trainee's attendance at one session; changes are kept in AttendanceChange."""

    __tablename__ = "attendance_mark"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("session.id"), nullable=False)
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrolment.id"), nullable=False, index=True
    )
    status: Mapped[AttendanceStatus] = mapped_column(
        str_enum(AttendanceStatus, "attendance_status"), nullable=False
    )
    # Minutes actually attended: the session's for present, fewer for late or
    # left early, zero for excused and absent (rule 5).
    minutes: Mapped[int] = mapped_column(nullable=False, default=0)
    note: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    marked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False)
    marked_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    session: Mapped["Session"] = relationship()  # noqa: F821
    enrolment: Mapped["Enrolment"] = relationship()  # noqa: F821
    marked_by: Mapped["User"] = relationship()  # noqa: F821

    __table_args__ = (sa.UniqueConstraint("session_id", "enrolment_id"),)


class AttendanceChange(db.Model):
    """Audit trail of attendance marks: who changed what, when, and why."""

    __tablename__ = "attendance_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    mark_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attendance_mark.id"), nullable=False, index=True
    )
    changed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    old_status: Mapped[AttendanceStatus | None] = mapped_column(
        str_enum(AttendanceStatus, "attendance_old_status"), nullable=True
    )
    new_status: Mapped[AttendanceStatus] = mapped_column(
        str_enum(AttendanceStatus, "attendance_new_status"), nullable=False
    )
    old_minutes: Mapped[int | None] = mapped_column(nullable=True)
    new_minutes: Mapped[int] = mapped_column(nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")

    mark: Mapped[AttendanceMark] = relationship()
    changed_by: Mapped["User"] = relationship()  # noqa: F821

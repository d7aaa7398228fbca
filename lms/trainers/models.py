import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import str_enum
from lms.extensions import db


class TrainerRole(enum.StrEnum):
    LEAD = "lead"
    CO_TRAINER = "co_trainer"


trainer_assignment_session = sa.Table(
    "trainer_assignment_session",
    db.metadata,
    sa.Column("assignment_id", sa.ForeignKey("trainer_assignment.id"), primary_key=True),
    sa.Column("session_id", sa.ForeignKey("session.id"), primary_key=True),
)


class TrainerAssignment(db.Model):
    """A trainer on a run; narrowed to some sessions when `sessions` is not empty.

    Taking a trainer off a run keeps the row (who trained a session is evidence):
    `removed_at` and `removed_by` say when and by whom; assigning them again
    brings the same row back."""

    __tablename__ = "trainer_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("run.id"), nullable=False, index=True)
    trainer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False, index=True)
    role: Mapped[TrainerRole] = mapped_column(
        str_enum(TrainerRole, "trainer_role"), nullable=False, default=TrainerRole.LEAD
    )
    removed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    removed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), nullable=True)

    run: Mapped["Run"] = relationship()  # noqa: F821
    trainer: Mapped["User"] = relationship(foreign_keys=[trainer_id])  # noqa: F821
    removed_by: Mapped["User | None"] = relationship(foreign_keys=[removed_by_id])  # noqa: F821
    sessions: Mapped[list["Session"]] = relationship(  # noqa: F821
        secondary=trainer_assignment_session
    )

    __table_args__ = (sa.UniqueConstraint("run_id", "trainer_id"),)

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db


class AuditEntry(db.Model):
    """One created, changed or removed record: who, when, what, before → after.

    Written by a flush hook (lms/audit/services.py) in the same transaction as the
    change, so an entry exists exactly when the change was committed. Never edited.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow, index=True)
    # NULL: the command line or the system (e.g. the demo loader), not a person.
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id"), nullable=True, index=True
    )
    action: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # create/update/delete
    entity: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    entity_id: Mapped[int | None] = mapped_column(nullable=True)
    label: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    changes: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    endpoint: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")

    actor: Mapped["User | None"] = relationship()  # noqa: F821

    __table_args__ = (sa.Index("ix_audit_entry_entity", "entity", "entity_id"),)

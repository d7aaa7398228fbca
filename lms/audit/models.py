from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db


class AuditEntry(db.Model):
    """One created, changed or removed record (who, when, what, before → after, why),
    or an event (a login, a failed login, an export, a download of evidence).

    Written by the hooks of lms/audit/services.py in the same transaction as the
    change, so an entry exists exactly when the change was committed. At commit it
    is given the next number of the log (`seq`) and its link of the hash chain
    (lms/audit/chain.py); after that it is never edited.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow, index=True)
    # NULL: the command line or the system (e.g. the demo loader), not a person.
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id"), nullable=True, index=True
    )
    # create / update / delete, or "event" (then `event` names it: login, export...).
    action: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    event: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    entity: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    entity_id: Mapped[int | None] = mapped_column(nullable=True)
    label: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    changes: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    endpoint: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    reason: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")
    # The place in the log and the chain, given at commit: NULL only until then.
    seq: Mapped[int | None] = mapped_column(nullable=True, unique=True)
    hash: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)

    actor: Mapped["User | None"] = relationship()  # noqa: F821

    __table_args__ = (sa.Index("ix_audit_entry_entity", "entity", "entity_id"),)

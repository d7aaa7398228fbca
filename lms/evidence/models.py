from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db


class DocumentBlob(db.Model):
    """Uploaded bytes, stored once by their SHA-256 and never overwritten. `content` is
    NULL when the bytes live in SIGNED_SHEET_DIR (a file named by the hash)."""

    __tablename__ = "document_blob"

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    size: Mapped[int] = mapped_column(nullable=False)
    media_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)


class SignedSheet(db.Model):
    """The signed sign-in sheet of a session, as uploaded. A replacement keeps this row,
    marked replaced (when, by whom, why): nothing is deleted."""

    __tablename__ = "signed_sheet"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("session.id"), nullable=False, index=True
    )
    blob_sha256: Mapped[str] = mapped_column(
        sa.ForeignKey("document_blob.sha256"), nullable=False
    )
    filename: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    media_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False)
    uploaded_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    replaced_at: Mapped[datetime | None] = mapped_column(nullable=True)
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), nullable=True)
    replace_reason: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")

    session: Mapped["Session"] = relationship()  # noqa: F821
    blob: Mapped[DocumentBlob] = relationship()
    uploaded_by: Mapped["User"] = relationship(foreign_keys=[uploaded_by_id])  # noqa: F821
    replaced_by: Mapped["User | None"] = relationship(  # noqa: F821
        foreign_keys=[replaced_by_id]
    )

    __table_args__ = (
        # At most one current sheet per session, even when two uploads race.
        sa.Index(
            "uq_signed_sheet_current",
            "session_id",
            unique=True,
            sqlite_where=sa.text("replaced_at IS NULL"),
            postgresql_where=sa.text("replaced_at IS NULL"),
        ),
    )

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.db import str_enum
from lms.extensions import db


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class Certificate(db.Model):
    """An issued certificate. Its facts and PDF are frozen at issue (rule 6)."""

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrolment.id"), nullable=False, index=True
    )
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("centre.id"), nullable=False)
    year: Mapped[int] = mapped_column(nullable=False)
    sequence: Mapped[int] = mapped_column(nullable=False)
    serial: Mapped[str] = mapped_column(sa.String(30), unique=True, nullable=False)
    verification_code: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    issue_date: Mapped[date] = mapped_column(nullable=False)
    issued_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False)
    facts: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    status: Mapped[CertificateStatus] = mapped_column(
        str_enum(CertificateStatus, "certificate_status"),
        nullable=False,
        default=CertificateStatus.VALID,
    )
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), nullable=True)
    revoke_reason: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")
    # Indexed: the verification page looks up the certificate that replaced this one.
    supersedes_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("certificate.id"), nullable=True, index=True
    )

    enrolment: Mapped["Enrolment"] = relationship()  # noqa: F821
    centre: Mapped["Centre"] = relationship()  # noqa: F821
    issued_by: Mapped["User"] = relationship(foreign_keys=[issued_by_id])  # noqa: F821
    revoked_by: Mapped["User | None"] = relationship(foreign_keys=[revoked_by_id])  # noqa: F821
    supersedes: Mapped["Certificate | None"] = relationship(
        remote_side=[id], back_populates="superseded_by"
    )
    superseded_by: Mapped[list["Certificate"]] = relationship(back_populates="supersedes")

    __table_args__ = (sa.UniqueConstraint("centre_id", "year", "sequence"),)


class CertificateSequence(db.Model):
    """The last serial number used per centre and year. Incremented in the same
    transaction that stores the certificate, so numbers are gap-free: a failed
    issue rolls its number back with it."""

    __tablename__ = "certificate_sequence"

    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("centre.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(nullable=False, default=0)


class Transcript(db.Model):
    """A trainee's transcript as issued: the valid certificates of that day, frozen in
    `facts` and in the PDF (never rewritten or deleted; an old one stays verifiable)."""

    __tablename__ = "transcript"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False, index=True)
    verification_code: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    # The day printed on it (the holder's clock) and the moment it was made.
    issue_date: Mapped[date] = mapped_column(nullable=False)
    issued_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    language: Mapped[str] = mapped_column(sa.String(5), nullable=False)
    facts: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    # Read only when downloaded: lists and the verification page need the hash alone.
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False, deferred=True)
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)

    user: Mapped["User"] = relationship()  # noqa: F821

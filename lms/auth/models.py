import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.db import str_enum
from lms.extensions import db


class Role(enum.StrEnum):
    TRAINEE = "trainee"
    TRAINER = "trainer"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    """A person: trainee, trainer or admin. Deactivated, never deleted."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored case-folded (see auth.services.normalise_email), so the unique
    # constraint makes e-mail unique case-insensitively.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    full_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    role: Mapped[Role] = mapped_column(
        str_enum(Role, "user_role"), nullable=False, default=Role.TRAINEE
    )
    organisation: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    job_title: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    county: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    settlement: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    phone: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    locale: Mapped[str | None] = mapped_column(sa.String(5), nullable=True)
    # IANA zone the user reads moments in; NULL: the zone of their language's country.
    time_zone: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    # Secret of the personal calendar feed (the URL carries an HMAC of it); NULL: no
    # feed. A new one revokes the old URL.
    calendar_key: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Self-registered trainees confirm their address by e-mail before they can log
    # in; accounts made by an administrator (or the CLI) are confirmed when made.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # A new address asked for on the profile; it replaces `email` only when the link
    # sent to it is opened (until then the old address logs in and gets the mail).
    pending_email: Mapped[str | None] = mapped_column(sa.String(254), nullable=True)
    # When the latest confirmation link was queued (registration or an administrator's
    # re-invitation): a re-invitation is thereby in the audit log.
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Accredited continuing training in Hungary: the number in the operational register
    # of social professionals ("működési nyilvántartási szám") and the current training
    # period (normally four years), as the person records them; certificates freeze
    # them at issue, and points are counted per period (lms.certificates.points).
    register_number: Mapped[str] = mapped_column(
        sa.String(30), nullable=False, default="", server_default=""
    )
    training_period_start: Mapped[date | None] = mapped_column(nullable=True)
    training_period_end: Mapped[date | None] = mapped_column(nullable=True)
    # An admin may later be scoped to one centre; NULL means the whole network.
    centre_id: Mapped[int | None] = mapped_column(sa.ForeignKey("centre.id"), nullable=True)

    centre: Mapped["Centre | None"] = relationship("Centre")  # noqa: F821

    __table_args__ = (
        # People in name order, all of them or of one role (the trainers a run may get),
        # read a page at a time from the index instead of sorting every account. On
        # PostgreSQL the search over name, e-mail and organisation has a trigram index
        # too, made by migration a7d3c5e91f02 alone (see lms.db.MIGRATION_ONLY_INDEXES).
        sa.Index("ix_user_full_name_id", "full_name", "id"),
        sa.Index("ix_user_role_full_name_id", "role", "full_name", "id"),
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_trainer(self) -> bool:
        return self.role == Role.TRAINER

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class UserSession(db.Model):
    """One login: the random key kept in the browser's session cookie refers to it.

    Every request checks that its row is still open, so logging out (or a password
    change or reset, or deactivation) ends the session for every copy of the cookie
    (ASVS 3.3.1, 3.3.3). Only a hash of the key is stored. The rows stay as a record
    of who logged in when, from where, and how each session ended.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False, index=True)
    address: Mapped[str] = mapped_column(sa.String(45), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # logout, password-changed, password-reset, deactivated
    end_reason: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="")

    user: Mapped["User"] = relationship()

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id} ended={self.ended_at}>"

import datetime as dt
import enum
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import instant_at, today_at, utcnow, zone
from lms.db import str_enum
from lms.extensions import db


def minutes_to_hours(minutes: int) -> Decimal:
    """Hours are kept as whole minutes so sums are exact (60.0, never 59.999)."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.01")).normalize()


class CourseStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class RunStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    CLOSED = "closed"


class CertificateStyle(enum.StrEnum):
    DEFAULT = "default"
    TANUSITVANY = "tanusitvany"
    RAZGRAD = "razgrad"


# The time zone a centre gets unless another is chosen for it (EUROPEAN_ZONES: those
# it may choose).
COUNTRY_ZONES = {"HU": "Europe/Budapest", "BG": "Europe/Sofia"}


def _country_zone(context) -> str:
    country = context.get_current_parameters().get("country") or "HU"
    return COUNTRY_ZONES.get(country, COUNTRY_ZONES["HU"])


class Centre(db.Model):
    """A resource centre: runs trainings and signs their certificates."""

    __tablename__ = "centre"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True, nullable=False)
    # The association or authority that runs the centre, printed above its name.
    organisation: Mapped[str] = mapped_column(
        sa.String(300), nullable=False, default="", server_default=""
    )
    city: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    region: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    country: Mapped[str] = mapped_column(sa.String(2), nullable=False, default="HU")
    # IANA name: a session's date and times are wall-clock times in this zone.
    time_zone: Mapped[str] = mapped_column(
        sa.String(64), nullable=False, default=_country_zone, server_default=COUNTRY_ZONES["HU"]
    )
    address: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    signatory_name: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    signatory_title: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    serial_prefix: Mapped[str] = mapped_column(sa.String(10), unique=True, nullable=False)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.time_zone, COUNTRY_ZONES.get(self.country, COUNTRY_ZONES["HU"]))

    def __repr__(self) -> str:
        return f"<Centre {self.serial_prefix} {self.city}>"


class Course(db.Model):
    """A catalogue entry; the standard formats are 60 and 24 hours."""

    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(30), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    summary: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    total_hours: Mapped[int] = mapped_column(nullable=False)
    target_group: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")
    accreditation_number: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    credit_points: Mapped[int | None] = mapped_column(nullable=True)
    language: Mapped[str] = mapped_column(sa.String(5), nullable=False, default="hu")
    status: Mapped[CourseStatus] = mapped_column(
        str_enum(CourseStatus, "course_status"), nullable=False, default=CourseStatus.DRAFT
    )
    # Case- and accent-folded title, summary and code, kept by the service that
    # saves the course: the same search works on SQLite and PostgreSQL.
    search_text: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    modules: Mapped[list["CourseModule"]] = relationship(
        back_populates="course", order_by="CourseModule.position", cascade="all, delete-orphan"
    )
    runs: Mapped[list["Run"]] = relationship(back_populates="course")

    __table_args__ = (sa.CheckConstraint("total_hours > 0", name="positive_hours"),)

    @property
    def format_key(self) -> str:
        return {60: "60", 24: "24"}.get(self.total_hours, "other")

    def __repr__(self) -> str:
        return f"<Course {self.code}>"


class CourseModule(db.Model):
    """A module or topic of a course with its share of the hours."""

    __tablename__ = "course_module"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    minutes: Mapped[int] = mapped_column(nullable=False, default=0)

    course: Mapped[Course] = relationship(back_populates="modules")

    @property
    def hours(self) -> Decimal:
        return minutes_to_hours(self.minutes)


class Run(db.Model):
    """One scheduled edition of a course at a centre. Cancelled, never deleted."""

    __tablename__ = "run"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), nullable=False, index=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("centre.id"), nullable=False, index=True)
    venue: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    capacity: Mapped[int] = mapped_column(nullable=False)
    # Kept by the enrolment services with an atomic conditional UPDATE, so the
    # seat count can never pass capacity, whatever the concurrency (rule 1).
    enrolled_count: Mapped[int] = mapped_column(nullable=False, default=0)
    enrolment_opens: Mapped[date | None] = mapped_column(nullable=True)
    enrolment_closes: Mapped[date | None] = mapped_column(nullable=True)
    approval_required: Mapped[bool] = mapped_column(nullable=False, default=False)
    min_attendance_pct: Mapped[int] = mapped_column(nullable=False, default=90)
    certificate_style: Mapped[CertificateStyle] = mapped_column(
        str_enum(CertificateStyle, "certificate_style"),
        nullable=False,
        default=CertificateStyle.DEFAULT,
    )
    language: Mapped[str] = mapped_column(sa.String(5), nullable=False, default="hu")
    # The default style can print English under each line in the run's language.
    certificate_bilingual: Mapped[bool] = mapped_column(
        nullable=False, default=True, server_default=sa.true()
    )
    registration_number: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    funding_note: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    # The programme that funds it, if any: its acknowledgement then replaces funding_note.
    programme_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("programme.id"), nullable=True, index=True
    )
    status: Mapped[RunStatus] = mapped_column(
        str_enum(RunStatus, "run_status"), nullable=False, default=RunStatus.DRAFT
    )
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), nullable=True)
    cancel_reason: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    course: Mapped[Course] = relationship(back_populates="runs")
    centre: Mapped[Centre] = relationship()
    programme: Mapped["Programme | None"] = relationship()  # noqa: F821
    cancelled_by: Mapped["User | None"] = relationship(foreign_keys=[cancelled_by_id])  # noqa: F821
    closed_by: Mapped["User | None"] = relationship(foreign_keys=[closed_by_id])  # noqa: F821
    sessions: Mapped[list["Session"]] = relationship(
        back_populates="run", order_by="(Session.date, Session.starts_at)"
    )

    __table_args__ = (
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        sa.CheckConstraint("enrolled_count >= 0 AND enrolled_count <= capacity", name="seats"),
        sa.CheckConstraint("min_attendance_pct BETWEEN 1 AND 100", name="min_attendance_pct_range"),
    )

    @property
    def required_minutes(self) -> int:
        """Minutes of attendance a trainee needs to complete the run (rule 5), rounded up."""
        return -(-self.course.total_hours * 60 * self.min_attendance_pct // 100)

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.enrolled_count, 0)

    @property
    def scheduled_minutes(self) -> int:
        return sum(s.minutes for s in self.sessions)

    @property
    def scheduled_hours(self) -> Decimal:
        return minutes_to_hours(self.scheduled_minutes)

    @property
    def funding_line(self) -> str:
        """What the run's certificates and sign-in sheets print about who funds it: its
        programme's acknowledgement in the run's language, else its own funding note."""
        if self.programme is not None:
            return self.programme.acknowledgement(self.language) or self.funding_note
        return self.funding_note

    @property
    def zone(self) -> ZoneInfo:
        """The zone of the run's sessions' wall-clock times: its centre's."""
        return self.centre.zone

    def today(self, now: datetime) -> date:
        """The date at the run's centre at the instant `now`."""
        return today_at(now, self.zone)

    @property
    def first_start(self) -> datetime | None:
        """The instant the run begins: its first session's start at the centre."""
        return self.sessions[0].starts if self.sessions else None

    def has_started(self, now: datetime) -> bool:
        start = self.first_start
        return start is not None and now >= start

    @property
    def first_date(self) -> date | None:
        return self.sessions[0].date if self.sessions else None

    @property
    def last_date(self) -> date | None:
        return self.sessions[-1].date if self.sessions else None

    def __repr__(self) -> str:
        return f"<Run {self.id} of {self.course_id}>"


class Session(db.Model):
    """One meeting of a run, with its date, times and credited hours."""

    __tablename__ = "session"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("run.id"), nullable=False, index=True)
    date: Mapped[dt.date] = mapped_column(nullable=False, index=True)
    starts_at: Mapped[time] = mapped_column(nullable=False)
    ends_at: Mapped[time] = mapped_column(nullable=False)
    minutes: Mapped[int] = mapped_column(nullable=False)
    topic: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    room: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    # Grows by one each time the session moves (date or times): calendars replace
    # an event only by one with a higher SEQUENCE (RFC 5545, 3.8.7.4).
    sequence: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(
        nullable=False, default=utcnow, onupdate=utcnow, server_default=sa.func.current_timestamp()
    )

    run: Mapped[Run] = relationship(back_populates="sessions")

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("minutes > 0", name="positive_minutes"),
    )

    @property
    def hours(self) -> Decimal:
        return minutes_to_hours(self.minutes)

    @property
    def starts(self) -> datetime:
        """The instant the session starts (its wall-clock time at the run's centre)."""
        return instant_at(self.date, self.starts_at, self.run.zone)

    @property
    def ends(self) -> datetime:
        return instant_at(self.date, self.ends_at, self.run.zone)

    def overlaps(self, day: dt.date, starts_at: time, ends_at: time) -> bool:
        # Sessions that only touch (one ends 12:00, the next starts 12:00) do not overlap.
        return self.date == day and self.starts_at < ends_at and starts_at < self.ends_at

    def overlaps_span(self, starts: datetime, ends: datetime) -> bool:
        """Whether the session shares a moment with the instants [starts, ends): sessions
        of runs at centres in different zones are compared on one clock."""
        return self.starts < ends and starts < self.ends

    def __repr__(self) -> str:
        return f"<Session {self.date} {self.starts_at}-{self.ends_at}>"

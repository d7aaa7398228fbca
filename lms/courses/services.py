"""Catalogue, runs and sessions: the rules of scheduling and publishing."""

import enum
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from lms.auth.models import User
from lms.clock import EUROPEAN_ZONES, today_at, utcnow
from lms.courses.models import (
    COUNTRY_ZONES,
    Centre,
    Course,
    CourseModule,
    CourseStatus,
    Run,
    RunStatus,
    Session,
)
from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import gettext as _
from lms.programmes.models import Programme
from lms.templating import format_clock, format_day, format_hours

FORMATS = ("60", "24", "other")


def _clean(value):
    """Text from a form, trimmed. Enum members (StrEnum is a str too) stay members:
    trimming one would turn it into a plain string the ORM then keeps."""
    if isinstance(value, str) and not isinstance(value, enum.Enum):
        return value.strip()
    return value


def fold(text: str) -> str:
    """Case- and accent-free text, so `kozosseg` finds `Közösségi`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def minutes_from_hours(hours: Decimal) -> int:
    return int(hours * 60)


def describe_session(session: Session) -> str:
    start, end = format_clock(session.starts_at), format_clock(session.ends_at)
    when = f"{format_day(session.date)} {start}–{end}"
    return f"{when} ({session.topic})" if session.topic else when


# ---------------------------------------------------------------- catalogue


@dataclass
class CatalogueFilters:
    format: str = ""
    centre_id: int | None = None
    region: str = ""
    month: date | None = None  # the first day of the month
    q: str = ""


@dataclass
class CatalogueEntry:
    run: Run
    first_date: date
    last_date: date


def _schedule_subquery():
    return (
        sa.select(
            Session.run_id.label("run_id"),
            sa.func.min(Session.date).label("first_date"),
            sa.func.max(Session.date).label("last_date"),
        )
        .group_by(Session.run_id)
        .subquery("schedule")
    )


def not_ended(last_date: sa.ColumnElement, now: datetime) -> sa.ColumnElement[bool]:
    """SQL: `last_date` is today or later at the run's centre (`Centre` joined).

    The centres' zones span a few hours, so at any instant they are on at most two
    dates: a run whose last day is the earlier one has ended where it is already
    the later one.
    """
    days = {name: today_at(now, ZoneInfo(name)) for name in EUROPEAN_ZONES}
    earliest = min(days.values())
    ahead = sorted(name for name, day in days.items() if day > earliest)
    if not ahead:
        return last_date >= earliest
    return sa.or_(
        last_date > earliest, sa.and_(last_date == earliest, Centre.time_zone.not_in(ahead))
    )


def catalogue(filters: CatalogueFilters, now: datetime) -> dict[str, list[CatalogueEntry]]:
    """Published runs that have not ended at their centre, grouped by format (60 h, 24 h,
    other)."""
    schedule = _schedule_subquery()
    stmt = (
        sa.select(Run, schedule.c.first_date, schedule.c.last_date)
        .join(Run.course)
        .join(Run.centre)
        .join(schedule, schedule.c.run_id == Run.id)
        .where(
            Run.status == RunStatus.PUBLISHED,
            Course.status == CourseStatus.PUBLISHED,
            not_ended(schedule.c.last_date, now),
        )
        .options(contains_eager(Run.course), contains_eager(Run.centre))
        .order_by(schedule.c.first_date, Course.title, Run.id)
    )
    if filters.format == "60":
        stmt = stmt.where(Course.total_hours == 60)
    elif filters.format == "24":
        stmt = stmt.where(Course.total_hours == 24)
    elif filters.format == "other":
        stmt = stmt.where(Course.total_hours.not_in([60, 24]))
    if filters.centre_id:
        stmt = stmt.where(Run.centre_id == filters.centre_id)
    if filters.region:
        stmt = stmt.where(Centre.region == filters.region)
    if filters.month:
        month_end = (filters.month.replace(day=28) + timedelta(days=4)).replace(day=1)
        stmt = stmt.where(schedule.c.first_date < month_end, schedule.c.last_date >= filters.month)
    if filters.q.strip():
        for word in fold(filters.q).split():
            stmt = stmt.where(Course.search_text.contains(word, autoescape=True))
    groups: dict[str, list[CatalogueEntry]] = {key: [] for key in FORMATS}
    for run, first_date, last_date in db.session.execute(stmt):
        groups[run.course.format_key].append(CatalogueEntry(run, first_date, last_date))
    return groups


def centres_for_filter() -> list[Centre]:
    return list(
        db.session.scalars(
            sa.select(Centre).where(Centre.active.is_(True)).order_by(Centre.city, Centre.name)
        )
    )


def regions_for_filter() -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Centre.region)
            .where(Centre.active.is_(True), Centre.region != "")
            .distinct()
            .order_by(Centre.region)
        )
    )


def published_course(code: str) -> Course | None:
    return db.session.scalar(
        sa.select(Course)
        .where(Course.code == code, Course.status == CourseStatus.PUBLISHED)
        .options(selectinload(Course.modules))
    )


def upcoming_runs(course: Course, now: datetime) -> list[Run]:
    """The course's published runs that have not ended, with their schedules loaded."""
    schedule = _schedule_subquery()
    return list(
        db.session.scalars(
            sa.select(Run)
            .join(Run.centre)
            .join(schedule, schedule.c.run_id == Run.id)
            .where(
                Run.course_id == course.id,
                Run.status == RunStatus.PUBLISHED,
                not_ended(schedule.c.last_date, now),
            )
            .options(selectinload(Run.sessions), contains_eager(Run.centre))
            .order_by(schedule.c.first_date, Run.id)
        )
    )


# ---------------------------------------------------------------- centres


def save_centre(centre: Centre | None, **fields) -> Centre:
    """Create or update a centre; its name and certificate prefix are unique."""
    fields = {k: _clean(v) for k, v in fields.items()}
    fields["serial_prefix"] = fields["serial_prefix"].upper()
    if not fields.get("time_zone"):
        fields["time_zone"] = COUNTRY_ZONES.get(fields.get("country"), COUNTRY_ZONES["HU"])
    for field, message in (
        ("name", _("Another centre already has this name.")),
        ("serial_prefix", _("Another centre already uses this certificate prefix.")),
    ):
        clash = db.session.scalar(sa.select(Centre).where(getattr(Centre, field) == fields[field]))
        if clash is not None and clash is not centre:
            raise DomainError(message, field)
    centre = centre or Centre()
    for key, value in fields.items():
        setattr(centre, key, _clean(value))
    db.session.add(centre)
    db.session.flush()
    return centre


# ---------------------------------------------------------------- courses


def save_course(course: Course | None, modules: list[tuple[str, int]], **fields) -> Course:
    """Create or update a catalogue entry and its modules (title, minutes)."""
    fields["code"] = fields["code"].strip().upper()
    clash = db.session.scalar(sa.select(Course).where(Course.code == fields["code"]))
    if clash is not None and clash is not course:
        raise DomainError(_("Another course already has this code."), "code")
    if course is not None and fields["total_hours"] != course.total_hours:
        scheduled = db.session.scalar(
            sa.select(sa.func.count(Run.id)).where(
                Run.course_id == course.id, Run.status != RunStatus.DRAFT
            )
        )
        if scheduled:
            raise DomainError(
                _("The hours cannot change: this course already has published runs."),
                "total_hours",
            )
    module_minutes = sum(minutes for _title, minutes in modules)
    if module_minutes > fields["total_hours"] * 60:
        raise DomainError(
            _(
                "The modules add up to %(modules)s hours, more than the course's %(total)s.",
                modules=format_hours(Decimal(module_minutes) / 60),
                total=fields["total_hours"],
            ),
            "modules",
        )
    course = course or Course()
    for key, value in fields.items():
        setattr(course, key, _clean(value))
    course.search_text = fold(" ".join([course.code, course.title, course.summary]))
    course.modules = [
        CourseModule(title=title.strip(), minutes=minutes, position=index)
        for index, (title, minutes) in enumerate(modules)
    ]
    db.session.add(course)
    db.session.flush()
    return course


def set_course_status(course: Course, status: CourseStatus) -> Course:
    """Publish, archive or return a course to draft. Archived courses take no new runs."""
    if status == CourseStatus.DRAFT and course.status != CourseStatus.DRAFT:
        published = db.session.scalar(
            sa.select(sa.func.count(Run.id)).where(
                Run.course_id == course.id, Run.status == RunStatus.PUBLISHED
            )
        )
        if published:
            raise DomainError(
                _("This course has published runs; archive it instead of returning it to draft.")
            )
    course.status = status
    db.session.flush()
    return course


# ---------------------------------------------------------------- runs


def _check_window(opens: date | None, closes: date | None, first: date | None) -> None:
    if opens and closes and closes < opens:
        raise DomainError(
            _("Enrolment must close on or after the day it opens."), "enrolment_closes"
        )
    if closes and first and closes >= first:
        raise DomainError(
            _("Enrolment must close before the first session (%(day)s).", day=format_day(first)),
            "enrolment_closes",
        )


def save_run(run: Run | None, course: Course, centre: Centre, **fields) -> Run:
    """Create or update a run; capacity never drops below the seats already taken."""
    if run is None and course.status == CourseStatus.ARCHIVED:
        raise DomainError(_("This course is archived; it takes no new runs."), "course_id")
    if run is not None and run.status in (RunStatus.CANCELLED, RunStatus.CLOSED):
        raise DomainError(_("A cancelled or closed run cannot be changed."))
    if run is not None and run.course_id != course.id and run.status != RunStatus.DRAFT:
        raise DomainError(_("The course of a published run cannot change."), "course_id")
    capacity = fields["capacity"]
    if capacity < 1:
        raise DomainError(_("Capacity must be at least 1."), "capacity")
    if run is not None and capacity < run.enrolled_count:
        raise DomainError(
            _(
                "%(count)d trainees already hold a place; capacity cannot go below that.",
                count=run.enrolled_count,
            ),
            "capacity",
        )
    _check_window(
        fields.get("enrolment_opens"),
        fields.get("enrolment_closes"),
        run.first_date if run is not None else None,
    )
    _check_programme(run, fields.get("programme_id"))
    run = run or Run(status=RunStatus.DRAFT, enrolled_count=0)
    run.course = course
    run.centre = centre
    for key, value in fields.items():
        setattr(run, key, _clean(value))
    db.session.add(run)
    db.session.flush()
    return run


def _check_programme(run: Run | None, programme_id: int | None) -> None:
    if programme_id is None or (run is not None and run.programme_id == programme_id):
        return
    programme = db.session.get(Programme, programme_id)
    if programme is None or not programme.active:
        raise DomainError(_("Choose an active programme."), "programme_id")


def publish_problems(run: Run) -> list[str]:
    """Everything that keeps the run from being published; empty when it may be."""
    problems = []
    if run.status != RunStatus.DRAFT:
        return [_("Only a draft run can be published.")]
    if run.course.status != CourseStatus.PUBLISHED:
        problems.append(_("The course is not published yet."))
    if not run.sessions:
        problems.append(_("The run has no sessions yet."))
    elif run.scheduled_minutes != run.course.total_hours * 60:
        problems.append(
            _(
                "The sessions add up to %(scheduled)s hours; the course needs %(total)s.",
                scheduled=format_hours(run.scheduled_hours),
                total=run.course.total_hours,
            )
        )
    for index, first in enumerate(run.sessions):
        for second in run.sessions[index + 1 :]:
            if first.overlaps(second.date, second.starts_at, second.ends_at):
                problems.append(
                    _(
                        "Sessions %(first)s and %(second)s overlap.",
                        first=describe_session(first),
                        second=describe_session(second),
                    )
                )
    if run.sessions:
        try:
            _check_window(run.enrolment_opens, run.enrolment_closes, run.first_date)
        except DomainError as error:
            problems.append(error.message)
    return problems


def publish_run(run: Run) -> Run:
    """Open the run to the catalogue once its schedule is complete and consistent."""
    problems = publish_problems(run)
    if problems:
        raise DomainError(" ".join(problems))
    run.status = RunStatus.PUBLISHED
    run.published_at = utcnow()
    db.session.flush()
    return run


def cancel_run(run: Run, by: User, reason: str) -> Run:
    """Cancel a run, keeping it and its enrolments for the record (rule 7)."""
    if run.status not in (RunStatus.DRAFT, RunStatus.PUBLISHED):
        raise DomainError(_("Only a draft or published run can be cancelled."))
    if not reason.strip():
        raise DomainError(_("Give the reason for cancelling."), "reason")
    run.status = RunStatus.CANCELLED
    run.cancelled_at = utcnow()
    run.cancelled_by = by
    run.cancel_reason = reason.strip()
    db.session.flush()
    return run


# ---------------------------------------------------------------- sessions


def save_session(
    run: Run,
    session: Session | None,
    *,
    day: date,
    starts_at: time,
    ends_at: time,
    minutes: int | None,
    topic: str = "",
    room: str = "",
) -> Session:
    """Add or change a session: no overlap within the run; published runs keep their hours."""
    if run.status in (RunStatus.CANCELLED, RunStatus.CLOSED):
        raise DomainError(_("A cancelled or closed run cannot be changed."))
    if ends_at <= starts_at:
        raise DomainError(_("The session must end after it starts."), "ends_at")
    span = int(
        (datetime.combine(day, ends_at) - datetime.combine(day, starts_at)).total_seconds() // 60
    )
    if minutes is None:
        minutes = span // 15 * 15
    if minutes <= 0:
        raise DomainError(_("Credited hours must be more than zero."), "hours")
    if minutes > span:
        # An auditor compares credited hours with the clock: never credit more than was held.
        raise DomainError(
            _(
                "A session from %(start)s to %(end)s can credit at most %(hours)s hours.",
                start=format_clock(starts_at),
                end=format_clock(ends_at),
                hours=format_hours(Decimal(span) / 60),
            ),
            "hours",
        )
    if run.status == RunStatus.PUBLISHED:
        if session is None:
            raise DomainError(
                _("A published run's schedule is complete: sessions can be moved, not added.")
            )
        if minutes != session.minutes:
            raise DomainError(
                _(
                    "The run is published, so its sessions must still add up to the course's "
                    "hours: a session's hours cannot change."
                ),
                "hours",
            )
    for other in run.sessions:
        if other is not session and other.overlaps(day, starts_at, ends_at):
            raise DomainError(
                _("This overlaps the session %(session)s.", session=describe_session(other)),
                "starts_at",
            )
    if run.enrolment_closes and day <= run.enrolment_closes:
        raise DomainError(
            _(
                "Enrolment closes on %(day)s; sessions must come after that.",
                day=format_day(run.enrolment_closes),
            ),
            "date",
        )
    if session is not None and (session.date, session.starts_at, session.ends_at) != (
        day, starts_at, ends_at
    ):
        session.sequence += 1  # a moved event replaces the old one in calendars
    session = session or Session(run=run)
    session.date, session.starts_at, session.ends_at = day, starts_at, ends_at
    session.minutes, session.topic, session.room = minutes, topic.strip(), room.strip()
    db.session.add(session)
    db.session.flush()
    db.session.refresh(run, ["sessions"])
    return session


def remove_session(run: Run, session: Session) -> None:
    """Remove a session from a draft run (nobody can have attended it yet)."""
    if run.status != RunStatus.DRAFT:
        raise DomainError(_("Sessions can be removed only while the run is a draft."))
    db.session.delete(session)
    db.session.flush()
    db.session.refresh(run, ["sessions"])

"""Catalogue, runs and sessions: the rules of scheduling and publishing."""

import enum
import functools
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
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


@dataclass
class CataloguePage:
    """One page of the catalogue: its runs grouped by format, and where it stands."""

    groups: dict[str, list[CatalogueEntry]]
    total: int  # runs matching the filters, on every page
    page: int
    pages: int


@functools.cache
def _european_zones() -> tuple[tuple[str, ZoneInfo], ...]:
    """Every European zone, loaded once: `ZoneInfo` keeps only a few in its cache, so
    asking for sixty of them on each page read their files from disk every time."""
    return tuple((name, ZoneInfo(name)) for name in EUROPEAN_ZONES)


@functools.lru_cache(maxsize=16)
def _dates_across_zones(now: datetime) -> tuple[date, tuple[str, ...]]:
    """The earliest date any centre zone is on at `now`, and the zones already a day
    later (remembered: a page asks for the same instant several times)."""
    days = {name: today_at(now, where) for name, where in _european_zones()}
    earliest = min(days.values())
    return earliest, tuple(sorted(name for name, day in days.items() if day > earliest))


def not_ended(last_date: sa.ColumnElement, now: datetime,
              days_after: int = 0) -> sa.ColumnElement[bool]:
    """SQL: `last_date` is today or later at the run's centre (`Centre` joined); with
    `days_after`, `last_date` plus that many days is (a marking window still open).

    The centres' zones span a few hours, so at any instant they are on at most two
    dates: a run whose last day is the earlier one has ended where it is already
    the later one.
    """
    earliest, ahead = _dates_across_zones(now)
    earliest -= timedelta(days=days_after)
    if not ahead:
        return last_date >= earliest
    # The first condition alone is a range an index on the date answers.
    return sa.and_(
        last_date >= earliest,
        sa.or_(last_date > earliest, Centre.time_zone.not_in(ahead)),
    )


def _catalogue_runs(filters: CatalogueFilters, now: datetime):
    """The published runs matching the filters that have not ended, found through the
    run's stored last day (indexed), never through its sessions."""
    stmt = (
        sa.select(Run)
        .join(Run.course)
        .join(Run.centre)
        .where(
            Run.status == RunStatus.PUBLISHED,
            Course.status == CourseStatus.PUBLISHED,
            Run.last_day.is_not(None),
            not_ended(Run.last_day, now),
        )
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
        stmt = stmt.where(Run.first_day < month_end, Run.last_day >= filters.month)
    if filters.q.strip():
        for word in fold(filters.q).split():
            stmt = stmt.where(Course.search_text.contains(word, autoescape=True))
    return stmt


def catalogue(
    filters: CatalogueFilters, now: datetime, page: int = 1, per_page: int | None = None
) -> CataloguePage:
    """A page of the published runs that have not ended at their centre, soonest first,
    grouped by format (60 h, 24 h, other). Two queries whatever the number of runs."""
    per_page = per_page or current_app.config["CATALOGUE_PAGE_SIZE"]
    stmt = _catalogue_runs(filters, now)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    pages = max(-(-total // per_page), 1)
    page = min(max(page, 1), pages)
    rows = db.session.scalars(
        stmt.options(contains_eager(Run.course), contains_eager(Run.centre))
        .order_by(Run.first_day, Course.title, Run.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    groups: dict[str, list[CatalogueEntry]] = {key: [] for key in FORMATS}
    for run in rows:
        groups[run.course.format_key].append(CatalogueEntry(run, run.first_day, run.last_day))
    return CataloguePage(groups, total, page, pages)


# The catalogue's filter lists are asked on every catalogue page: their statements are
# built once (building one costs about what PostgreSQL takes to answer it).
@functools.cache
def _active_centres():
    return sa.select(Centre).where(Centre.active.is_(True)).order_by(Centre.city, Centre.name)


@functools.cache
def _active_regions():
    return (
        sa.select(Centre.region)
        .where(Centre.active.is_(True), Centre.region != "")
        .distinct()
        .order_by(Centre.region)
    )


def centres_for_filter() -> list[Centre]:
    return list(db.session.scalars(_active_centres()))


def regions_for_filter() -> list[str]:
    return list(db.session.scalars(_active_regions()))


def published_course(code: str) -> Course | None:
    return db.session.scalar(
        sa.select(Course)
        .where(Course.code == code, Course.status == CourseStatus.PUBLISHED)
        .options(selectinload(Course.modules))
    )


def upcoming_runs(course: Course, now: datetime) -> list[Run]:
    """The course's published runs that have not ended, with their schedules loaded."""
    return list(
        db.session.scalars(
            sa.select(Run)
            .join(Run.centre)
            .where(
                Run.course_id == course.id,
                Run.status == RunStatus.PUBLISHED,
                Run.last_day.is_not(None),
                not_ended(Run.last_day, now),
            )
            .options(selectinload(Run.sessions), contains_eager(Run.centre))
            .order_by(Run.first_day, Run.id)
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
    update_run_days(run)
    return session


def remove_session(run: Run, session: Session) -> None:
    """Remove a session from a draft run (nobody can have attended it yet)."""
    if run.status != RunStatus.DRAFT:
        raise DomainError(_("Sessions can be removed only while the run is a draft."))
    db.session.delete(session)
    db.session.flush()
    db.session.refresh(run, ["sessions"])
    update_run_days(run)


def update_run_days(run: Run) -> None:
    """Store the dates of the run's first and last sessions on it (`Run.first_day`,
    `Run.last_day`). The one place they are kept: every change of sessions ends here."""
    days = [s.date for s in run.sessions]
    run.first_day, run.last_day = min(days, default=None), max(days, default=None)
    db.session.flush()


def update_all_run_days() -> None:
    """Recompute every run's first and last day in one statement: for rows written
    without the services (bulk loads, restores of old backups)."""
    days = sa.select(sa.func.min(Session.date)).where(Session.run_id == Run.id)
    last = sa.select(sa.func.max(Session.date)).where(Session.run_id == Run.id)
    db.session.execute(
        sa.update(Run)
        .values(first_day=days.scalar_subquery(), last_day=last.scalar_subquery())
        .execution_options(synchronize_session=False)
    )

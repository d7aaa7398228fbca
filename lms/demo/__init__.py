"""Demo data: resource centres, their catalogue, scheduled runs and people to log in as.

Everything goes through the services, so the demo obeys the same rules as real data.
Rows are recognised by their natural keys (centre prefix, course code, e-mail, and a
course's run at a centre), so loading the demo twice changes nothing the second time.
"""

from dataclasses import dataclass, field
from datetime import date, time, timedelta

import sqlalchemy as sa
from flask_babel import force_locale

from lms.attendance.models import AttendanceMark, AttendanceStatus
from lms.attendance.services import MarkInput, close_run, mark_session
from lms.auth.services import create_user, find_user_by_email, set_training_record
from lms.certificates.services import issue_all
from lms.clock import instant_at, utcnow
from lms.courses.models import Centre, Course, CourseStatus, Run, Session
from lms.courses.services import (
    publish_run,
    save_centre,
    save_course,
    save_run,
    save_session,
    set_course_status,
)
from lms.demo.data import (
    ASSIGNMENTS,
    CENTRES,
    CLOSED_RUN,
    CLOSED_RUN_ABSENT,
    CLOSED_RUN_ENROLMENTS,
    COUNTRY_RUN_FIELDS,
    COURSES,
    ENROLMENT_CLOSES_BEFORE,
    ENROLMENT_LEAD,
    ENROLMENTS,
    HOLIDAYS,
    PARTICIPANT_ANSWERS,
    PAST_ENROLMENTS,
    PROGRAMMES,
    ROOMS,
    RUNS,
    SLOTS,
    TRAINING_RECORDS,
    USERS,
    CourseSpec,
    RunSpec,
    UserSpec,
)
from lms.demo.surveys import answer_demo_evaluation, ensure_needs_survey
from lms.enrolment.models import Enrolment
from lms.enrolment.services import enrol, find_enrolment
from lms.extensions import db
from lms.programmes.models import Programme
from lms.programmes.services import record_participant_data, save_programme
from lms.trainers.models import TrainerAssignment, TrainerRole
from lms.trainers.services import assign_trainer

DEMO_PASSWORD = "forras-demo-2026"


@dataclass
class DemoSummary:
    """What one call of `load_demo` created, and the accounts to log in with."""

    centres: int = 0
    courses: int = 0
    runs: int = 0
    users: int = 0
    enrolments: int = 0
    certificates: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)


def load_demo(today: date) -> DemoSummary:
    """Load the demo centres, catalogue, runs and accounts; flush, never commit.

    Rows that already exist (same centre prefix, course code, e-mail, or a run of the
    course at the centre) are left alone, so a second call creates nothing. Run dates
    are counted from `today`. The returned summary counts what this call created and
    always lists every demo login (all share `DEMO_PASSWORD`).
    """
    summary = DemoSummary()
    centres: dict[str, Centre] = {}
    for fields in CENTRES:
        centres[fields["serial_prefix"]], created = _ensure_centre(fields)
        summary.centres += created
    courses: dict[str, Course] = {}
    for course_spec in COURSES:
        courses[course_spec.code], created = _ensure_course(course_spec)
        summary.courses += created
    programmes = {country: _ensure_programme(fields) for country, fields in PROGRAMMES.items()}
    for run_spec in RUNS:
        centre = centres[run_spec.centre]
        summary.runs += _ensure_run(
            run_spec, courses[run_spec.course], centre, today, programmes[centre.country]
        )
    for user_spec in USERS:
        summary.users += _ensure_user(user_spec)
        summary.logins.append((user_spec.role.value, user_spec.email, DEMO_PASSWORD))
    _ensure_training_records(today)
    summary.enrolments += _ensure_enrolments(today)
    _ensure_assignments()
    summary.enrolments += _ensure_past_run_attendance()
    summary.certificates += _ensure_closed_run()
    _ensure_participant_answers()
    ensure_needs_survey(today)
    return summary


def _ensure_participant_answers() -> None:
    """The demo trainees' answers in the runs of programmes that ask them."""
    enrolments = db.session.scalars(
        sa.select(Enrolment).join(Enrolment.run).join(Run.programme)
        .where(Programme.asks_participant_data.is_(True)))
    for enrolment in enrolments:
        answers = PARTICIPANT_ANSWERS.get(enrolment.user.email)
        if answers is not None and enrolment.participant_data is None:
            with force_locale("hu"):  # the consent worded as they read it
                record_participant_data(enrolment, answers, "hu", enrolment.created_at)


def _ensure_centre(fields: dict[str, str]) -> tuple[Centre, bool]:
    existing = db.session.scalar(
        sa.select(Centre).where(Centre.serial_prefix == fields["serial_prefix"])
    )
    if existing is not None:
        return existing, False
    return save_centre(None, **fields), True


def _ensure_course(spec: CourseSpec) -> tuple[Course, bool]:
    existing = db.session.scalar(sa.select(Course).where(Course.code == spec.code))
    if existing is not None:
        return existing, False
    fields = spec._asdict()
    modules = [(title, hours * 60) for title, hours in fields.pop("modules")]
    course = save_course(None, modules, **fields)
    return set_course_status(course, CourseStatus.PUBLISHED), True


def _ensure_programme(fields: dict[str, object]) -> Programme:
    existing = db.session.scalar(sa.select(Programme).where(Programme.code == fields["code"]))
    return existing if existing is not None else save_programme(None, **fields)


def _ensure_run(spec: RunSpec, course: Course, centre: Centre, today: date,
                programme: Programme) -> bool:
    existing = db.session.scalar(
        sa.select(Run.id).where(Run.course_id == course.id, Run.centre_id == centre.id).limit(1)
    )
    if existing is not None:
        return False
    days = _session_days(today + timedelta(weeks=spec.weeks), spec, course, centre.country)
    run = save_run(None, course, centre, **_run_fields(spec, centre, days[0], today),
                   programme_id=programme.id)
    slot = SLOTS[spec.slot]
    topics = _session_topics(course, slot.minutes, len(days))
    for day, topic in zip(days, topics, strict=True):
        save_session(
            run,
            None,
            day=day,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            minutes=slot.minutes,
            topic=topic,
            room=ROOMS[spec.centre],
        )
    if spec.publish:
        publish_run(run)
    return True


def _run_fields(spec: RunSpec, centre: Centre, first_day: date, today: date) -> dict[str, object]:
    """The run's settings: its country's defaults, venue, seats and enrolment window."""
    fields = dict(COUNTRY_RUN_FIELDS[centre.country])
    if spec.style is not None:
        fields["certificate_style"] = spec.style
    if spec.registration:
        fields["registration_number"] = f"РЦ-РГ/{first_day.year}/{spec.registration:03d}"
    fields.update(
        venue=f"{centre.name}, {centre.address}",
        capacity=spec.capacity,
        approval_required=spec.approval_required,
        enrolment_opens=min(today - timedelta(days=14), first_day - ENROLMENT_LEAD),
        enrolment_closes=first_day - ENROLMENT_CLOSES_BEFORE,
    )
    return fields


def _session_days(start: date, spec: RunSpec, course: Course, country: str) -> list[date]:
    """The run's training days from `start`: its weekdays, skipping holidays."""
    count, rest = divmod(course.total_hours * 60, SLOTS[spec.slot].minutes)
    if rest:
        raise ValueError(f"{spec.course}: {spec.slot} days do not add up to the course hours")
    days: list[date] = []
    day = start
    while len(days) < count:
        if day.weekday() in spec.weekdays and not _closed(day, country):
            days.append(day)
        day += timedelta(days=1)
    return days


def _closed(day: date, country: str) -> bool:
    winter_break = (day.month == 12 and day.day >= 24) or (day.month, day.day) == (1, 1)
    return winter_break or (day.month, day.day) in HOLIDAYS[country]


def _session_topics(course: Course, minutes: int, count: int) -> list[str]:
    """Each session's topic: the titles of the course modules its hours cover."""
    spans: list[tuple[int, int, str]] = []
    start = 0
    for module in course.modules:
        spans.append((start, start + module.minutes, module.title))
        start += module.minutes
    topics = []
    for index in range(count):
        begin, end = index * minutes, (index + 1) * minutes
        topics.append(" / ".join(title for low, high, title in spans if low < end and begin < high))
    return topics


def _ensure_user(spec: UserSpec) -> bool:
    if find_user_by_email(spec.email) is not None:
        return False
    fields = spec._asdict()
    create_user(fields.pop("email"), DEMO_PASSWORD, fields.pop("full_name"), **fields)
    return True


def _ensure_training_records(today: date) -> None:
    """Register numbers and training periods of the Hungarian trainees who have none."""
    for email, (number, start, end) in TRAINING_RECORDS.items():
        user = find_user_by_email(email)
        if user is not None and not user.register_number:
            set_training_record(user, number, start, end, today)


def _ensure_enrolments(today: date) -> int:
    """Trainees in upcoming runs, enrolled as they would themselves (the windows are open)."""
    created = 0
    for email, course_code, prefix in ENROLMENTS:
        trainee = find_user_by_email(email)
        run = _run_at(course_code, prefix)
        if find_enrolment(trainee, run) is None:
            # as they would now, or at the start of `today` if that is later
            enrol(trainee, run, max(utcnow(), instant_at(today, time(0), run.zone)))
            created += 1
    return created


def _run_at(course_code: str, prefix: str) -> Run:
    return db.session.scalar(
        sa.select(Run)
        .join(Run.course)
        .join(Run.centre)
        .where(Course.code == course_code, Centre.serial_prefix == prefix)
    )


def _ensure_assignments() -> None:
    for email, course_code, prefix, lead in ASSIGNMENTS:
        run, trainer = _run_at(course_code, prefix), find_user_by_email(email)
        exists = db.session.scalar(
            sa.select(TrainerAssignment.id).where(
                TrainerAssignment.run_id == run.id, TrainerAssignment.trainer_id == trainer.id
            )
        )
        if exists is None:
            assign_trainer(run, trainer, TrainerRole.LEAD if lead else TrainerRole.CO_TRAINER)


def _ensure_past_run_attendance() -> int:
    """The run held eight weeks ago: its trainees, and marks for all but its last session
    (recorded by its lead trainer on the day), so the register has something to show,
    and the trainer's pages a session left unmarked past its lock (for an administrator
    to correct, not in the trainer's "to mark")."""
    run = next(
        _run_at(spec.course, spec.centre)
        for spec in RUNS
        if spec.weeks < 0 and (spec.course, spec.centre) != CLOSED_RUN
    )
    admin = find_user_by_email(USERS[0].email)
    before = instant_at(run.first_date - timedelta(days=10), time(8), run.zone)
    enrolments, created = [], 0
    for email in PAST_ENROLMENTS:
        trainee = find_user_by_email(email)
        enrolment = find_enrolment(trainee, run)
        if enrolment is None:
            enrolment = enrol(trainee, run, before, by=admin)
            created += 1
        enrolments.append(enrolment)
    if (
        db.session.scalar(
            sa.select(AttendanceMark.id)
            .join(AttendanceMark.session)
            .where(Session.run_id == run.id)
            .limit(1)
        )
        is not None
    ):
        return created
    lead = db.session.scalar(
        sa.select(TrainerAssignment).where(
            TrainerAssignment.run_id == run.id, TrainerAssignment.role == TrainerRole.LEAD
        )
    ).trainer
    for number, session in enumerate(run.sessions[:-1]):
        marks = [MarkInput(e.id, AttendanceStatus.PRESENT) for e in enrolments]
        marks[number % len(marks)] = MarkInput(
            enrolments[number % len(marks)].id,
            AttendanceStatus.LATE,
            session.minutes - 90,
            "Későn érkezett",
        )
        mark_session(session, marks, lead, session.ends)
    return created


def _ensure_closed_run() -> int:
    """The Razgrad run held twelve weeks ago: fully marked by its lead trainer, closed,
    and certificates issued to all who completed it (one trainee missed a day).
    Returns how many certificates this call issued."""
    run = _run_at(*CLOSED_RUN)
    if run.closed_at is not None:
        return 0
    admin = find_user_by_email(USERS[0].email)
    before = instant_at(run.first_date - timedelta(days=10), time(8), run.zone)
    enrolments = []
    for email in CLOSED_RUN_ENROLMENTS:
        trainee = find_user_by_email(email)
        enrolments.append(find_enrolment(trainee, run) or enrol(trainee, run, before, by=admin))
    lead = db.session.scalar(
        sa.select(TrainerAssignment).where(
            TrainerAssignment.run_id == run.id, TrainerAssignment.role == TrainerRole.LEAD
        )
    ).trainer
    for number, session in enumerate(run.sessions):
        marks = [
            MarkInput(e.id, AttendanceStatus.ABSENT)
            if e.user.email == CLOSED_RUN_ABSENT and number == 1
            else MarkInput(e.id, AttendanceStatus.PRESENT)
            for e in enrolments
        ]
        mark_session(session, marks, lead, session.ends)
    close_run(run, admin)
    answer_demo_evaluation(run)
    return len(issue_all(run, admin, run.last_date + timedelta(days=3)))

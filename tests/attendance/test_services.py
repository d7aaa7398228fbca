from datetime import date, time, timedelta

import pytest

from lms.attendance import services
from lms.attendance.models import AttendanceChange, AttendanceStatus
from lms.attendance.services import MarkInput
from lms.courses.models import RunStatus
from lms.enrolment.models import Outcome
from lms.enrolment.services import enrol
from lms.errors import DomainError
from lms.trainers.models import TrainerRole
from lms.trainers.services import assign_trainer
from tests.conftest import at

PRESENT, LATE, LEFT, EXCUSED, ABSENT = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.LEFT_EARLY,
    AttendanceStatus.EXCUSED,
    AttendanceStatus.ABSENT,
)
TODAY = date.today()


@pytest.fixture
def course_run(db, make_user, make_course, make_run):
    """A 24-hour run of four 6-hour sessions that have all happened, with two trainees."""
    first_day = TODAY - timedelta(days=4)
    run = make_run(
        course=make_course(total_hours=24),
        sessions=[(first_day + timedelta(days=i), time(9), time(15), 360) for i in range(4)],
    )
    trainer = make_user(role="trainer")
    assign_trainer(run, trainer, TrainerRole.LEAD)
    before = at(first_day - timedelta(days=10), time(8))
    admin = make_user(role="admin")
    tunde = enrol(make_user(full_name="Szőke Tünde"), run, before, by=admin)
    maria = enrol(make_user(full_name="Мария Петрова"), run, before, by=admin)
    db.session.commit()
    return run, trainer, tunde, maria


def test_late_counts_the_hours_actually_attended(db, course_run):
    run, trainer, tunde, maria = course_run
    session = run.sessions[0]
    services.mark_session(
        session,
        [MarkInput(tunde.id, LATE, 150, "Vonat késett"), MarkInput(maria.id, PRESENT)],
        trainer,
        at(TODAY),
    )
    marks = services.marks_of(session)
    assert (marks[tunde.id].minutes, marks[maria.id].minutes) == (150, 360)
    assert marks[tunde.id].note == "Vonat késett" and marks[tunde.id].marked_by == trainer


@pytest.mark.parametrize("minutes", [None, -15, 375, 100])
def test_partial_hours_are_quarter_hours_within_the_session(db, course_run, minutes):
    run, trainer, tunde, _maria = course_run
    with pytest.raises(DomainError) as refused:
        services.mark_session(
            run.sessions[0], [MarkInput(tunde.id, LEFT, minutes)], trainer, at(TODAY)
        )
    assert refused.value.field == f"minutes-{tunde.id}"
    assert services.marks_of(run.sessions[0]) == {}


def test_excused_and_absent_count_zero(db, course_run):
    run, trainer, tunde, maria = course_run
    services.mark_session(
        run.sessions[0],
        [MarkInput(tunde.id, EXCUSED, 300), MarkInput(maria.id, ABSENT)],
        trainer,
        at(TODAY),
    )
    marks = services.marks_of(run.sessions[0])
    assert marks[tunde.id].status == EXCUSED and marks[tunde.id].minutes == 0
    assert marks[maria.id].minutes == 0


def test_only_the_runs_trainers_and_admins_mark(db, course_run, make_user):
    run, _trainer, tunde, _maria = course_run
    for outsider in (make_user(role="trainer"), make_user()):
        with pytest.raises(DomainError):
            services.mark_session(
                run.sessions[0], [MarkInput(tunde.id, PRESENT)], outsider, at(TODAY)
            )
    assert services.mark_session(
        run.sessions[0], [MarkInput(tunde.id, PRESENT)], make_user(role="admin"), at(TODAY)
    )


def test_future_sessions_cannot_be_marked(db, course_run):
    run, trainer, tunde, _maria = course_run
    with pytest.raises(DomainError):
        services.mark_session(
            run.sessions[0],
            [MarkInput(tunde.id, PRESENT)],
            trainer,
            at(run.sessions[0].date - timedelta(days=1)),
        )


def test_marks_lock_after_the_window_then_only_admins_correct_with_a_reason(
    db, app, course_run, make_user
):
    run, trainer, tunde, _maria = course_run
    session = run.sessions[0]
    services.mark_session(session, [MarkInput(tunde.id, PRESENT)], trainer, session.ends)
    last_day = session.date + timedelta(days=app.config["ATTENDANCE_LOCK_DAYS"])
    services.mark_session(session, [MarkInput(tunde.id, LATE, 300)], trainer, at(last_day))
    locked_day = last_day + timedelta(days=1)
    with pytest.raises(DomainError) as refused:
        services.mark_session(session, [MarkInput(tunde.id, PRESENT)], trainer, at(locked_day))
    assert "locked" in refused.value.message
    admin = make_user(role="admin")
    with pytest.raises(DomainError) as refused:
        services.mark_session(session, [MarkInput(tunde.id, PRESENT)], admin, at(locked_day))
    assert refused.value.field == "reason"
    services.mark_session(
        session,
        [MarkInput(tunde.id, PRESENT)],
        admin,
        at(locked_day),
        "A jelenléti ív szerint jelen volt",
    )
    history = services.history(session)
    assert [(c.old_status, c.new_status, c.old_minutes, c.new_minutes) for c in history] == [
        (LATE, PRESENT, 300, 360),
        (PRESENT, LATE, 360, 300),
        (None, PRESENT, None, 360),
    ]
    assert history[0].reason == "A jelenléti ív szerint jelen volt"
    assert history[0].changed_by == admin


def test_unchanged_marks_leave_no_trail(db, course_run):
    run, trainer, tunde, _maria = course_run
    services.mark_session(run.sessions[0], [MarkInput(tunde.id, PRESENT)], trainer, at(TODAY))
    assert (
        services.mark_session(run.sessions[0], [MarkInput(tunde.id, PRESENT)], trainer, at(TODAY))
        == []
    )
    assert db.session.query(AttendanceChange).count() == 1


def mark_every_session(run, trainer, enrolment, minutes_per_session, other):
    """Mark `enrolment` with the given minutes per session, `other` present throughout."""
    for session, minutes in zip(run.sessions, minutes_per_session, strict=True):
        if minutes == session.minutes:
            item = MarkInput(enrolment.id, PRESENT)
        elif minutes == 0:
            item = MarkInput(enrolment.id, ABSENT)
        else:
            item = MarkInput(enrolment.id, LATE, minutes)
        services.mark_session(session, [item, MarkInput(other.id, PRESENT)], trainer, at(TODAY))


def test_hours_add_up_exactly_and_completion_is_decided_at_the_threshold(db, course_run):
    run, trainer, tunde, maria = course_run
    # 90 % of 24 h is 21.6 h = 1296 minutes.
    assert run.required_minutes == 1296
    mark_every_session(run, trainer, tunde, [360, 360, 360, 225], maria)
    register = services.register(run)
    rows = {row.enrolment.id: row for row in register.rows}
    assert rows[maria.id].attended == 24 * 60  # exactly 24.0 hours
    assert rows[tunde.id].attended == 1305 and rows[tunde.id].met
    assert register.session_total(run.sessions[0]) == 720
    services.mark_session(run.sessions[3], [MarkInput(tunde.id, LATE, 210)], trainer, at(TODAY))
    row = {r.enrolment.id: r for r in services.register(run).rows}[tunde.id]
    assert row.attended == 1290 and not row.met and not row.reachable


def test_reachable_while_sessions_remain(db, course_run):
    run, trainer, tunde, _maria = course_run
    services.mark_session(run.sessions[0], [MarkInput(tunde.id, ABSENT)], trainer, at(TODAY))
    row = next(r for r in services.register(run).rows if r.enrolment.id == tunde.id)
    assert not row.met and not row.reachable  # 18 h left < 21.6 h needed
    services.mark_session(run.sessions[0], [MarkInput(tunde.id, LATE, 240)], trainer, at(TODAY))
    row = next(r for r in services.register(run).rows if r.enrolment.id == tunde.id)
    assert row.reachable and round(row.percent, 1) == 16.7


def test_closing_needs_every_mark_and_records_outcomes(db, course_run, make_user):
    run, trainer, tunde, maria = course_run
    admin = make_user(role="admin")
    services.mark_session(run.sessions[0], [MarkInput(tunde.id, PRESENT)], trainer, at(TODAY))
    with pytest.raises(DomainError) as refused:
        services.close_run(run, admin)
    assert "7 attendance marks are still missing" in refused.value.message
    mark_every_session(run, trainer, tunde, [360, 360, 0, 360], maria)
    services.close_run(run, admin)
    db.session.commit()
    assert run.status == RunStatus.CLOSED and run.closed_by == admin
    assert (tunde.outcome, maria.outcome) == (Outcome.NOT_COMPLETED, Outcome.COMPLETED)
    # After closing only an admin corrects, with a reason, and the outcome follows.
    with pytest.raises(DomainError):
        services.mark_session(run.sessions[2], [MarkInput(tunde.id, PRESENT)], trainer, at(TODAY))
    services.mark_session(
        run.sessions[2], [MarkInput(tunde.id, PRESENT)], admin, at(TODAY), "Tévesen rögzítve"
    )
    assert tunde.outcome == Outcome.COMPLETED


def test_a_sixty_hour_run_totals_exactly_sixty_hours(db, make_user, make_course, make_run):
    start = TODAY - timedelta(days=8)
    run = make_run(
        course=make_course(total_hours=60),
        sessions=[(start + timedelta(days=i), time(8, 30), time(16, 30), 450) for i in range(8)],
    )
    admin = make_user(role="admin")
    trainee = enrol(make_user(), run, at(start - timedelta(days=9), time(8)), by=admin)
    for session in run.sessions:
        services.mark_session(session, [MarkInput(trainee.id, PRESENT)], admin, session.ends)
    [row] = services.register(run).rows
    assert row.attended == 3600 and row.percent == 100.0 and row.met


@pytest.mark.parametrize("minutes, met", [(1080, True), (1065, False)])
def test_completion_at_exactly_the_threshold(db, make_user, make_course, make_run, minutes, met):
    """75 % of 24 hours is exactly 18 hours: 18 h completes, 17.75 h does not."""
    start = TODAY - timedelta(days=8)
    run = make_run(
        course=make_course(total_hours=24),
        min_attendance_pct=75,
        sessions=[(start + timedelta(days=i), time(9), time(15), 360) for i in range(4)],
    )
    admin = make_user(role="admin")
    trainee = enrol(make_user(), run, at(start - timedelta(days=9), time(8)), by=admin)
    remaining = minutes
    for session in run.sessions:
        attended = min(remaining, 360)
        remaining -= attended
        item = (
            MarkInput(trainee.id, PRESENT)
            if attended == 360
            else (
                MarkInput(trainee.id, LATE, attended) if attended else MarkInput(trainee.id, ABSENT)
            )
        )
        services.mark_session(session, [item], admin, session.ends)
    assert run.required_minutes == 1080
    services.close_run(run, admin)
    assert trainee.outcome == (Outcome.COMPLETED if met else Outcome.NOT_COMPLETED)

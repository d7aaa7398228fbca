"""Attendance: marks by the hour, the lock window, the audit trail, progress and closing.

Rules 4, 5 and 7 of DESIGN.md: only the run's trainers (for their sessions) and
administrators mark; a trainer's marks lock ATTENDANCE_LOCK_DAYS after the
session, after which only an administrator corrects them, with a reason; every
change is kept; late and left-early count the minutes actually attended,
excused counts zero but is shown as excused.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from lms.attendance.models import AttendanceChange, AttendanceMark, AttendanceStatus
from lms.attendance.permissions import can_mark
from lms.audit.services import because
from lms.auth.models import Role, User
from lms.clock import utcnow
from lms.courses.models import Run, RunStatus, Session
from lms.enrolment.models import Enrolment, EnrolmentState, Outcome
from lms.enrolment.progress import Progress
from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import gettext as _
from lms.surveys.evaluations import open_evaluation
from lms.templating import format_clock, format_day, format_hours

PARTIAL = (AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)


@dataclass
class MarkInput:
    enrolment_id: int
    status: AttendanceStatus
    minutes: int | None = None  # only for late / left early
    note: str = ""


def lock_date(session: Session) -> date:
    """The last day (at the run's centre) a trainer may still change the session's marks."""
    return session.date + timedelta(days=current_app.config["ATTENDANCE_LOCK_DAYS"])


def is_locked(session: Session, now: datetime) -> bool:
    """Whether the lock day has ended at the run's centre at the instant `now`."""
    return session.run.today(now) > lock_date(session)


def has_begun(session: Session, now: datetime) -> bool:
    """Attendance is taken from the session's start (its wall-clock time at the centre)."""
    return now >= session.starts


def session_roster(session: Session) -> list[Enrolment]:
    """The trainees whose attendance is taken: those enrolled in the run, by name."""
    rows = db.session.scalars(
        sa.select(Enrolment)
        .where(Enrolment.run_id == session.run_id, Enrolment.state == EnrolmentState.ENROLLED)
        .options(joinedload(Enrolment.user))
    ).all()
    return sorted(rows, key=lambda e: e.user.full_name.casefold())


def marks_of(session: Session) -> dict[int, AttendanceMark]:
    return {
        m.enrolment_id: m
        for m in db.session.scalars(
            sa.select(AttendanceMark)
            .where(AttendanceMark.session_id == session.id)
            .options(joinedload(AttendanceMark.marked_by))
        )
    }


def _minutes_for(session: Session, item: MarkInput) -> int:
    if item.status == AttendanceStatus.PRESENT:
        return session.minutes
    if item.status in PARTIAL:
        if item.minutes is None or not 0 <= item.minutes <= session.minutes or item.minutes % 15:
            raise DomainError(
                _(
                    "Give the hours attended in quarter hours, from 0 to %(hours)s.",
                    hours=format_hours(session.hours),
                ),
                f"minutes-{item.enrolment_id}",
            )
        return item.minutes
    return 0  # excused and absent count no hours (excused is still shown as excused)


def mark_session(
    session: Session, items: list[MarkInput], by: User, now: datetime, reason: str = ""
) -> list[AttendanceMark]:
    """Record or correct the marks of one session; every change lands in the audit trail."""
    run = session.run
    if not can_mark(by, session):
        raise DomainError(_("Only the session's trainers and administrators mark attendance."))
    if run.status == RunStatus.CANCELLED:
        raise DomainError(_("The run is cancelled."))
    if not has_begun(session, now):
        raise DomainError(
            _(
                "Attendance can be marked from the start of the session (%(day)s, %(time)s).",
                day=format_day(session.date),
                time=format_clock(session.starts_at),
            )
        )
    needs_reason = is_locked(session, now) or run.status == RunStatus.CLOSED
    if run.status == RunStatus.CLOSED and by.role != Role.ADMIN:
        raise DomainError(
            _("The run is closed; only an administrator can correct its marks, with a reason.")
        )
    if needs_reason and by.role != Role.ADMIN:
        raise DomainError(
            _(
                "The marks of this session locked on %(day)s; ask an administrator "
                "to correct them.",
                day=format_day(lock_date(session)),
            )
        )
    enrolled = {e.id: e for e in session_roster(session)}
    existing = marks_of(session)
    changes = []
    for item in items:
        if item.enrolment_id not in enrolled:
            raise DomainError(_("Someone on the form is not enrolled in this run."))
        minutes = _minutes_for(session, item)
        mark = existing.get(item.enrolment_id)
        if mark and (mark.status, mark.minutes, mark.note) == (item.status, minutes, item.note):
            continue
        changes.append((item, minutes, mark))
    if changes and needs_reason and not reason.strip():
        raise DomainError(_("Give the reason for correcting locked marks."), "reason")
    with because(reason.strip(), by):
        saved = _save_marks(session, changes, by, now, reason.strip())
    if saved and run.status == RunStatus.CLOSED:
        record_outcomes(run)
    return saved


def _save_marks(session: Session, changes: list, by: User, now: datetime, reason: str):
    saved = []
    for item, minutes, mark in changes:
        old = (mark.status, mark.minutes) if mark else (None, None)
        if mark is None:
            mark = AttendanceMark(session=session, enrolment_id=item.enrolment_id)
            db.session.add(mark)
        mark.status, mark.minutes, mark.note = item.status, minutes, item.note.strip()
        mark.marked_by, mark.marked_at = by, now
        db.session.flush()
        db.session.add(
            AttendanceChange(
                mark=mark,
                changed_by=by,
                changed_at=now,
                old_status=old[0],
                old_minutes=old[1],
                new_status=item.status,
                new_minutes=minutes,
                reason=reason,
            )
        )
        saved.append(mark)
    db.session.flush()
    return saved


def history(session: Session) -> list[AttendanceChange]:
    return list(
        db.session.scalars(
            sa.select(AttendanceChange)
            .join(AttendanceChange.mark)
            .where(AttendanceMark.session_id == session.id)
            .options(
                joinedload(AttendanceChange.changed_by),
                joinedload(AttendanceChange.mark)
                .joinedload(AttendanceMark.enrolment)
                .joinedload(Enrolment.user),
            )
            .order_by(AttendanceChange.id.desc())
        )
    )


def corrected_after_closing(run: Run) -> set[int]:
    """The marks of a closed run changed after it was closed (by an administrator's
    correction, the only way then): their ids."""
    if run.closed_at is None:
        return set()
    return set(db.session.scalars(
        sa.select(AttendanceChange.mark_id).join(AttendanceChange.mark)
        .join(AttendanceMark.session)
        .where(Session.run_id == run.id, AttendanceChange.changed_at > run.closed_at)))


# ---------------------------------------------------------------- progress and register


@dataclass
class Register:
    run: Run
    sessions: list[Session]
    rows: list[Progress]

    def session_total(self, session: Session) -> int:
        return sum(row.cells[session.id].minutes for row in self.rows if session.id in row.cells)

    @property
    def fully_marked(self) -> bool:
        return all(len(row.cells) == len(self.sessions) for row in self.rows)


def register(run: Run, states=(EnrolmentState.ENROLLED,)) -> Register:
    """Trainee × session matrix of attended minutes, in a fixed number of queries."""
    return registers([run], states)[run.id]


def registers(runs: list[Run], states=(EnrolmentState.ENROLLED,)) -> dict[int, Register]:
    """Each run's register (by run id), in the same three queries for one run or for
    a page of them: their sessions, their trainees, and the marks."""
    if not runs:
        return {}
    ids = [run.id for run in runs]
    sessions: dict[int, list[Session]] = {run_id: [] for run_id in ids}
    for session in db.session.scalars(
        sa.select(Session)
        .where(Session.run_id.in_(ids))
        .order_by(Session.date, Session.starts_at)
    ):
        sessions[session.run_id].append(session)
    enrolments: dict[int, list[Enrolment]] = {run_id: [] for run_id in ids}
    for enrolment in sorted(
        db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.run_id.in_(ids), Enrolment.state.in_(states))
            .options(joinedload(Enrolment.user))
        ).all(),
        key=lambda e: e.user.full_name.casefold(),
    ):
        enrolments[enrolment.run_id].append(enrolment)
    marks = db.session.scalars(
        sa.select(AttendanceMark).join(Enrolment).where(Enrolment.run_id.in_(ids))
    ).all()
    by_enrolment: dict[int, dict[int, AttendanceMark]] = {}
    for mark in marks:
        by_enrolment.setdefault(mark.enrolment_id, {})[mark.session_id] = mark
    result = {}
    for run in runs:
        total = run.course.total_hours * 60
        rows = []
        for enrolment in enrolments[run.id]:
            cells = by_enrolment.get(enrolment.id, {})
            attended = sum(mark.minutes for mark in cells.values())
            open_minutes = sum(s.minutes for s in sessions[run.id] if s.id not in cells)
            rows.append(Progress(enrolment, attended, open_minutes, run.required_minutes, total,
                                 cells))
        result[run.id] = Register(run, sessions[run.id], rows)
    return result


# ---------------------------------------------------------------- closing


def record_outcomes(run: Run) -> None:
    for row in register(run).rows:
        row.enrolment.outcome = Outcome.COMPLETED if row.met else Outcome.NOT_COMPLETED
    db.session.flush()


def close_run(run: Run, by: User) -> Register:
    """Close a fully marked run; each enrolled trainee completes it or not by rule 5."""
    if run.status != RunStatus.PUBLISHED:
        raise DomainError(_("Only a published run can be closed."))
    result = register(run)
    missing = sum(len(result.sessions) - len(row.cells) for row in result.rows)
    if missing:
        raise DomainError(
            _(
                "%(count)d attendance marks are still missing; mark every session first.",
                count=missing,
            )
        )
    run.status = RunStatus.CLOSED
    run.closed_at = utcnow()
    run.closed_by = by
    record_outcomes(run)
    # Those who attended any of it are invited to evaluate it (lms/surveys/evaluations.py).
    open_evaluation(run, [row.enrolment for row in result.rows if row.attended > 0],
                    run.closed_at)
    return result

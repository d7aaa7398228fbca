"""A trainer's sessions page: what is ahead, and their past sessions a page at a time.

Every list here is one query with the run, course and centre joined in, so the page
costs the same number of statements for a trainer of 3 runs or of 300, and its past
sessions are read a page at a time instead of the trainer's whole history.
"""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager

from lms.attendance.models import AttendanceMark
from lms.attendance.services import is_locked
from lms.auth.models import User
from lms.courses.models import Run, RunStatus, Session
from lms.courses.services import not_ended
from lms.enrolment.models import Enrolment, EnrolmentState
from lms.evidence.models import SignedSheet
from lms.extensions import db
from lms.trainers.models import TrainerAssignment, trainer_assignment_session

PAST_PAGE_SIZE = 20
UPCOMING_PAGE_SIZE = 50  # sessions ahead a page: however busy the year to come
# Which past sessions to list: all, those the trainer can still mark and has not, those
# not fully marked that only an administrator can correct now, those without a signed sheet.
PAST_FILTERS = ("all", "unmarked", "locked", "sheetless")
SHOWN_STATUSES = (RunStatus.PUBLISHED, RunStatus.CLOSED)


@dataclass
class TrainerSessions:
    upcoming: list[Session]  # one page of today's and later ones, soonest first
    ahead: int  # the page of upcoming sessions shown (from 1)
    more_ahead: bool  # whether later upcoming sessions are on a next page
    past: list[Session]  # one page of the past ones, latest first
    show: str  # one of PAST_FILTERS
    page: int
    pages: int
    past_total: int  # past sessions matching `show`, on every page
    unmarked_count: int  # past sessions the trainer can still mark, not fully marked
    locked_count: int  # past sessions not fully marked that the trainer can no longer mark
    sheetless_count: int  # past sessions without a signed sheet
    marked: dict[int, int]  # marks per session shown
    enrolled: dict[int, int]  # trainees enrolled per run shown
    missing: set[int]  # sessions shown that have ended without a signed sheet
    unmarked: set[int]  # past sessions shown that the trainer still has to mark
    locked: set[int]  # past sessions shown, not fully marked, locked for the trainer
    runs: list[Run]  # the runs of the sessions shown


def _with_assignment(stmt, trainer: User):
    """`stmt` (sessions, run joined) narrowed to the trainer's sessions: they are on the
    run (not removed), for all its sessions or for this one. Joined from the trainer's
    assignments (one per run), so the database starts from their runs, not from every
    session ever held."""
    narrowed = sa.select(trainer_assignment_session.c.assignment_id).where(
        trainer_assignment_session.c.assignment_id == TrainerAssignment.id
    )
    this_one = narrowed.where(trainer_assignment_session.c.session_id == Session.id)
    return stmt.join(
        TrainerAssignment,
        sa.and_(
            TrainerAssignment.run_id == Run.id,
            TrainerAssignment.trainer_id == trainer.id,
            TrainerAssignment.removed_at.is_(None),
        ),
    ).where(sa.or_(~narrowed.exists(), this_one.exists()))


def _marks_of_session():
    return (
        sa.select(sa.func.count(AttendanceMark.id))
        .where(AttendanceMark.session_id == Session.id)
        .scalar_subquery()
    )


def _enrolled_in_run():
    return (
        sa.select(sa.func.count(Enrolment.id))
        .where(Enrolment.run_id == Session.run_id, Enrolment.state == EnrolmentState.ENROLLED)
        .scalar_subquery()
    )


def _still_to_mark() -> sa.ColumnElement[bool]:
    return _marks_of_session() < _enrolled_in_run()


def markable_by_trainer(now: datetime) -> sa.ColumnElement[bool]:
    """SQL (run and centre joined): a trainer may still mark the session: its run is not
    closed and its marking window is open at its centre (rule 4: the lock day has not
    ended, `services.is_locked`)."""
    return sa.and_(
        Run.status == RunStatus.PUBLISHED,
        not_ended(Session.date, now, current_app.config["ATTENDANCE_LOCK_DAYS"]),
    )


def markable_now(session: Session, now: datetime) -> bool:
    """The same as `markable_by_trainer`, for a loaded session."""
    return session.run.status == RunStatus.PUBLISHED and not is_locked(session, now)


def _without_sheet() -> sa.ColumnElement[bool]:
    return ~(
        sa.select(SignedSheet.id)
        .where(SignedSheet.session_id == Session.id, SignedSheet.replaced_at.is_(None))
        .exists()
    )


def _sessions_of(trainer: User):
    return _with_assignment(
        sa.select(Session)
        .join(Session.run)
        .join(Run.course)
        .join(Run.centre)
        .where(Run.status.in_(SHOWN_STATUSES))
        .options(contains_eager(Session.run).contains_eager(Run.course),
                 contains_eager(Session.run).contains_eager(Run.centre)),
        trainer,
    )


def trainer_sessions(trainer: User, now: datetime, page: int = 1,
                     show: str = "all", ahead: int = 1) -> TrainerSessions:
    """A page of the trainer's sessions from today on (each judged by the date at its
    own centre), and one page of their past ones, filtered by `show`."""
    show = show if show in PAST_FILTERS else "all"
    ahead = max(ahead, 1)
    upcoming = list(db.session.scalars(
        _sessions_of(trainer)
        .where(Run.last_day.is_not(None), not_ended(Run.last_day, now),
               not_ended(Session.date, now))
        .order_by(Session.date, Session.starts_at, Session.id)
        .limit(UPCOMING_PAGE_SIZE + 1).offset((ahead - 1) * UPCOMING_PAGE_SIZE)
    ))
    more_ahead = len(upcoming) > UPCOMING_PAGE_SIZE
    upcoming = upcoming[:UPCOMING_PAGE_SIZE]
    past = sa.not_(not_ended(Session.date, now))
    markable = markable_by_trainer(now)
    to_mark = sa.and_(_still_to_mark(), markable)
    locked = sa.and_(_still_to_mark(), sa.not_(markable))
    total, unmarked_count, locked_count, sheetless_count = db.session.execute(
        _with_assignment(
            sa.select(
                sa.func.count(Session.id),
                sa.func.coalesce(sa.func.sum(sa.case((to_mark, 1), else_=0)), 0),
                sa.func.coalesce(sa.func.sum(sa.case((locked, 1), else_=0)), 0),
                sa.func.coalesce(sa.func.sum(sa.case((_without_sheet(), 1), else_=0)), 0),
            )
            .select_from(Session)
            .join(Session.run)
            .join(Run.centre)
            .where(Run.status.in_(SHOWN_STATUSES), past),
            trainer,
        )
    ).one()
    past_total = {"all": total, "unmarked": unmarked_count, "locked": locked_count,
                  "sheetless": sheetless_count}[show]
    pages = max(-(-past_total // PAST_PAGE_SIZE), 1)
    page = min(max(page, 1), pages)
    stmt = _sessions_of(trainer).where(past)
    if show == "unmarked":
        stmt = stmt.where(to_mark)
    elif show == "locked":
        stmt = stmt.where(locked)
    elif show == "sheetless":
        stmt = stmt.where(_without_sheet())
    past_sessions = list(db.session.scalars(
        stmt.order_by(Session.date.desc(), Session.starts_at.desc(), Session.id.desc())
        .limit(PAST_PAGE_SIZE).offset((page - 1) * PAST_PAGE_SIZE)
    ))

    shown = upcoming + past_sessions
    ids = [s.id for s in shown]
    run_ids = {s.run_id for s in shown}
    marked = dict(db.session.execute(
        sa.select(AttendanceMark.session_id, sa.func.count(AttendanceMark.id))
        .where(AttendanceMark.session_id.in_(ids))
        .group_by(AttendanceMark.session_id)
    ).all()) if ids else {}
    enrolled = dict(db.session.execute(
        sa.select(Enrolment.run_id, sa.func.count(Enrolment.id))
        .where(Enrolment.run_id.in_(run_ids), Enrolment.state == EnrolmentState.ENROLLED)
        .group_by(Enrolment.run_id)
    ).all()) if ids else {}
    ended = [s.id for s in shown if s.ends <= now]
    with_sheet = set(db.session.scalars(
        sa.select(SignedSheet.session_id).where(
            SignedSheet.session_id.in_(ended), SignedSheet.replaced_at.is_(None))
    )) if ended else set()
    not_full = [s for s in past_sessions if marked.get(s.id, 0) < enrolled.get(s.run_id, 0)]
    runs = sorted({s.run for s in shown}, key=lambda r: (r.first_day or date.min, r.id))
    return TrainerSessions(
        upcoming=upcoming,
        ahead=ahead,
        more_ahead=more_ahead,
        past=past_sessions,
        show=show,
        page=page,
        pages=pages,
        past_total=past_total,
        unmarked_count=unmarked_count,
        locked_count=locked_count,
        sheetless_count=sheetless_count,
        marked=marked,
        enrolled=enrolled,
        missing=set(ended) - with_sheet,
        unmarked={s.id for s in not_full if markable_now(s, now)},
        locked={s.id for s in not_full if not markable_now(s, now)},
        runs=runs,
    )

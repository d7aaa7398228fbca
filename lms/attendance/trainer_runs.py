"""A trainer's runs page: each run they teach, what is left to do on it, and how its
trainees stand against the completion rule.

The runs come a page at a time, current ones first; everything shown for a page is
read in the same few queries whether it holds one run or ten, with one trainee or
thirty each: the page of runs, the registers (`services.registers`), the trainer's
narrowed sessions, and the signed sheets.
"""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from lms import paging
from lms.attendance.services import Register, has_begun, registers
from lms.attendance.trainer_sessions import SHOWN_STATUSES, markable_now
from lms.auth.models import User
from lms.courses.models import Run, Session
from lms.courses.services import not_ended
from lms.evidence.services import sessions_missing_sheet
from lms.extensions import db
from lms.trainers.models import TrainerAssignment, trainer_assignment_session

RUNS_PAGE_SIZE = 10


@dataclass
class TrainerRun:
    """One run as its trainer sees it; the session lists hold only their own sessions
    (all of the run's, unless their assignment is narrowed to some)."""

    run: Run
    register: Register  # every trainee's hours and completion (rule 5)
    current: bool  # not ended yet at its centre
    sessions: list[Session]  # the trainer's sessions of the run
    marked: list[Session] = field(default_factory=list)  # begun and marked for everyone
    to_mark: list[Session] = field(default_factory=list)  # begun, not fully marked, markable
    locked: list[Session] = field(default_factory=list)  # not fully marked, locked for them
    ahead: list[Session] = field(default_factory=list)  # not begun yet
    sheets_missing: list[Session] = field(default_factory=list)  # ended, no signed sheet


@dataclass
class TrainerRuns:
    page: paging.Page  # of Run
    runs: list[TrainerRun]


def _runs_of(trainer: User, now: datetime) -> sa.Select:
    """The trainer's published and closed runs (not those they were taken off), current
    ones first (soonest first), then past ones (latest first)."""
    current = sa.and_(Run.last_day.is_not(None), not_ended(Run.last_day, now))
    return (
        sa.select(Run)
        .join(Run.course)
        .join(Run.centre)
        .join(TrainerAssignment, sa.and_(
            TrainerAssignment.run_id == Run.id,
            TrainerAssignment.trainer_id == trainer.id,
            TrainerAssignment.removed_at.is_(None),
        ))
        .where(Run.status.in_(SHOWN_STATUSES))
        .options(contains_eager(Run.course), contains_eager(Run.centre))
        .order_by(sa.case((current, 0), else_=1),
                  sa.case((current, Run.first_day), else_=None),
                  Run.last_day.desc(), Run.id.desc())
    )


def _narrowed_sessions(trainer: User, run_ids: list[int]) -> dict[int, set[int]]:
    """For the runs where the trainer's assignment is narrowed to some sessions: those
    sessions' ids, by run id (a run not in the answer: all its sessions are theirs)."""
    narrowed: dict[int, set[int]] = {}
    for run_id, session_id in db.session.execute(
        sa.select(TrainerAssignment.run_id, trainer_assignment_session.c.session_id)
        .join(trainer_assignment_session,
              trainer_assignment_session.c.assignment_id == TrainerAssignment.id)
        .where(TrainerAssignment.trainer_id == trainer.id,
               TrainerAssignment.removed_at.is_(None),
               TrainerAssignment.run_id.in_(run_ids))
    ):
        narrowed.setdefault(run_id, set()).add(session_id)
    return narrowed


def trainer_runs(trainer: User, now: datetime, page: int = 1) -> TrainerRuns:
    """A page of the runs `trainer` teaches, each with its sessions sorted by what is
    left to do (judged at `now`, at the run's centre) and its register."""
    found = paging.paginate(_runs_of(trainer, now), page, RUNS_PAGE_SIZE)
    runs: list[Run] = found.items
    if not runs:
        return TrainerRuns(found, [])
    ids = [run.id for run in runs]
    books = registers(runs)
    narrowed = _narrowed_sessions(trainer, ids)
    theirs = {run.id: [s for s in books[run.id].sessions
                       if run.id not in narrowed or s.id in narrowed[run.id]]
              for run in runs}
    missing = sessions_missing_sheet([s for sessions in theirs.values() for s in sessions], now)
    result = []
    for run in runs:
        book = books[run.id]
        entry = TrainerRun(run, book, current=run.last_day is not None
                           and run.last_day >= run.today(now), sessions=theirs[run.id])
        for session in entry.sessions:
            if not has_begun(session, now):
                entry.ahead.append(session)
            elif all(session.id in row.cells for row in book.rows):
                entry.marked.append(session)
            elif markable_now(session, now):
                entry.to_mark.append(session)
            else:
                entry.locked.append(session)
            if session.id in missing:
                entry.sheets_missing.append(session)
        result.append(entry)
    return TrainerRuns(found, result)

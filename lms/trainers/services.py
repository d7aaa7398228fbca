"""Trainer assignments: a trainer never holds two overlapping sessions (any run, any centre)."""

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from lms.auth.models import Role, User
from lms.clock import instant_at, utcnow
from lms.courses import services as courses
from lms.courses.models import Run, RunStatus, Session
from lms.courses.services import describe_session
from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import gettext as _
from lms.trainers.models import TrainerAssignment, TrainerRole


@dataclass(frozen=True)
class Slot:
    """A stretch of time a trainer would be booked for."""

    day: date
    starts_at: time
    ends_at: time
    session: Session  # the session as it is now (its label for messages)
    zone: ZoneInfo  # its run's centre's: the times are wall-clock times there

    @property
    def starts(self) -> datetime:
        return instant_at(self.day, self.starts_at, self.zone)

    @property
    def ends(self) -> datetime:
        return instant_at(self.day, self.ends_at, self.zone)


def covered_sessions(assignment: TrainerAssignment) -> list[Session]:
    """The sessions an assignment covers: the chosen ones, or all of the run's."""
    return list(assignment.sessions) or list(assignment.run.sessions)


def assignments_of(trainer: User) -> list[TrainerAssignment]:
    return list(
        db.session.scalars(
            sa.select(TrainerAssignment)
            .join(TrainerAssignment.run)
            .where(
                TrainerAssignment.trainer_id == trainer.id,
                TrainerAssignment.removed_at.is_(None),
                Run.status != RunStatus.CANCELLED,
            )
            .options(
                selectinload(TrainerAssignment.sessions),
                joinedload(TrainerAssignment.run).selectinload(Run.sessions),
                joinedload(TrainerAssignment.run).joinedload(Run.course),
                joinedload(TrainerAssignment.run).joinedload(Run.centre),
            )
        ).unique()
    )


def find_trainer_clash(
    trainer: User, slots: list[Slot], ignore_run: Run | None = None
) -> tuple[Session, Slot] | None:
    """The first session the trainer already holds that overlaps one of `slots`."""
    for assignment in assignments_of(trainer):
        if ignore_run is not None and assignment.run_id == ignore_run.id:
            continue
        for held in covered_sessions(assignment):
            for slot in slots:
                if held.id != slot.session.id and held.overlaps_span(slot.starts, slot.ends):
                    return held, slot
    return None


def lock_trainers(trainers: list[User]) -> None:
    """Serialise the bookings of these trainers until this transaction ends, so that a
    clash check and the insert after it cannot interleave with another administrator's.

    PostgreSQL: their user rows are locked (SELECT ... FOR UPDATE, in id order so two
    requests never wait for each other). SQLite ignores FOR UPDATE; an UPDATE that
    changes nothing takes the database's write lock, which a second writer waits for
    (busy_timeout) before it reads anything, so its check sees the first one's insert.
    """
    ids = sorted({t.id for t in trainers})
    if not ids:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.select(User.id).where(User.id.in_(ids)).order_by(User.id).with_for_update()
        )
    else:
        db.session.execute(
            sa.update(User)
            .where(User.id.in_(ids))
            .values(id=User.id)
            .execution_options(synchronize_session=False)
        )


def _clash_error(trainer: User, held: Session, slot: Slot, field: str) -> DomainError:
    return DomainError(
        _(
            "%(trainer)s already trains %(course)s in %(city)s at %(held)s, which overlaps "
            "%(slot)s.",
            trainer=trainer.full_name,
            course=held.run.course.title,
            city=held.run.centre.city,
            held=describe_session(held),
            slot=describe_session(slot.session),
        ),
        field,
    )


def assign_trainer(
    run: Run, trainer: User, role: TrainerRole, sessions: list[Session] | None = None
) -> TrainerAssignment:
    """Put a trainer on a run (or some of its sessions); refused if it double-books them."""
    if trainer.role != Role.TRAINER or not trainer.active:
        raise DomainError(_("Choose an active trainer account."), "trainer_id")
    if run.status in (RunStatus.CANCELLED, RunStatus.CLOSED):
        raise DomainError(_("A cancelled or closed run cannot change."))
    sessions = sessions or []
    if any(s.run_id != run.id for s in sessions):
        raise DomainError(_("Choose sessions of this run."), "sessions")
    covered = sessions or list(run.sessions)
    slots = [Slot(s.date, s.starts_at, s.ends_at, s, run.zone) for s in covered]
    lock_trainers([trainer])  # then check, then insert: one booking of them at a time
    clash = find_trainer_clash(trainer, slots, ignore_run=run)
    if clash:
        raise _clash_error(trainer, *clash, "trainer_id")
    assignment = db.session.scalar(
        sa.select(TrainerAssignment).where(
            TrainerAssignment.run_id == run.id, TrainerAssignment.trainer_id == trainer.id
        )
    ) or TrainerAssignment(run=run, trainer=trainer)  # a removed one comes back
    assignment.role = role
    assignment.removed_at = assignment.removed_by = None
    assignment.sessions = sessions
    db.session.add(assignment)
    db.session.flush()
    return assignment


def remove_assignment(assignment: TrainerAssignment, acting: User) -> None:
    """Take a trainer off a run. The assignment is kept, marked removed (when, by whom);
    their attendance marks keep their name."""
    if assignment.run.status == RunStatus.CLOSED:
        raise DomainError(_("A closed run cannot change."))
    if assignment.removed_at is None:
        assignment.removed_at = utcnow()
        assignment.removed_by = acting
        db.session.flush()


def save_session(run: Run, session: Session | None, **fields) -> Session:
    """Add or move a session without double-booking any trainer of the run."""
    day, starts_at, ends_at = fields["day"], fields["starts_at"], fields["ends_at"]
    if session is None:  # a new session joins every "all sessions" assignment
        label = Session(
            date=day, starts_at=starts_at, ends_at=ends_at, topic=fields.get("topic", "")
        )
        affected = [a for a in run_assignments(run) if not a.sessions]
    else:
        label = session
        affected = trainers_of_session(session)
    slot = Slot(day, starts_at, ends_at, label, run.zone)
    lock_trainers([a.trainer for a in affected])
    for assignment in affected:
        clash = find_trainer_clash(assignment.trainer, [slot], ignore_run=run)
        if clash:
            raise _clash_error(assignment.trainer, *clash, "starts_at")
    return courses.save_session(run, session, **fields)


def remove_session(run: Run, session: Session, acting: User) -> None:
    """Remove a session from a draft run. An assignment narrowed to it loses it; one
    narrowed to it alone would otherwise widen to every session, so it is marked
    removed (kept, like every assignment: who was to train is evidence)."""
    if run.status != RunStatus.DRAFT:  # checked before any assignment changes
        raise DomainError(_("Sessions can be removed only while the run is a draft."))
    for assignment in run_assignments(run) + run_assignments(run, removed=True):
        if session not in assignment.sessions:
            continue
        if assignment.removed_at is None and len(assignment.sessions) == 1:
            assignment.removed_at = utcnow()
            assignment.removed_by = acting
        assignment.sessions = [s for s in assignment.sessions if s.id != session.id]
    db.session.flush()
    courses.remove_session(run, session)


def trainers_of_session(session: Session) -> list[TrainerAssignment]:
    return [a for a in run_assignments(session.run) if not a.sessions or session in a.sessions]


def trainers_by_session(run: Run, sessions: list[Session]) -> dict[int, list[User]]:
    """Each session's trainers (by session id), from one read of the run's assignments."""
    assignments = run_assignments(run)
    return {s.id: [a.trainer for a in assignments if not a.sessions or s in a.sessions]
            for s in sessions}


def run_assignments(run: Run, removed: bool = False) -> list[TrainerAssignment]:
    """The run's trainers now, or (`removed=True`) those taken off it, latest first."""
    stmt = (
        sa.select(TrainerAssignment)
        .where(TrainerAssignment.run_id == run.id)
        .options(selectinload(TrainerAssignment.sessions), joinedload(TrainerAssignment.trainer))
    )
    if removed:
        stmt = (
            stmt.where(TrainerAssignment.removed_at.is_not(None))
            .options(joinedload(TrainerAssignment.removed_by))
            .order_by(TrainerAssignment.removed_at.desc())
        )
    else:
        stmt = stmt.where(TrainerAssignment.removed_at.is_(None)).order_by(
            TrainerAssignment.role, TrainerAssignment.id
        )
    return list(db.session.scalars(stmt).unique())


def is_trainer_of(user: User, session: Session) -> bool:
    return user.role == Role.TRAINER and any(
        a.trainer_id == user.id for a in trainers_of_session(session)
    )


def is_trainer_of_run(user: User, run: Run) -> bool:
    return (
        user.role == Role.TRAINER
        and db.session.scalar(
            sa.select(sa.func.count(TrainerAssignment.id)).where(
                TrainerAssignment.run_id == run.id,
                TrainerAssignment.trainer_id == user.id,
                TrainerAssignment.removed_at.is_(None),
            )
        )
        > 0
    )

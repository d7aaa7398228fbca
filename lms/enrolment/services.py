"""Enrolment: seats, the waitlist and approvals (DESIGN rules 1-3 and 7).

Seats are taken and given back with conditional UPDATEs on `run.enrolled_count`
(`... WHERE enrolled_count < capacity`), and every state change is a
conditional UPDATE from the state the caller saw. Under any concurrency, on
SQLite or PostgreSQL, a seat is never handed out twice and never leaks: the
loser of a race matches no row and is told so.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from lms import paging
from lms.audit.services import because
from lms.auth.models import Role, User
from lms.clock import utcnow
from lms.courses.models import Run, RunStatus, Session
from lms.courses.services import cancel_run, describe_session, save_run
from lms.enrolment import messages
from lms.enrolment.models import (
    ACTIVE_STATES,
    SEAT_STATES,
    CancelKind,
    Enrolment,
    EnrolmentEvent,
    EnrolmentState,
)
from lms.enrolment.progress import Progress, progress_for
from lms.enrolment.queries import waitlist_positions
from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import gettext as _
from lms.pipeline import explain_constraint
from lms.templating import format_day

# Two clicks (or two administrators) raced to enrol the same trainee in the same
# run: the second insert trips the one-enrolment-per-trainee-per-run constraint.
explain_constraint(
    "uq_enrolment_run_id_user_id",
    lambda: _("There is already an enrolment of this trainee in this run."),
)
# The capacity was lowered while trainees took places (run.enrolled_count <= capacity).
explain_constraint(
    "ck_run_seats",
    lambda: _(
        "Trainees took places in this run at the same moment: the "
        "capacity cannot go below the places now held. Nothing was "
        "saved: please look at the roster again."
    ),
)
explain_constraint("ck_run_capacity_positive", lambda: _("Capacity must be at least 1."))

# ---------------------------------------------------------------- seats and states


def _take_seat(run: Run) -> bool:
    result = db.session.execute(
        sa.update(Run)
        .where(Run.id == run.id, Run.enrolled_count < Run.capacity)
        .values(enrolled_count=Run.enrolled_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(run, ["enrolled_count"])
    return result.rowcount == 1


def _release_seat(run: Run) -> None:
    db.session.execute(
        sa.update(Run)
        .where(Run.id == run.id, Run.enrolled_count > 0)
        .values(enrolled_count=Run.enrolled_count - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(run, ["enrolled_count"])


def _move(
    enrolment: Enrolment, to: EnrolmentState, by: User | None, reason: str = "", **values
) -> bool:
    """Change the state, but only from the state this caller saw; False if it changed meanwhile."""
    seen = enrolment.state
    result = db.session.execute(
        sa.update(Enrolment)
        .where(Enrolment.id == enrolment.id, Enrolment.state == seen)
        .values(state=to, updated_at=utcnow(), **values)
        .execution_options(
            synchronize_session=False, audit_actor_id=by.id if by else None, audit_reason=reason
        )
    )
    if result.rowcount != 1:
        return False
    db.session.add(
        EnrolmentEvent(
            enrolment_id=enrolment.id, by=by, from_state=seen, to_state=to, reason=reason
        )
    )
    db.session.flush()
    db.session.expire(enrolment)
    return True


def _changed_meanwhile() -> DomainError:
    return DomainError(
        _(
            "This enrolment was changed by someone else meanwhile. "
            "Please reload the page and try again."
        )
    )


# ---------------------------------------------------------------- queries


def find_enrolment(user: User, run: Run) -> Enrolment | None:
    return db.session.scalar(
        sa.select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.run_id == run.id)
    )


def find_clash(
    user: User, run: Run, ignore_run: Run | None = None
) -> tuple[Session, Session] | None:
    """A session of another run the user is in that overlaps one of `run`'s (theirs, this)."""
    # A day either side: at centres in other zones the same moment may fall on another date.
    days = {s.date + timedelta(days=shift) for s in run.sessions for shift in (-1, 0, 1)}
    if not days:
        return None
    excluded = {run.id} | ({ignore_run.id} if ignore_run else set())
    theirs = db.session.scalars(
        sa.select(Session)
        .join(Enrolment, Enrolment.run_id == Session.run_id)
        .join(Run, Run.id == Session.run_id)
        .where(
            Enrolment.user_id == user.id,
            Enrolment.state.in_(ACTIVE_STATES),
            Run.status != RunStatus.CANCELLED,
            Session.run_id.not_in(excluded),
            Session.date.in_(days),
        )
        .options(
            joinedload(Session.run).joinedload(Run.course),
            joinedload(Session.run).joinedload(Run.centre),
        )
    ).all()
    for mine in run.sessions:
        for other in theirs:
            if other.overlaps_span(mine.starts, mine.ends):
                return other, mine
    return None


def window_is_open(run: Run, now: datetime) -> bool:
    """Whether trainees may enrol themselves at the instant `now`: the window's dates
    (and the day of the first session, which ends it) are days at the run's centre."""
    today = run.today(now)
    if run.enrolment_opens and today < run.enrolment_opens:
        return False
    if run.enrolment_closes and today > run.enrolment_closes:
        return False
    return run.first_date is None or today < run.first_date


def enrolment_closed_on(run: Run) -> date | None:
    """The last day trainees could enrol: the closing date, else the eve of the first session."""
    if run.enrolment_closes:
        return run.enrolment_closes
    return run.first_date - timedelta(days=1) if run.first_date else None


# ---------------------------------------------------------------- enrolling


def _refuse_if_closed(run: Run, now: datetime, by_admin: bool) -> None:
    if run.status == RunStatus.CANCELLED:
        raise DomainError(_("This run has been cancelled."))
    if run.status != RunStatus.PUBLISHED:
        raise DomainError(_("This run is not open for enrolment."))
    if run.has_started(now):
        raise DomainError(_("This run has already started."))
    if by_admin:
        return
    if run.enrolment_opens and run.today(now) < run.enrolment_opens:
        raise DomainError(_("Enrolment opens on %(day)s.", day=format_day(run.enrolment_opens)))
    if not window_is_open(run, now):
        raise DomainError(
            _("Enrolment for this run closed on %(day)s.", day=format_day(enrolment_closed_on(run)))
        )


def _refuse_clash(user: User, run: Run, ignore_run: Run | None = None) -> None:
    clash = find_clash(user, run, ignore_run)
    if clash:
        theirs, mine = clash
        raise DomainError(
            _(
                "The session %(mine)s overlaps %(course)s in %(city)s (%(theirs)s), "
                "where you already have a place.",
                mine=describe_session(mine),
                course=theirs.run.course.title,
                city=theirs.run.centre.city,
                theirs=describe_session(theirs),
            )
        )


def enrol(user: User, run: Run, now: datetime, by: User | None = None) -> Enrolment:
    """Give `user` a seat (or a pending seat when the run needs approval), else a waitlist place.

    `by` is the administrator enrolling someone on their behalf: the enrolment
    window does not bind them and no approval is needed, but capacity and the
    no-overlap rule still do.
    """
    by_admin = by is not None and by.role == Role.ADMIN
    if user.role != Role.TRAINEE:
        raise DomainError(_("Only trainee accounts can enrol in a training."))
    if not user.active:
        raise DomainError(_("This account is deactivated."))
    _refuse_if_closed(run, now, by_admin)
    enrolment = find_enrolment(user, run)
    if enrolment is not None and enrolment.state in ACTIVE_STATES:
        raise DomainError(
            {
                EnrolmentState.ENROLLED: _("You already have a place in this run."),
                EnrolmentState.PENDING: _("Your enrolment in this run already awaits approval."),
                EnrolmentState.WAITLISTED: _("You are already on the waitlist of this run."),
            }[enrolment.state]
        )
    _refuse_clash(user, run)

    _lock_waitlist(run)
    if enrolment is None:
        # The unique (run, user) constraint stops a double click racing itself.
        enrolment = Enrolment(run=run, user=user, state=EnrolmentState.CANCELLED, created_at=now)
        db.session.add(enrolment)
        db.session.flush()
        first_time = True
    else:
        first_time = False
    if _take_seat(run):
        to = (
            EnrolmentState.PENDING
            if run.approval_required and not by_admin
            else EnrolmentState.ENROLLED
        )
        values = {"waitlisted_at": None}
    else:
        to, values = EnrolmentState.WAITLISTED, {"waitlisted_at": _place_in_line(run, now)}
    reason = _("Enrolled by %(name)s", name=by.full_name) if by_admin else ""
    values.update(cancelled_at=None, cancelled_by_id=None, cancel_kind=None, cancel_reason="")
    if first_time:
        db.session.add(
            EnrolmentEvent(
                enrolment_id=enrolment.id,
                by=by or user,
                from_state=None,
                to_state=to,
                reason=reason,
            )
        )
        for key, value in values.items():
            setattr(enrolment, key, value)
        enrolment.state = to
        with because(reason, by or user):
            db.session.flush()
    elif not _move(enrolment, to, by or user, reason, **values):
        raise _changed_meanwhile()
    # Counted under the run's lock, in this transaction: the number told now (on the
    # page and in the e-mail) stays true until someone ahead leaves the line.
    enrolment.waitlist_position = (
        waitlist_positions([enrolment]).get(enrolment.id)
        if to == EnrolmentState.WAITLISTED else None
    )
    messages.tell_about(enrolment, to, on_behalf=by_admin,
                        position=enrolment.waitlist_position)
    return enrolment


def _lock_waitlist(run: Run) -> None:
    """Serialise the enrolments of `run` until this transaction ends, so that places in
    line are taken one at a time and each counts everyone before it.

    PostgreSQL: the run's row is locked (SELECT ... FOR NO KEY UPDATE, the lock the
    seat UPDATE takes, which a full run's UPDATE would not: it matches no row), before
    this transaction writes anything, so two enrolments never wait for each other.
    SQLite ignores FOR UPDATE; an UPDATE of nothing takes the database's write lock,
    which a second writer waits for (busy_timeout) before it reads anything (as
    trainers.services.lock_trainers).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.select(Run.id).where(Run.id == run.id).with_for_update(key_share=True))
    else:
        table = Run.__table__
        db.session.connection().execute(
            sa.update(table).where(sa.false()).values(id=table.c.id))


def _place_in_line(run: Run, now: datetime) -> datetime:
    """When a new waitlist entry joins the line: `now`, but never before the last one in
    line. `now` was read before the lock was granted, so a request that waited for it
    may carry an earlier instant than the one that went first; FIFO order is the order
    in which the lock was granted (a microsecond after the last entry at most)."""
    last = db.session.scalar(
        sa.select(sa.func.max(Enrolment.waitlisted_at)).where(
            Enrolment.run_id == run.id, Enrolment.state == EnrolmentState.WAITLISTED)
    )
    return now if last is None or now > last else last + timedelta(microseconds=1)


def promote_from_waitlist(run: Run) -> list[Enrolment]:
    """Fill free seats from the head of the waitlist, first come first served (rule 2)."""
    promoted, skipped = [], set()
    if run.status != RunStatus.PUBLISHED:
        return promoted
    while True:
        candidate = db.session.scalar(
            sa.select(Enrolment)
            .where(
                Enrolment.run_id == run.id,
                Enrolment.state == EnrolmentState.WAITLISTED,
                Enrolment.id.not_in(skipped),
            )
            .order_by(Enrolment.waitlisted_at, Enrolment.id)
            .limit(1)
        )
        if candidate is None or not _take_seat(run):
            return promoted
        to = EnrolmentState.PENDING if run.approval_required else EnrolmentState.ENROLLED
        if _move(candidate, to, None, _("A seat became free."), waitlisted_at=None):
            messages.tell_about(candidate, to, promoted=True)
            promoted.append(candidate)
        else:
            _release_seat(run)
            skipped.add(candidate.id)


def cancel_enrolment(
    enrolment: Enrolment,
    by: User,
    now: datetime,
    reason: str = "",
    kind: CancelKind = CancelKind.BY_TRAINEE,
) -> Enrolment:
    """Cancel a place or a waitlist entry; a freed seat goes to the waitlist at once."""
    run = enrolment.run
    if enrolment.state == EnrolmentState.CANCELLED:
        raise DomainError(_("This enrolment is already cancelled."))
    if run.status == RunStatus.CLOSED:
        raise DomainError(_("The run is closed; its enrolments can no longer change."))
    if kind == CancelKind.BY_TRAINEE:
        if run.has_started(now):
            raise DomainError(_("The training has started; please contact the centre to cancel."))
    elif kind in (CancelKind.BY_ADMIN, CancelKind.REFUSED) and not reason.strip():
        raise DomainError(_("Give the reason."), "reason")
    held = enrolment.holds_seat
    had_place = enrolment.state == EnrolmentState.ENROLLED  # and so an invitation
    if not _move(
        enrolment,
        EnrolmentState.CANCELLED,
        by,
        reason.strip(),
        cancelled_at=now,
        cancelled_by_id=by.id,
        cancel_kind=kind,
        cancel_reason=reason.strip(),
        waitlisted_at=None,
    ):
        raise _changed_meanwhile()
    if kind != CancelKind.MOVED or had_place:  # a move is told by the new run's news,
        # but the old run's invitation must still be withdrawn from their calendar
        messages.tell_about(enrolment, EnrolmentState.CANCELLED, had_place=had_place)
    if held:
        _release_seat(run)
        promote_from_waitlist(run)
    return enrolment


def approve(enrolment: Enrolment, by: User) -> Enrolment:
    if enrolment.state != EnrolmentState.PENDING:
        raise DomainError(_("Only a pending enrolment can be approved."))
    if enrolment.run.status == RunStatus.CLOSED:
        raise DomainError(_("The run is closed; its enrolments can no longer change."))
    if not _move(enrolment, EnrolmentState.ENROLLED, by, _("Approved")):
        raise _changed_meanwhile()
    messages.tell_about(enrolment, EnrolmentState.ENROLLED, approved=True)
    return enrolment


def refuse(enrolment: Enrolment, by: User, reason: str, now: datetime) -> Enrolment:
    """Refuse a pending enrolment with a reason; its seat goes to the waitlist."""
    if enrolment.state != EnrolmentState.PENDING:
        raise DomainError(_("Only a pending enrolment can be refused."))
    return cancel_enrolment(enrolment, by, now, reason, CancelKind.REFUSED)


def save_run_and_promote(run: Run | None, **fields) -> Run:
    """Create or update a run (courses.services.save_run); seats its edit freed (a raised
    capacity) go to the waitlist at once (rule 2)."""
    run = save_run(run, **fields)
    promote_from_waitlist(run)
    return run


def change_capacity(run: Run, capacity: int) -> list[Enrolment]:
    """Raise or lower the seats; raising promotes from the waitlist."""
    if run.status in (RunStatus.CANCELLED, RunStatus.CLOSED):
        raise DomainError(_("A cancelled or closed run cannot be changed."))
    if capacity < 1:
        raise DomainError(_("Capacity must be at least 1."), "capacity")
    if capacity < run.enrolled_count:
        raise DomainError(
            _(
                "%(count)d trainees already hold a place; capacity cannot go below that.",
                count=run.enrolled_count,
            ),
            "capacity",
        )
    run.capacity = capacity
    db.session.flush()
    return promote_from_waitlist(run)


def other_runs_of_course(run: Run, now: datetime) -> list[Run]:
    """Where a trainee of `run` could be moved: published runs of the same course not yet begun."""
    runs = db.session.scalars(
        sa.select(Run)
        .where(Run.course_id == run.course_id, Run.id != run.id, Run.status == RunStatus.PUBLISHED)
        .options(selectinload(Run.sessions), joinedload(Run.centre))
        .order_by(Run.id)
    ).unique()
    return [r for r in runs if not r.has_started(now)]


def move_enrolment(enrolment: Enrolment, target: Run, by: User, now: datetime) -> Enrolment:
    """Move a trainee to another run of the same course; they need a free seat there."""
    source = enrolment.run
    if enrolment.state not in SEAT_STATES:
        raise DomainError(_("Only a trainee with a place can be moved."), "run_id")
    if target.course_id != source.course_id or target.id == source.id:
        raise DomainError(_("Choose another run of the same course."), "run_id")
    _refuse_if_closed(target, now, by_admin=True)
    existing = find_enrolment(enrolment.user, target)
    if existing is not None and existing.state in ACTIVE_STATES:
        raise DomainError(
            _("%(name)s is already in that run.", name=enrolment.user.full_name), "run_id"
        )
    _refuse_clash(enrolment.user, target, ignore_run=source)
    if target.seats_left < 1:
        raise DomainError(_("That run is full."), "run_id")
    note = _(
        "Moved to %(city)s, %(day)s", city=target.centre.city, day=format_day(target.first_date)
    )
    cancel_enrolment(enrolment, by, now, note, CancelKind.MOVED)
    moved = enrol(enrolment.user, target, now, by=by)
    if moved.state != EnrolmentState.ENROLLED:  # the last seat went meanwhile
        raise DomainError(_("That run is full."), "run_id")
    return moved


def tell_of_moved_session(session: Session, was: tuple[date, time, time]) -> int:
    """After a session's date or times changed from `was`, tell everyone holding or
    awaiting a place (the holders with an updated invitation); how many were told."""
    if (session.date, session.starts_at, session.ends_at) == was:
        return 0
    waiting = db.session.scalars(
        sa.select(Enrolment)
        .where(
            Enrolment.run_id == session.run_id,
            Enrolment.state.in_((EnrolmentState.ENROLLED, EnrolmentState.PENDING)),
        )
        .options(joinedload(Enrolment.user))
    ).all()
    for enrolment in waiting:
        messages.tell_session_moved(enrolment, session, was)
    return len(waiting)


def cancel_run_and_enrolments(run: Run, by: User, reason: str, now: datetime) -> Run:
    """Cancel a run; everyone in it is told, and their enrolments are kept as cancelled."""
    cancel_run(run, by, reason)
    for enrolment in db.session.scalars(
        sa.select(Enrolment).where(Enrolment.run_id == run.id, Enrolment.state.in_(ACTIVE_STATES))
    ):
        had_place = enrolment.state == EnrolmentState.ENROLLED
        if not _move(
            enrolment,
            EnrolmentState.CANCELLED,
            by,
            reason,
            cancelled_at=now,
            cancelled_by_id=by.id,
            cancel_kind=CancelKind.RUN_CANCELLED,
            cancel_reason=reason,
            waitlisted_at=None,
        ):
            raise _changed_meanwhile()
        messages.tell_run_cancelled(enrolment, reason, had_place)
    run.enrolled_count = 0
    db.session.flush()
    return run


# ---------------------------------------------------------------- pages


@dataclass
class Roster:
    run: Run
    enrolled: list[Enrolment] = field(default_factory=list)
    pending: list[Enrolment] = field(default_factory=list)
    waitlist: list[Enrolment] = field(default_factory=list)
    cancelled: list[Enrolment] = field(default_factory=list)


def roster(run: Run) -> Roster:
    """Everyone who ever enrolled in the run, grouped by state, the waitlist in order."""
    rows = db.session.scalars(
        sa.select(Enrolment)
        .where(Enrolment.run_id == run.id)
        .options(joinedload(Enrolment.user), joinedload(Enrolment.cancelled_by))
        .order_by(Enrolment.waitlisted_at, Enrolment.created_at, Enrolment.id)
    )
    return _grouped(run, rows)


def _grouped(run: Run, rows) -> Roster:
    """The enrolments by state, in the order read; those enrolled by name."""
    result = Roster(run)
    groups = {
        EnrolmentState.ENROLLED: result.enrolled,
        EnrolmentState.PENDING: result.pending,
        EnrolmentState.WAITLISTED: result.waitlist,
        EnrolmentState.CANCELLED: result.cancelled,
    }
    for enrolment in rows:
        groups[enrolment.state].append(enrolment)
    result.enrolled.sort(key=lambda e: e.user.full_name.casefold())
    return result


def roster_page(run: Run, cancelled_page: int = 1, size: int = paging.PAGE_SIZE
                ) -> tuple[Roster, paging.Page]:
    """The roster as its page shows it: everyone enrolled, pending or waitlisted, and
    one page of the cancellations (newest first), the part that only grows."""
    active = db.session.scalars(
        sa.select(Enrolment)
        .where(Enrolment.run_id == run.id, Enrolment.state != EnrolmentState.CANCELLED)
        .options(joinedload(Enrolment.user))
        .order_by(Enrolment.waitlisted_at, Enrolment.created_at, Enrolment.id)
    )
    result = _grouped(run, active)
    cancelled = paging.paginate(
        sa.select(Enrolment)
        .where(Enrolment.run_id == run.id, Enrolment.state == EnrolmentState.CANCELLED)
        .options(joinedload(Enrolment.user), joinedload(Enrolment.cancelled_by))
        .order_by(Enrolment.cancelled_at.desc(), Enrolment.id.desc()),
        cancelled_page, size)
    result.cancelled = cancelled.items
    return result, cancelled


@dataclass
class Dashboard:
    upcoming: list[tuple[Session, Enrolment]]
    current: list[Enrolment]
    past: list[Enrolment]
    positions: dict[int, int]
    progress: dict[int, Progress]


def dashboard(user: User, now: datetime) -> Dashboard:
    """ "My trainings": upcoming sessions, enrolments now and past, in a fixed number of queries."""
    enrolments = list(
        db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.user_id == user.id)
            .options(
                joinedload(Enrolment.run).joinedload(Run.course),
                joinedload(Enrolment.run).joinedload(Run.centre),
                joinedload(Enrolment.run).selectinload(Run.sessions),
            )
            .order_by(Enrolment.id.desc())
        ).unique()
    )
    current, past, upcoming = [], [], []
    for enrolment in enrolments:
        run = enrolment.run
        today = run.today(now)
        finished = run.status == RunStatus.CLOSED or (run.last_date and run.last_date < today)
        if finished and enrolment.state != EnrolmentState.CANCELLED:
            past.append(enrolment)
        elif not finished:
            current.append(enrolment)
        if enrolment.state in SEAT_STATES and run.status == RunStatus.PUBLISHED:
            upcoming += [(s, enrolment) for s in run.sessions if s.date >= today]
    upcoming.sort(key=lambda pair: pair[0].starts)
    return Dashboard(
        upcoming, current, past, waitlist_positions(enrolments), progress_for(enrolments)
    )


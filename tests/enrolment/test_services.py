from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from lms.enrolment import services
from lms.enrolment.models import CancelKind, Enrolment, EnrolmentState
from lms.enrolment.queries import waitlist_positions
from lms.errors import DomainError
from lms.notifications.models import Notification
from tests.conftest import at

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def trainees(make_user):
    return lambda n: [make_user(full_name=f"Trainee {i}") for i in range(n)]


def notices(db, user) -> list[str]:
    return [
        n.kind
        for n in db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    ]


def states(db, run) -> dict[str, str]:
    rows = db.session.scalars(sa.select(Enrolment).where(Enrolment.run_id == run.id))
    return {e.user.full_name: e.state.value for e in rows}


def test_enrol_takes_a_seat_and_sends_a_calendar(db, make_user, make_run):
    # An English run: news to a trainee without a language of their own comes in English.
    run, trainee = make_run(capacity=2, language="en"), make_user()
    enrolment = services.enrol(trainee, run, NOW)
    db.session.commit()
    assert enrolment.state == EnrolmentState.ENROLLED
    assert run.enrolled_count == 1 and run.seats_left == 1
    news = db.session.scalar(sa.select(Notification))
    assert news.kind == "enrolment_enrolled"
    assert run.course.title in news.subject
    assert news.ics.count("BEGIN:VEVENT") == len(run.sessions)
    assert "Sessions:" in news.body


def test_full_run_gives_fifo_waitlist_positions(db, trainees, make_run):
    run = make_run(capacity=1, language="en")
    first, *queue = trainees(4)
    services.enrol(first, run, NOW)
    waitlisted = [services.enrol(t, run, NOW + timedelta(seconds=i)) for i, t in enumerate(queue)]
    db.session.commit()
    assert [e.state for e in waitlisted] == [EnrolmentState.WAITLISTED] * 3
    assert [waitlist_positions(waitlisted)[e.id] for e in waitlisted] == [1, 2, 3]
    assert run.enrolled_count == 1
    assert (
        "number 2 on the waitlist"
        in db.session.scalars(
            sa.select(Notification.body).where(Notification.user_id == queue[1].id)
        ).one()
    )


def test_the_waitlist_position_told_stays_true_when_requests_interleave(
        db, trainees, make_run):
    """Two trainees click at the same moment: Anna's request read the clock first, but
    Béla's got the run first and was told number 1. Anna comes after him in line, is
    told so, and Béla's number 1 stays true (the clock, read before the lock, once put
    Anna ahead of him: both had been told 1)."""
    run = make_run(capacity=1, language="en")
    holder, anna, bela = trainees(3)
    services.enrol(holder, run, NOW)
    anna_clicked, bela_clicked = NOW + timedelta(seconds=1), NOW + timedelta(seconds=2)
    bela_entry = services.enrol(bela, run, bela_clicked)
    db.session.commit()
    anna_entry = services.enrol(anna, run, anna_clicked)  # waited for Béla's lock
    db.session.commit()
    assert (bela_entry.waitlist_position, anna_entry.waitlist_position) == (1, 2)
    assert waitlist_positions([bela_entry, anna_entry]) == {bela_entry.id: 1, anna_entry.id: 2}
    told = dict(db.session.execute(
        sa.select(Notification.user_id, Notification.body).where(
            Notification.user_id.in_([anna.id, bela.id]))).all())
    assert "number 1 on the waitlist" in told[bela.id]
    assert "number 2 on the waitlist" in told[anna.id]
    # The freed seat goes to the one told number 1.
    services.cancel_enrolment(services.find_enrolment(holder, run), holder, NOW)
    db.session.commit()
    assert states(db, run)["Trainee 2"] == "enrolled" and states(db, run)["Trainee 1"] == \
        "waitlisted"


def test_approval_run_holds_the_seat_while_pending(db, make_user, make_run):
    run = make_run(capacity=1, approval_required=True)
    enrolment = services.enrol(make_user(), run, NOW)
    assert enrolment.state == EnrolmentState.PENDING
    assert run.enrolled_count == 1
    late = services.enrol(make_user(), run, NOW)
    assert late.state == EnrolmentState.WAITLISTED


@pytest.mark.parametrize(
    "approval, capacity, first_state",
    [
        (False, 5, EnrolmentState.ENROLLED),
        (True, 5, EnrolmentState.PENDING),
        (False, 1, EnrolmentState.WAITLISTED),
    ],
)
def test_cannot_enrol_twice(db, make_user, make_run, approval, capacity, first_state):
    run = make_run(capacity=capacity, approval_required=approval)
    if first_state == EnrolmentState.WAITLISTED:
        services.enrol(make_user(), run, NOW)
    trainee = make_user()
    assert services.enrol(trainee, run, NOW).state == first_state
    db.session.commit()
    before = (run.enrolled_count, states(db, run))
    with pytest.raises(DomainError) as refused:
        services.enrol(trainee, run, NOW)
    assert "already" in refused.value.message
    assert (run.enrolled_count, states(db, run)) == before


def test_overlapping_runs_are_refused_naming_the_clash(
    db, make_user, make_course, make_run, make_centre
):
    day = NOW.date() + timedelta(days=30)
    trainee = make_user()
    held = make_run(
        course=make_course(title="Adósságkezelés", total_hours=6),
        centre=make_centre(city="Szolnok"),
        sessions=[(day, time(9), time(15), 360)],
    )
    clashing = make_run(
        course=make_course(total_hours=6), sessions=[(day, time(14), time(20), 360)]
    )
    touching = make_run(
        course=make_course(total_hours=6), sessions=[(day, time(15), time(21), 360)]
    )
    services.enrol(trainee, held, NOW)
    with pytest.raises(DomainError) as refused:
        services.enrol(trainee, clashing, NOW)
    assert "Adósságkezelés" in refused.value.message and "Szolnok" in refused.value.message
    assert services.find_enrolment(trainee, clashing) is None
    assert services.enrol(trainee, touching, NOW).state == EnrolmentState.ENROLLED


def test_enrolment_window_and_run_status(db, make_user, make_run):
    trainee, admin = make_user(), make_user(role="admin")
    not_yet = make_run(enrolment_opens=NOW.date() + timedelta(days=3))
    with pytest.raises(DomainError) as refused:
        services.enrol(trainee, not_yet, NOW)
    assert "opens on" in refused.value.message
    closed = make_run(
        enrolment_closes=NOW.date() - timedelta(days=1),
        enrolment_opens=NOW.date() - timedelta(days=9),
    )
    with pytest.raises(DomainError) as refused:
        services.enrol(trainee, closed, NOW)
    assert "closed on" in refused.value.message
    # An administrator may enrol someone outside the window.
    assert services.enrol(trainee, closed, NOW, by=admin).state == EnrolmentState.ENROLLED
    draft = make_run(publish=False)
    with pytest.raises(DomainError):
        services.enrol(trainee, draft, NOW)


def test_started_run_takes_nobody(db, make_user, make_run):
    run = make_run()
    after_start = at(run.first_date, time(10))
    with pytest.raises(DomainError) as refused:
        services.enrol(make_user(), run, after_start, by=make_user(role="admin"))
    assert "already started" in refused.value.message


@pytest.mark.parametrize("role", ["trainer", "admin"])
def test_only_trainees_enrol(db, make_user, make_run, role):
    with pytest.raises(DomainError):
        services.enrol(make_user(role=role), make_run(), NOW)


def test_cancelling_promotes_the_first_on_the_waitlist(db, trainees, make_run):
    run = make_run(capacity=1, language="en")
    holder, first, second, third = trainees(4)
    held = services.enrol(holder, run, NOW)
    queue = [
        services.enrol(t, run, NOW + timedelta(seconds=i))
        for i, t in enumerate((first, second, third))
    ]
    db.session.commit()
    services.cancel_enrolment(held, holder, NOW, "Beteg vagyok")
    db.session.commit()
    assert states(db, run) == {
        "Trainee 0": "cancelled",
        "Trainee 1": "enrolled",
        "Trainee 2": "waitlisted",
        "Trainee 3": "waitlisted",
    }
    assert run.enrolled_count == 1
    assert waitlist_positions(queue) == {queue[1].id: 1, queue[2].id: 2}  # gap-free
    assert notices(db, first)[-1] == "enrolment_enrolled"
    assert (
        "A place opened for you"
        in db.session.scalars(
            sa.select(Notification.subject)
            .where(Notification.user_id == first.id)
            .order_by(Notification.id.desc())
        ).first()
    )
    assert held.cancel_kind == CancelKind.BY_TRAINEE and held.cancel_reason == "Beteg vagyok"


def test_leaving_the_waitlist_closes_the_gap(db, trainees, make_run):
    run = make_run(capacity=1)
    people = trainees(4)
    entries = [services.enrol(t, run, NOW + timedelta(seconds=i)) for i, t in enumerate(people)]
    services.cancel_enrolment(entries[2], people[2], NOW)
    assert run.enrolled_count == 1
    assert waitlist_positions(entries) == {entries[1].id: 1, entries[3].id: 2}


def test_trainee_cannot_cancel_once_the_training_started(db, make_user, make_run):
    run, trainee = make_run(), make_user()
    enrolment = services.enrol(trainee, run, NOW)
    with pytest.raises(DomainError):
        services.cancel_enrolment(enrolment, trainee, at(run.first_date, time(9, 30)))
    assert enrolment.state == EnrolmentState.ENROLLED


def test_admin_cancel_and_refusal_need_a_reason(db, make_user, make_run):
    admin = make_user(role="admin")
    run = make_run(approval_required=True, capacity=1)
    pending = services.enrol(make_user(full_name="Kiss Boglárka"), run, NOW)
    waiting = services.enrol(make_user(full_name="Bíró Péter"), run, NOW)
    with pytest.raises(DomainError) as refused:
        services.refuse(pending, admin, "  ", NOW)
    assert refused.value.field == "reason"
    services.refuse(pending, admin, "Nem a célcsoport tagja", NOW)
    db.session.commit()
    assert pending.state == EnrolmentState.CANCELLED
    assert pending.cancel_kind == CancelKind.REFUSED and pending.cancelled_by == admin
    # The freed seat goes to the waitlist, still subject to approval.
    assert waiting.state == EnrolmentState.PENDING
    assert run.enrolled_count == 1
    services.approve(waiting, admin)
    assert waiting.state == EnrolmentState.ENROLLED
    with pytest.raises(DomainError):
        services.cancel_enrolment(waiting, admin, NOW, "", CancelKind.BY_ADMIN)


def test_capacity_raise_promotes_and_lowering_below_places_is_refused(db, trainees, make_run):
    run = make_run(capacity=2)
    entries = [
        services.enrol(t, run, NOW + timedelta(seconds=i)) for i, t in enumerate(trainees(5))
    ]
    with pytest.raises(DomainError) as refused:
        services.change_capacity(run, 1)
    assert refused.value.field == "capacity" and "2 trainees" in refused.value.message
    promoted = services.change_capacity(run, 4)
    assert [e.id for e in promoted] == [entries[2].id, entries[3].id]
    assert run.enrolled_count == 4 and run.capacity == 4
    assert waitlist_positions(entries) == {entries[4].id: 1}
    services.change_capacity(run, 4)
    assert run.enrolled_count == 4


def test_move_to_another_run_of_the_same_course(db, make_user, make_course, make_run):
    admin, course = make_user(role="admin"), make_course()
    source = make_run(course=course, capacity=1)
    target = make_run(course=course, start=NOW.date() + timedelta(days=60))
    elsewhere = make_run()
    mover, waiting = make_user(), make_user()
    enrolment = services.enrol(mover, source, NOW)
    queued = services.enrol(waiting, source, NOW)
    with pytest.raises(DomainError):
        services.move_enrolment(enrolment, elsewhere, admin, NOW)
    moved = services.move_enrolment(enrolment, target, admin, NOW)
    db.session.commit()
    assert moved.run == target and moved.state == EnrolmentState.ENROLLED
    assert enrolment.state == EnrolmentState.CANCELLED
    assert enrolment.cancel_kind == CancelKind.MOVED
    assert queued.state == EnrolmentState.ENROLLED  # the freed seat was taken at once
    assert (source.enrolled_count, target.enrolled_count) == (1, 1)


def test_move_into_a_full_run_is_refused(db, make_user, make_course, make_run):
    admin, course = make_user(role="admin"), make_course()
    source = make_run(course=course)
    target = make_run(course=course, capacity=1, start=NOW.date() + timedelta(days=60))
    services.enrol(make_user(), target, NOW)
    enrolment = services.enrol(make_user(), source, NOW)
    with pytest.raises(DomainError) as refused:
        services.move_enrolment(enrolment, target, admin, NOW)
    assert refused.value.field == "run_id"


def test_cancelling_a_run_cancels_and_tells_everyone(db, make_user, make_run):
    admin, run = make_user(role="admin"), make_run(capacity=1)
    holder, waiting = make_user(), make_user()
    services.enrol(holder, run, NOW)
    services.enrol(waiting, run, NOW)
    services.cancel_run_and_enrolments(run, admin, "A terem beázott", NOW)
    db.session.commit()
    assert set(states(db, run).values()) == {"cancelled"}
    assert run.enrolled_count == 0
    for person in (holder, waiting):
        assert notices(db, person)[-1] == "run_cancelled"


def test_enrolling_again_after_cancelling_reopens_the_same_row(db, make_user, make_run):
    trainee, run = make_user(), make_run()
    first = services.enrol(trainee, run, NOW)
    services.cancel_enrolment(first, trainee, NOW)
    again = services.enrol(trainee, run, NOW)
    db.session.commit()
    assert again.id == first.id and again.state == EnrolmentState.ENROLLED
    assert [(e.from_state, e.to_state) for e in again.events] == [
        (None, EnrolmentState.ENROLLED),
        (EnrolmentState.ENROLLED, EnrolmentState.CANCELLED),
        (EnrolmentState.CANCELLED, EnrolmentState.ENROLLED),
    ]


def test_a_stale_state_change_is_refused_not_applied(db, make_user, make_run):
    """Two admins act on the same enrolment: the second sees it changed and changes nothing."""
    admin, trainee, run = make_user(role="admin"), make_user(), make_run()
    enrolment = services.enrol(trainee, run, NOW)
    db.session.commit()
    db.session.execute(
        sa.update(Enrolment)
        .where(Enrolment.id == enrolment.id)
        .values(state=EnrolmentState.CANCELLED)  # the other admin's change
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(DomainError) as refused:
        services.cancel_enrolment(enrolment, admin, NOW, "x", CancelKind.BY_ADMIN)
    assert "changed by someone else" in refused.value.message
    assert run.enrolled_count == 1  # no seat was given back twice


def test_on_the_first_days_morning_the_refusal_names_the_last_day_to_enrol(db, make_user,
                                                                          make_run):
    """No closing date: trainees could enrol until the eve of the first session, and the
    refusal on the first day's morning (before the session starts) says so, with the date."""
    day = NOW.date() + timedelta(days=30)
    run = make_run(sessions=[(day, time(15), time(18), 180)]
                   + [(day + timedelta(days=n), time(9), time(16), 420) for n in (1, 2, 3)],
                   enrolment_closes=None)
    morning = at(day, time(9))
    with pytest.raises(DomainError) as refused:
        services.enrol(make_user(), run, morning)
    eve = day - timedelta(days=1)
    assert refused.value.message == (
        f"Enrolment for this run closed on {eve:%b} {eve.day}, {eve.year}."
    )

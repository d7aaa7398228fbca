"""The conditional UPDATEs of enrolment (cancel, approve, refuse, promote from the
waitlist, move) are in the audit log: who, when (UTC), state before → after, why."""

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.enrolment import services
from lms.enrolment.models import Enrolment


def state_changes(db, enrolment_id: int) -> list[tuple]:
    db.session.expire_all()
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity == "Enrolment", AuditEntry.entity_id == enrolment_id)
        .order_by(AuditEntry.seq)
    )
    return [(tuple(e.changes["state"]), e.actor_id, e.reason) for e in entries
            if "state" in e.changes]


def test_a_cancellation_by_an_administrator_is_logged_with_who_and_why(db, world):
    admin = world["users"]["admin"]
    enrolment = db.session.get(Enrolment, world["ids"]["own_enrolment_id"])
    services.cancel_enrolment(enrolment, admin, utcnow(), "Left the organisation",
                              kind=services.CancelKind.BY_ADMIN)
    db.session.commit()
    assert state_changes(db, enrolment.id)[-1] == (
        ("enrolled", "cancelled"), admin.id, "Left the organisation")
    (entry,) = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "Enrolment", AuditEntry.entity_id == enrolment.id,
        AuditEntry.action == "update")).all()[-1:]
    assert entry.changes["cancel_kind"] == [None, "by_admin"]
    assert entry.changes["cancel_reason"] == ["", "Left the organisation"]
    assert abs(entry.at - utcnow()) < timedelta(minutes=1) and entry.at.utcoffset() == timedelta()


def test_approval_and_refusal_are_logged(db, world, make_user, make_run):
    admin = world["users"]["admin"]
    pending = db.session.get(Enrolment, world["ids"]["pending_enrolment_id"])
    services.approve(pending, admin)
    db.session.commit()
    assert state_changes(db, pending.id)[-1] == (("pending", "enrolled"), admin.id, "Approved")

    other = services.enrol(make_user(), pending.run, utcnow())
    db.session.commit()
    services.refuse(other, admin, "Not a social worker", utcnow())
    db.session.commit()
    assert state_changes(db, other.id)[-1] == (
        ("pending", "cancelled"), admin.id, "Not a social worker")


def test_a_cancellation_promotes_the_waitlist_and_both_are_logged(db, make_user, make_run):
    run = make_run(capacity=1)
    first, second = make_user(), make_user()
    seated = services.enrol(first, run, utcnow())
    waiting = services.enrol(second, run, utcnow())
    db.session.commit()
    services.cancel_enrolment(seated, first, utcnow())
    db.session.commit()
    assert state_changes(db, seated.id)[-1] == (("enrolled", "cancelled"), first.id, "")
    # No one asked: the system promoted (outside a request, no person is the actor).
    assert state_changes(db, waiting.id)[-1] == (
        ("waitlisted", "enrolled"), None, "A seat became free.")


def test_a_move_logs_the_cancellation_here_and_the_place_there(db, world, make_run):
    admin = world["users"]["admin"]
    enrolment = db.session.get(Enrolment, world["ids"]["own_enrolment_id"])
    target = make_run(course=enrolment.run.course,
                      start=enrolment.run.first_date + timedelta(days=7))
    moved = services.move_enrolment(enrolment, target, admin, utcnow())
    db.session.commit()
    (states, actor, reason) = state_changes(db, enrolment.id)[-1]
    assert states == ("enrolled", "cancelled") and actor == admin.id
    assert reason.startswith("Moved to ")
    assert state_changes(db, moved.id)[-1][:2] == (("cancelled", "enrolled"), admin.id)


def test_a_lost_race_changes_nothing_and_logs_nothing(db, world):
    """The conditional UPDATE from a state that changed meanwhile matches no row."""
    admin = world["users"]["admin"]
    enrolment = db.session.get(Enrolment, world["ids"]["pending_enrolment_id"])
    db.session.execute(sa.update(Enrolment).where(Enrolment.id == enrolment.id)
                       .values(state="enrolled"))
    db.session.commit()
    logged = len(state_changes(db, enrolment.id))
    set_committed_value(enrolment, "state", services.EnrolmentState.PENDING)  # a stale view
    assert services._move(enrolment, services.EnrolmentState.CANCELLED, admin) is False
    db.session.commit()
    assert len(state_changes(db, enrolment.id)) == logged


def test_a_bulk_update_of_many_rows_logs_each_row(db, make_user, make_run):
    run = make_run()
    enrolments = [services.enrol(make_user(), run, utcnow()) for _ in range(3)]
    db.session.commit()
    db.session.execute(sa.update(Enrolment).where(Enrolment.run_id == run.id)
                       .values(outcome="completed"))
    db.session.commit()
    logged = db.session.scalars(sa.select(AuditEntry.entity_id).where(
        AuditEntry.entity == "Enrolment", AuditEntry.action == "update",
        AuditEntry.changes.is_not(None))).all()
    assert {e.id for e in enrolments} <= set(logged)

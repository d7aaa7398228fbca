"""Removing a session of a draft run that a trainer assignment is narrowed to."""

from datetime import date, time, timedelta

import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.courses.models import Run
from lms.trainers import services
from lms.trainers.models import TrainerAssignment, TrainerRole

DAY = date.today() + timedelta(days=50)


def _draft_with_two_sessions(make_run, make_course):
    return make_run(course=make_course(total_hours=8), publish=False, sessions=[
        (DAY, time(9), time(13), 240), (DAY + timedelta(days=1), time(9), time(13), 240)])


def test_a_session_an_assignment_is_narrowed_to_can_be_removed(
        db, client, auth, make_user, make_run, make_course):
    admin, trainer = make_user(role="admin"), make_user(role="trainer", full_name="Kiss Anna")
    run = _draft_with_two_sessions(make_run, make_course)
    first, second = run.sessions
    narrowed = services.assign_trainer(run, trainer, TrainerRole.CO_TRAINER, [first, second])
    db.session.commit()
    auth.login(admin)
    response = client.submit(f"/manage/sessions/{first.id}/remove", {},
                             page=f"/manage/runs/{run.id}", follow_redirects=True)
    assert response.status_code == 200
    assert "The session is removed." in response.get_data(as_text=True)
    db.session.expire_all()
    assignment = db.session.get(TrainerAssignment, narrowed.id)
    assert [s.id for s in assignment.sessions] == [second.id]
    assert assignment.removed_at is None
    assert [s.id for s in run.sessions] == [second.id]


def test_the_last_session_of_a_narrowed_assignment_marks_it_removed_not_widened(
        db, client, auth, make_user, make_run, make_course):
    admin, trainer = make_user(role="admin"), make_user(role="trainer")
    run = _draft_with_two_sessions(make_run, make_course)
    first, second = run.sessions
    narrowed = services.assign_trainer(run, trainer, TrainerRole.CO_TRAINER, [first])
    db.session.commit()
    auth.login(admin)
    response = client.submit(f"/manage/sessions/{first.id}/remove", {},
                             page=f"/manage/runs/{run.id}", follow_redirects=True)
    assert "The session is removed." in response.get_data(as_text=True)
    db.session.expire_all()
    assignment = db.session.get(TrainerAssignment, narrowed.id)
    assert assignment is not None  # kept, never deleted
    assert assignment.removed_at is not None and assignment.removed_by_id == admin.id
    # not silently widened to the run's other session
    assert services.trainers_of_session(second) == []
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.entity == "TrainerAssignment", AuditEntry.entity_id == narrowed.id,
        AuditEntry.action == "update",
        AuditEntry.actor_id == admin.id)) >= 1


def test_a_published_runs_session_is_not_removed_and_nothing_changes(
        db, client, auth, make_user, make_run, make_course):
    admin, trainer = make_user(role="admin"), make_user(role="trainer")
    run = make_run(course=make_course(total_hours=4),
                   sessions=[(DAY, time(9), time(13), 240)])
    only = run.sessions[0]
    narrowed = services.assign_trainer(run, trainer, TrainerRole.LEAD, [only])
    db.session.commit()
    auth.login(admin)
    response = client.submit(f"/manage/sessions/{only.id}/remove", {},
                             page=f"/manage/runs/{run.id}", follow_redirects=True)
    assert "only while the run is a draft" in response.get_data(as_text=True)
    db.session.expire_all()
    assignment = db.session.get(TrainerAssignment, narrowed.id)
    assert assignment.removed_at is None and [s.id for s in assignment.sessions] == [only.id]


def test_removing_a_session_first_says_what_it_changes_in_hours_and_trainers(
        db, client, auth, make_user, make_run, make_course):
    admin = make_user(role="admin")
    trainer = make_user(role="trainer", full_name="Kiss Anna")
    run = _draft_with_two_sessions(make_run, make_course)
    first, second = run.sessions
    narrowed = services.assign_trainer(run, trainer, TrainerRole.CO_TRAINER, [first])
    db.session.commit()
    first_id, second_id = first.id, second.id
    page = f"/manage/sessions/{first_id}/remove"
    auth.login(make_user(role="trainer"))
    assert client.get(page).status_code == 403
    auth.logout()
    auth.login(admin)
    assert f'href="{page}"' in client.get(f"/manage/runs/{run.id}").get_data(as_text=True)
    confirm = client.get(page).get_data(as_text=True)
    assert "The run then has 1 session, 4 of the course&#39;s 8 hours." in confirm
    assert "1 trainer chosen for this session no longer trains it." in confirm
    assert "1 trainer was chosen for this session alone and is taken off the run" in confirm
    assert "<li>Kiss Anna</li>" in confirm
    db.session.expire_all()
    assert len(db.session.get(Run, run.id).sessions) == 2  # looking changes nothing
    client.submit(page, page=page)
    db.session.expire_all()
    assert [s.id for s in db.session.get(Run, run.id).sessions] == [second_id]
    assert db.session.get(TrainerAssignment, narrowed.id).removed_at is not None
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.entity == "Session", AuditEntry.entity_id == first_id,
        AuditEntry.action == "delete", AuditEntry.actor_id == admin.id)) == 1


def test_a_published_runs_session_offers_no_button_to_remove_it(
        db, client, auth, make_user, make_run, make_course):
    auth.login(make_user(role="admin"))
    run = make_run(course=make_course(total_hours=4), sessions=[(DAY, time(9), time(13), 240)])
    page = f"/manage/sessions/{run.sessions[0].id}/remove"
    confirm = client.get(page).get_data(as_text=True)
    assert "only while the run is a draft" in confirm and f'action="{page}"' not in confirm

from datetime import date, time, timedelta

import pytest

from lms.errors import DomainError
from lms.trainers import services
from lms.trainers.models import TrainerRole

DAY = date.today() + timedelta(days=40)


@pytest.fixture
def trainer(make_user):
    return make_user(role="trainer", full_name="Nagy Eszter")


def one_day_run(make_run, make_course, make_centre, start, end, city="Szolnok", title=None):
    return make_run(course=make_course(total_hours=(end - start), title=title or f"Course {city}"),
                    centre=make_centre(city=city),
                    sessions=[(DAY, time(start), time(end), (end - start) * 60)])


def test_assigning_a_clashing_trainer_is_refused_naming_run_and_session(
        db, trainer, make_run, make_course, make_centre):
    held = one_day_run(make_run, make_course, make_centre, 9, 13, "Debrecen", "Adósságkezelés")
    clashing = one_day_run(make_run, make_course, make_centre, 12, 16, "Pécs")
    services.assign_trainer(held, trainer, TrainerRole.LEAD)
    with pytest.raises(DomainError) as refused:
        services.assign_trainer(clashing, trainer, TrainerRole.CO_TRAINER)
    message = refused.value.message
    assert "Nagy Eszter" in message and "Adósságkezelés" in message and "Debrecen" in message
    assert "09:00" in message
    assert services.run_assignments(clashing) == []


def test_sessions_that_only_touch_do_not_clash(db, trainer, make_run, make_course, make_centre):
    morning = one_day_run(make_run, make_course, make_centre, 9, 12)
    afternoon = one_day_run(make_run, make_course, make_centre, 12, 15)
    services.assign_trainer(morning, trainer, TrainerRole.LEAD)
    assert services.assign_trainer(afternoon, trainer, TrainerRole.LEAD).run == afternoon


def test_narrowing_to_some_sessions_avoids_the_clash(db, trainer, make_run, make_course):
    course = make_course(total_hours=8)
    two_days = make_run(course=course, sessions=[
        (DAY, time(9), time(13), 240), (DAY + timedelta(days=1), time(9), time(13), 240)])
    other = make_run(course=make_course(total_hours=4),
                     sessions=[(DAY, time(10), time(14), 240)])
    services.assign_trainer(other, trainer, TrainerRole.LEAD)
    with pytest.raises(DomainError):
        services.assign_trainer(two_days, trainer, TrainerRole.CO_TRAINER)
    second_day = two_days.sessions[1]
    assignment = services.assign_trainer(two_days, trainer, TrainerRole.CO_TRAINER, [second_day])
    assert services.covered_sessions(assignment) == [second_day]
    assert services.trainers_of_session(two_days.sessions[0]) == []


def test_moving_a_session_onto_the_trainers_other_session_is_refused(
        db, trainer, make_run, make_course, make_centre):
    first = one_day_run(make_run, make_course, make_centre, 9, 12, "Eger")
    second = one_day_run(make_run, make_course, make_centre, 13, 16, "Győr")
    services.assign_trainer(first, trainer, TrainerRole.LEAD)
    services.assign_trainer(second, trainer, TrainerRole.LEAD)
    session = second.sessions[0]
    with pytest.raises(DomainError) as refused:
        services.save_session(second, session, day=DAY, starts_at=time(11), ends_at=time(14),
                              minutes=180, topic="")
    assert "Eger" in refused.value.message and refused.value.field == "starts_at"
    assert session.starts_at == time(13)
    services.save_session(second, session, day=DAY, starts_at=time(12), ends_at=time(15),
                          minutes=180, topic="")
    assert session.starts_at == time(12)


def test_only_active_trainer_accounts_can_be_assigned(db, make_user, make_run):
    with pytest.raises(DomainError) as refused:
        services.assign_trainer(make_run(), make_user(role="trainee"), TrainerRole.LEAD)
    assert refused.value.field == "trainer_id"


def test_cancelled_runs_do_not_book_a_trainer(db, trainer, make_user, make_run, make_course,
                                              make_centre):
    from lms.courses.services import cancel_run

    gone = one_day_run(make_run, make_course, make_centre, 9, 13)
    services.assign_trainer(gone, trainer, TrainerRole.LEAD)
    cancel_run(gone, make_user(role="admin"), "Elmarad")
    other = one_day_run(make_run, make_course, make_centre, 9, 13)
    assert services.assign_trainer(other, trainer, TrainerRole.LEAD).run == other


def test_a_removed_trainer_is_kept_on_record_but_holds_nothing(
        db, trainer, make_user, make_run, make_course, make_centre):
    admin = make_user(role="admin", full_name="Admin Anna")
    held = one_day_run(make_run, make_course, make_centre, 9, 13, "Győr")
    other = one_day_run(make_run, make_course, make_centre, 10, 14, "Eger")
    assignment = services.assign_trainer(held, trainer, TrainerRole.LEAD)
    services.remove_assignment(assignment, admin)
    db.session.commit()

    assert services.run_assignments(held) == []
    assert services.run_assignments(held, removed=True) == [assignment]
    assert assignment.removed_by == admin and assignment.removed_at is not None
    assert not services.is_trainer_of(trainer, held.sessions[0])
    assert not services.is_trainer_of_run(trainer, held)
    assert services.assign_trainer(other, trainer, TrainerRole.LEAD).run == other  # no clash

    services.remove_assignment(services.run_assignments(other)[0], admin)
    again = services.assign_trainer(held, trainer, TrainerRole.CO_TRAINER)
    assert again.id == assignment.id and again.removed_at is None and again.removed_by is None
    assert services.run_assignments(held, removed=True) == []


def test_the_trainers_page_lists_who_was_taken_off_and_by_whom(
        client, auth, db, trainer, make_user, make_run, make_course, make_centre):
    admin = make_user(role="admin", full_name="Admin Anna")
    run = one_day_run(make_run, make_course, make_centre, 9, 13, "Pécs")
    assignment = services.assign_trainer(run, trainer, TrainerRole.LEAD)
    db.session.commit()
    auth.login(admin)
    page = f"/manage/runs/{run.id}/trainers"
    remove = f"/manage/assignments/{assignment.id}/remove"
    assert f'href="{remove}"' in client.get(page).get_data(as_text=True)
    confirm = client.get(remove).get_data(as_text=True)  # first what it does, in numbers
    assert f"{trainer.full_name} no longer trains 1 session of this run" in confirm
    assert "1 session is then left without a trainer." in confirm
    db.session.refresh(assignment)
    assert assignment.removed_at is None
    response = client.submit(remove, {}, page=remove)
    assert response.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "Taken off this run" in html and "by Admin Anna" in html and "Nagy Eszter" in html
    assert db.session.get(type(assignment), assignment.id) is not None
    again = client.submit(f"/manage/assignments/{assignment.id}/remove", {}, page=page)
    assert again.status_code == 404

"""The administrator's journeys through the back office, as forms in a browser."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.clock import utcnow
from lms.courses.models import Centre, Course, Run, RunStatus
from lms.enrolment.services import enrol

DAY = date.today() + timedelta(days=40)


@pytest.fixture
def admin(auth, make_user):
    user = make_user(role=Role.ADMIN, full_name="Kovács Anna")
    auth.login(user)
    return user


def text(response) -> str:
    return response.get_data(as_text=True)


CENTRE = {
    "name": "Szolnoki Módszertani Forrásközpont",
    "city": "Szolnok",
    "region": "Jász-Nagykun-Szolnok",
    "country": "HU",
    "time_zone": "",  # the country's
    "address": "Kossuth tér 1.",
    "signatory_name": "Dr. Tóth Gábor",
    "signatory_title": "igazgató",
    "serial_prefix": "szo",
    "active": "y",
}


def test_admin_adds_and_edits_a_centre(client, db, admin):
    response = client.submit("/manage/centres/new", CENTRE, follow_redirects=True)
    assert "Szolnoki Módszertani Forrásközpont" in text(response)
    centre = db.session.scalar(sa.select(Centre))
    assert centre.serial_prefix == "SZO"
    response = client.submit(
        f"/manage/centres/{centre.id}/edit", dict(CENTRE, city="Szolnok-Szanda")
    )
    assert response.status_code == 302
    db.session.refresh(centre)
    assert centre.city == "Szolnok-Szanda"


def test_centre_form_errors_stand_next_to_the_field(client, db, admin, make_centre):
    make_centre(serial_prefix="SZO")
    html = text(client.submit("/manage/centres/new", dict(CENTRE, serial_prefix="SZ0!")))
    assert 'id="serial_prefix-error"' in html and "two to six letters" in html
    html = text(client.submit("/manage/centres/new", CENTRE))
    assert 'id="serial_prefix-error"' in html and "already uses this certificate prefix" in html
    assert db.session.scalar(sa.select(sa.func.count(Centre.id))) == 1


COURSE = {
    "code": "kf-24-9",
    "title": "Közösségfejlesztés a gyakorlatban",
    "summary": "Helyi közösségek",
    "description": "",
    "total_hours": "24",
    "target_group": "Szociális munkások",
    "accreditation_number": "",
    "credit_points": "",
    "language": "hu",
    "modules-0-title": "Alapok",
    "modules-0-hours": "8",
    "modules-1-title": "Módszerek",
    "modules-1-hours": "15.5",
    "modules-2-title": "Zárás",
    "modules-2-hours": "0.5",
}


def test_admin_creates_a_course_with_modules(client, db, admin):
    response = client.submit("/manage/courses/new", COURSE, page="/manage/courses/new")
    assert response.status_code == 302
    course = db.session.scalar(sa.select(Course))
    assert course.code == "KF-24-9"
    assert [(m.title, str(m.hours)) for m in course.modules] == [
        ("Alapok", "8"),
        ("Módszerek", "15.5"),
        ("Zárás", "0.5"),
    ]
    html = text(client.get(f"/manage/courses/{course.id}/edit"))
    assert 'value="Módszerek"' in html and 'value="15.5"' in html


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"total_hours": "0"}, "total_hours", "whole number from 1 to 1000"),
        ({"modules-1-hours": "15.3"}, "modules-1-hours", "quarter hours"),
        ({"modules-1-hours": "40"}, None, "more than the course"),
        ({"code": "a b"}, "code", "letters, digits"),
    ],
)
def test_bad_course_input_is_refused_with_a_message(client, db, admin, changes, field, message):
    html = text(client.submit("/manage/courses/new", dict(COURSE, **changes)))
    assert message in html
    if field:
        assert 'aria-invalid="true"' in html
    assert db.session.scalar(sa.select(sa.func.count(Course.id))) == 0


def _run_form(course, centre, **changes):
    data = {
        "course_id": str(course.id),
        "centre_id": str(centre.id),
        "venue": "Kossuth tér 1.",
        "capacity": "20",
        "enrolment_opens": "",
        "enrolment_closes": (DAY - timedelta(days=3)).isoformat(),
        "min_attendance_pct": "90",
        "language": "hu",
        "certificate_style": "tanusitvany",
        "registration_number": "",
        "funding_note": "",
    }
    data.update(changes)
    return data


def _session(day, start="09:00", end="15:00", hours="", topic="Alapok"):
    return {
        "date": day.isoformat(),
        "starts_at": start,
        "ends_at": end,
        "hours": hours,
        "topic": topic,
        "room": "Nagyterem",
    }


def test_admin_schedules_and_publishes_a_run(client, db, admin, make_course, make_centre):
    course, centre = make_course(total_hours=24, title="Részvételi tervezés"), make_centre()
    response = client.submit("/manage/runs/new", _run_form(course, centre))
    assert response.status_code == 302
    run = db.session.scalar(sa.select(Run))
    page = f"/manage/runs/{run.id}"
    assert "The run cannot be published yet" in text(client.get(page))

    for offset in range(3):
        client.submit(f"{page}/sessions", _session(DAY + timedelta(days=offset)), page=page)
    html = text(client.get(page))
    assert "The sessions add up to 18 hours; the course needs 24." in html

    clash = client.submit(f"{page}/sessions", _session(DAY, "14:00", "16:00"), page=page)
    assert 'id="starts_at-error"' in text(clash) and "overlaps the session" in text(clash)
    backwards = client.submit(f"{page}/sessions", _session(DAY, "16:00", "10:00"), page=page)
    assert 'id="ends_at-error"' in text(backwards)

    client.submit(f"{page}/sessions", _session(DAY + timedelta(days=3)), page=page)
    assert "The schedule is complete" in text(client.get(page))
    response = client.submit(f"{page}/publish", page=page, follow_redirects=True)
    assert "The run is published" in text(response)
    db.session.refresh(run)
    assert run.status == RunStatus.PUBLISHED
    assert "Részvételi tervezés" in text(client.get("/"))


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"capacity": "0"}, "capacity", "Capacity must be at least 1."),
        ({"capacity": ""}, "capacity", "Enter the number of places."),
        (
            {"enrolment_opens": (DAY - timedelta(days=2)).isoformat()},
            "enrolment_closes",
            "on or after the day it opens",
        ),
        ({"min_attendance_pct": "120"}, "min_attendance_pct", "from 1 to 100"),
    ],
)
def test_bad_run_input_changes_nothing(
    client, db, admin, make_course, make_centre, changes, field, message
):
    html = text(
        client.submit("/manage/runs/new", _run_form(make_course(), make_centre(), **changes))
    )
    assert f'id="{field}-error"' in html and message in html
    assert db.session.scalar(sa.select(sa.func.count(Run.id))) == 0


def test_window_closing_after_first_session_is_refused(client, db, admin, make_run):
    run = make_run(publish=False)
    data = _run_form(run.course, run.centre, enrolment_closes=run.first_date.isoformat())
    html = text(client.submit(f"/manage/runs/{run.id}/edit", data))
    assert 'id="enrolment_closes-error"' in html and "before the first session" in html
    db.session.refresh(run)
    assert run.enrolment_closes < run.first_date


def test_admin_cancels_a_run_with_a_reason(client, db, admin, make_run, make_user):
    run = make_run(capacity=1)
    for trainee in (make_user(), make_user()):
        enrol(trainee, run, utcnow())
    db.session.commit()
    page = f"/manage/runs/{run.id}"
    assert f'href="{page}/cancel"' in text(client.get(page))
    # First what it will do, in numbers; looking changes nothing.
    confirm = text(client.get(f"{page}/cancel"))
    assert "1 trainee with a place is told by e-mail" in confirm
    assert "0 trainees awaiting approval are told by e-mail." in confirm
    assert "1 trainee on the waitlist is told by e-mail." in confirm
    assert 'name="reason"' in confirm and f'action="{page}/cancel"' in confirm
    db.session.refresh(run)
    assert run.status == RunStatus.PUBLISHED
    html = text(client.submit(f"{page}/cancel", {"reason": ""}, page=f"{page}/cancel"))
    assert 'id="reason-error"' in html and "1 trainee on the waitlist" in html
    db.session.refresh(run)
    assert run.status == RunStatus.PUBLISHED
    response = client.submit(
        f"{page}/cancel", {"reason": "Az oktató megbetegedett"}, page=f"{page}/cancel",
        follow_redirects=True
    )
    assert "Az oktató megbetegedett" in text(response)
    assert "everyone in it is told by e-mail" in text(response)
    assert "Only a draft or published run can be cancelled." in text(client.get(f"{page}/cancel"))
    assert "Kovács Anna" in text(response)
    db.session.refresh(run)
    assert run.status == RunStatus.CANCELLED
    assert run.course.title not in text(client.get("/"))


def test_session_of_a_published_run_can_be_moved(client, db, admin, make_run):
    run = make_run()
    session = run.sessions[0]
    later = run.last_date + timedelta(days=7)
    response = client.submit(
        f"/manage/sessions/{session.id}/edit",
        _session(later, hours=str(session.hours), topic="Áthelyezve"),
    )
    assert response.status_code == 302
    db.session.refresh(session)
    assert (session.date, session.topic) == (later, "Áthelyezve")
    html = text(
        client.submit(f"/manage/sessions/{session.id}/edit", _session(later, hours="2", topic="x"))
    )
    assert 'id="hours-error"' in html


def test_admin_creates_a_trainer_who_can_log_in(client, auth, db, admin):
    response = client.submit(
        "/manage/users/new",
        {
            "full_name": "Nagy Péter",
            "email": "Nagy.Peter@forras.example",
            "role": "trainer",
            "password": "trainer password 1",
            "organisation": "",
            "job_title": "",
            "county": "",
            "settlement": "",
            "phone": "",
        },
    )
    assert response.status_code == 302
    trainer = db.session.scalar(sa.select(User).where(User.full_name == "Nagy Péter"))
    assert trainer.role == Role.TRAINER
    auth.logout()
    assert auth.login("nagy.peter@forras.example", "trainer password 1").status_code == 302
    assert client.get("/manage/").status_code == 403


def test_admin_deactivates_someone_but_not_themself(client, auth, db, admin, make_user):
    trainee = make_user()
    form = {
        "full_name": trainee.full_name,
        "role": "trainee",
        "organisation": "",
        "job_title": "",
        "county": "",
        "settlement": "",
        "phone": "",
    }  # active unticked
    assert client.submit(f"/manage/users/{trainee.id}/edit", form).status_code == 302
    db.session.refresh(trainee)
    assert trainee.active is False
    html = text(
        client.submit(
            f"/manage/users/{admin.id}/edit", dict(form, full_name="Kovács Anna", role="trainer")
        )
    )
    assert 'id="role-error"' in html
    db.session.refresh(admin)
    assert admin.role == Role.ADMIN and admin.active

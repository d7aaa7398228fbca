"""Numbers and dates no person means, in form fields: a message next to the field,
nothing saved, never a 500 (and never a page broken for good afterwards)."""

import pytest
import sqlalchemy as sa

from lms.courses.models import Session

DATES = ["0001-01-01", "0000-01-01", "9999-12-31", "1899-12-31", "2201-01-01"]
NUMBERS = ["NaN", "nan", "inf", "-Infinity", "1e999", "99999999999999999999"]


@pytest.fixture
def admin(make_user):
    return make_user(role="admin")


def _session_form(**changes):
    return {"date": "2030-03-04", "starts_at": "09:00", "ends_at": "13:00", "hours": "",
            "topic": "Budgeting", "room": "", **changes}


def _sessions(db, run):
    return db.session.scalar(sa.select(sa.func.count(Session.id)).where(Session.run_id == run.id))


@pytest.mark.parametrize("day", DATES)
def test_a_session_date_at_the_edge_of_the_calendar_is_refused_next_to_the_field(
        db, client, auth, admin, make_run, day):
    run = make_run(publish=False)
    before = _sessions(db, run)
    auth.login(admin)
    response = client.submit(f"/manage/runs/{run.id}/sessions", _session_form(date=day),
                             page=f"/manage/runs/{run.id}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Enter a date between 1900 and 2200." in body or "Not a valid date value" in body
    assert _sessions(db, run) == before
    assert client.get(f"/manage/runs/{run.id}").status_code == 200


@pytest.mark.parametrize("hours", NUMBERS)
def test_credited_hours_that_are_no_number_are_refused_next_to_the_field(
        db, client, auth, admin, make_run, hours):
    run = make_run(publish=False)
    before = _sessions(db, run)
    auth.login(admin)
    response = client.submit(f"/manage/runs/{run.id}/sessions", _session_form(hours=hours),
                             page=f"/manage/runs/{run.id}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert ("Enter a number." in body or "This number is too large." in body
            or "Credited hours must be 0.25 to 24." in body or "Not a valid decimal" in body)
    assert _sessions(db, run) == before


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_an_enrolment_window_at_the_edge_of_the_calendar_is_refused(
        db, client, auth, admin, make_run, day):
    run = make_run(publish=False)
    auth.login(admin)
    page = client.get(f"/manage/runs/{run.id}/edit").get_data(as_text=True)
    assert "enrolment_closes" in page
    response = client.submit(f"/manage/runs/{run.id}/edit", {
        "course_id": run.course_id, "centre_id": run.centre_id, "capacity": "20",
        "venue": "Hall", "enrolment_closes": day, "min_attendance_pct": "90",
        "certificate_style": run.certificate_style.value})
    assert response.status_code == 200
    assert "Enter a date between 1900 and 2200." in response.get_data(as_text=True)
    db.session.expire_all()
    assert run.enrolment_closes is None or run.enrolment_closes.year in range(1900, 2201)


@pytest.mark.parametrize("value", ["NaN", "twelve", "1e999"])
def test_a_number_that_cannot_be_read_gets_one_message_not_three(
        db, client, auth, admin, make_run, value):
    run = make_run(publish=False)
    capacity = run.capacity
    auth.login(admin)
    response = client.submit(f"/manage/runs/{run.id}/edit", {
        "course_id": run.course_id, "centre_id": run.centre_id, "capacity": value,
        "venue": "Hall", "min_attendance_pct": "90",
        "certificate_style": run.certificate_style.value})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Not a valid integer value." in body
    assert "Capacity must be at least 1." not in body
    assert "This number is too large." not in body
    db.session.expire_all()
    assert run.capacity == capacity

""""Add to calendar": a run's sessions as an .ics file, for anyone who may see the run."""

from datetime import date, time, timedelta

import pytest

from lms.clock import utcnow
from lms.enrolment import services as enrolments
from lms.trainers.models import TrainerRole
from lms.trainers.services import assign_trainer
from tests.conftest import at, parse_ics

DAY = date(2027, 5, 4)


@pytest.fixture
def razgrad(make_centre):
    return make_centre(country="BG", city="Razgrad", address="ul. Bely Lom 40")


def test_a_published_run_downloads_as_a_calendar(client, make_course, make_run, razgrad):
    run = make_run(course=make_course(total_hours=8, code="raz/01 x"), centre=razgrad,
                   sessions=[(DAY, time(8, 30), time(17), 480)])
    response = client.get(f"/runs/{run.id}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename=RAZ-01-X-2027-05-04.ics'
    calendar = parse_ics(response.get_data(as_text=True))
    assert str(calendar["METHOD"]) == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "Europe/Sofia"
    assert event.decoded("DTSTART").time() == time(8, 30)
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Europe/Sofia"]


def test_a_closed_run_stays_downloadable(client, certificate_world):
    response = client.get(f"/runs/{certificate_world['ids']['closed_run_id']}/calendar.ics")
    assert response.status_code == 200
    assert parse_ics(response.get_data(as_text=True)).walk("VEVENT")


@pytest.mark.parametrize("status", ["draft", "cancelled"])
def test_drafts_and_cancelled_runs_only_for_their_administrators(
    db, client, auth, make_user, make_centre, make_run, status
):
    run = make_run(publish=status != "draft")
    if status == "cancelled":
        enrolments.cancel_run_and_enrolments(run, make_user(role="admin"), "No trainer",
                                             utcnow())
        db.session.commit()
    url = f"/runs/{run.id}/calendar.ics"

    def scoped_admin(centre_id):
        admin = make_user(role="admin")
        admin.centre_id = centre_id
        db.session.commit()
        return admin

    assert client.get(url).status_code == 404  # a visitor
    trainee = make_user()
    auth.login(trainee)
    assert client.get(url).status_code == 404
    auth.logout()
    auth.login(scoped_admin(make_centre().id))
    assert client.get(url).status_code == 404  # another centre's administrator
    auth.logout()
    auth.login(scoped_admin(run.centre_id))
    assert client.get(url).status_code == 200
    auth.logout()
    auth.login(make_user(role="admin"))  # the network's
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("path", [
    "/runs/99999999999999999999/calendar.ics",
    "/runs/2147483648/calendar.ics",
    "/runs/0/calendar.ics",
    "/runs/-1/calendar.ics",
    "/runs/abc/calendar.ics",
    "/runs/1.5/calendar.ics",
])
def test_nonsense_run_ids_are_404(client, path):
    assert client.get(path).status_code == 404


def test_the_link_is_on_the_course_page(client, make_run):
    run = make_run()
    page = client.get(f"/courses/{run.course.code}").get_data(as_text=True)
    assert f'href="/runs/{run.id}/calendar.ics"' in page
    assert "Add to calendar (.ics)" in page


def test_the_link_is_on_each_of_the_trainees_trainings(db, client, auth, make_user, make_run):
    trainee = make_user()
    mine = make_run()
    past = make_run(start=date.today() - timedelta(days=20))
    enrolments.enrol(trainee, mine, utcnow())
    enrolments.enrol(trainee, past, at(date.today() - timedelta(days=40)))
    left = make_run(start=date.today() + timedelta(days=60))
    enrolments.cancel_enrolment(enrolments.enrol(trainee, left, utcnow()), trainee, utcnow())
    db.session.commit()
    auth.login(trainee)
    page = client.get("/my/").get_data(as_text=True)
    assert f'href="/runs/{mine.id}/calendar.ics"' in page
    assert f'href="/runs/{past.id}/calendar.ics"' in page
    assert f'href="/runs/{left.id}/calendar.ics"' not in page  # no place there any more


def test_the_link_is_on_each_run_of_the_trainers_sessions_page(db, client, auth, make_user,
                                                               make_run):
    trainer = make_user(role="trainer")
    taught = make_run()
    assign_trainer(taught, trainer, TrainerRole.LEAD)
    other = make_run(start=date.today() + timedelta(days=60))
    db.session.commit()
    auth.login(trainer)
    page = client.get("/trainer/sessions").get_data(as_text=True)
    assert f'href="/runs/{taught.id}/calendar.ics"' in page
    assert f'href="/runs/{other.id}/calendar.ics"' not in page

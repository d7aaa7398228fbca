"""An administrator scoped to one centre sees and changes only that centre's records."""

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from lms.attendance.models import AttendanceStatus
from lms.attendance.services import MarkInput, close_run, mark_session
from lms.auth.models import User
from lms.certificates.services import issue_certificate
from lms.courses.models import Run
from lms.enrolment.services import enrol
from tests.conftest import at


@pytest.fixture
def two_centres(db, make_user, make_centre, make_course, make_run):
    home, away = make_centre(city="Razgrad"), make_centre(city="Debrecen")
    course = make_course(total_hours=6, accreditation_number="T-02-017/2026", credit_points=6)
    day = date.today() - timedelta(days=3)
    runs = {}
    for name, centre in (("home", home), ("away", away)):
        run = make_run(course=course, centre=centre, sessions=[(day, time(9), time(15), 360)])
        admin = make_user(role="admin")
        enrolment = enrol(make_user(), run, at(day - timedelta(days=5), time(8)), by=admin)
        mark_session(
            run.sessions[0], [MarkInput(enrolment.id, AttendanceStatus.PRESENT)], admin, at(day)
        )
        close_run(run, admin)
        certificate = issue_certificate(enrolment, admin, date.today())
        runs[name] = {
            "run": run.id,
            "session": run.sessions[0].id,
            "enrolment": enrolment.id,
            "certificate": certificate.id,
        }
    upcoming = make_run(course=course, centre=away)
    runs["away_upcoming"] = upcoming.id
    scoped = make_user(role="admin", email="scoped@example.org")
    scoped.centre_id = home.id
    db.session.commit()
    return scoped, home, away, runs


PAGES = (
    "/manage/runs/{run}",
    "/manage/runs/{run}/roster",
    "/manage/runs/{run}/roster.csv",
    "/runs/{run}/register",
    "/runs/{run}/register.xlsx",
    "/manage/runs/{run}/certificates",
    "/manage/runs/{run}/certificates.pdf",
    "/manage/runs/{run}/accredited-participants.xlsx",
    "/manage/runs/{run}/accredited-participants.pdf",
    "/manage/runs/{run}/trainers",
    "/sessions/{session}/attendance",
    "/sessions/{session}/sign-in-sheet.pdf",
    "/certificates/{certificate}.pdf",
    "/manage/certificates/{certificate}/revoke",
    "/manage/runs/{run}/cancel",
)


def test_own_centre_yes_other_centre_not_even_its_existence(client, auth, two_centres):
    scoped, _home, _away, runs = two_centres
    auth.login(scoped)
    for page in PAGES:
        assert client.get(page.format(**runs["home"])).status_code == 200, page
        assert client.get(page.format(**runs["away"])).status_code == 404, page
    revoke = client.submit(
        f"/manage/certificates/{runs['away']['certificate']}/revoke",
        {"reason": "x"},
        page="/manage/runs/",
    )
    assert revoke.status_code == 404
    pack = client.submit(f"/manage/runs/{runs['away']['run']}/evidence-pack-job", {},
                         page="/manage/runs/")
    assert pack.status_code == 404


def test_lists_show_only_the_own_centre(client, auth, two_centres):
    scoped, home, away, runs = two_centres
    auth.login(scoped)
    html = client.get("/manage/runs/").get_data(as_text=True)
    assert f'/manage/runs/{runs["home"]["run"]}"' in html
    assert f'/manage/runs/{runs["away"]["run"]}"' not in html
    form = client.get("/manage/runs/new").get_data(as_text=True)
    assert f'value="{home.id}"' in form and f'value="{away.id}"' not in form
    roster = client.get(f"/manage/runs/{runs['home']['run']}/roster").get_data(as_text=True)
    assert f'value="{runs["away_upcoming"]}"' not in roster  # no move to another centre


def test_a_run_for_another_centre_cannot_be_created(client, auth, db, two_centres):
    scoped, _home, away, _runs = two_centres
    auth.login(scoped)
    before = db.session.scalar(sa.select(sa.func.count(Run.id)))
    html = client.submit(
        "/manage/runs/new", {"centre_id": str(away.id), "capacity": "10"}
    ).get_data(as_text=True)
    assert 'id="centre_id-error"' in html
    assert db.session.scalar(sa.select(sa.func.count(Run.id))) == before


@pytest.mark.parametrize(
    "page", ["/manage/centres/", "/manage/courses/", "/manage/users/", "/manage/audit"]
)
def test_network_pages_are_for_network_admins(client, auth, make_user, two_centres, page):
    scoped, *_rest = two_centres
    auth.login(scoped)
    assert client.get(page).status_code == 403
    auth.logout()
    auth.login(make_user(role="admin"))
    assert client.get(page).status_code == 200


def test_a_network_admin_scopes_another_admin(client, auth, db, make_user, two_centres):
    _scoped, home, _away, _runs = two_centres
    other = make_user(role="admin")
    auth.login(make_user(role="admin"))
    page = f"/manage/users/{other.id}/edit"
    html = client.get(page).get_data(as_text=True)
    assert "The whole network" in html
    data = {"full_name": other.full_name, "role": "admin", "centre_id": str(home.id), "active": "y"}
    assert client.submit(page, data).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, other.id).centre_id == home.id
    client.submit(page, dict(data, role="trainer"))
    db.session.expire_all()
    assert db.session.get(User, other.id).centre_id is None  # only admins are scoped

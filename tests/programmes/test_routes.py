"""Funding programmes: a network administrator records one; runs are put in it; its
acknowledgement is what their certificates print."""

import io
from datetime import date

import sqlalchemy as sa
from pypdf import PdfReader

from lms.audit.models import AuditEntry
from lms.certificates import services as certificates
from lms.courses.models import Run
from lms.programmes.models import Programme

FORM = {
    "code": "TÁMOP-5.1.3-09/1", "name": "Szociális szakemberek továbbképzése",
    "funder": "Európai Szociális Alap", "starts_on": "2026-01-01", "ends_on": "2027-12-31",
    "acknowledgement_hu": "A képzés az ESZA támogatásával valósult meg.",
    "acknowledgement_bg": "", "acknowledgement_en": "Supported by the ESF.",
    "asks_participant_data": "y", "target_participants": "120", "target_completions": "100",
    "target_hours": "", "target_long_runs": "2", "target_short_runs": "3", "active": "y",
}


def test_a_network_administrator_records_a_programme(client, auth, db, make_user):
    admin = make_user(role="admin")
    auth.login(admin)
    response = client.submit("/manage/programmes/new", FORM, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "The programme TÁMOP-5.1.3-09/1 is saved." in page
    assert "Szociális szakemberek továbbképzése" in page
    programme = db.session.scalar(sa.select(Programme))
    assert (programme.target_participants, programme.target_hours,
            programme.target_short_runs) == (120, None, 3)
    assert programme.acknowledgement("bg") == "Supported by the ESF."  # English stands in
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "Programme"))
    assert (entry.action, entry.actor_id) == ("create", admin.id)


def test_a_period_ending_before_it_starts_is_refused_next_to_the_field(client, auth, db,
                                                                       make_user):
    auth.login(make_user(role="admin"))
    response = client.submit("/manage/programmes/new", FORM | {"ends_on": "2025-12-31"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The period must end on or after the day it starts." in page
    assert db.session.scalar(sa.select(sa.func.count(Programme.id))) == 0


def test_the_code_is_unique_whatever_its_case(client, auth, db, make_user, make_programme):
    make_programme(code="ESF-1")
    auth.login(make_user(role="admin"))
    response = client.submit("/manage/programmes/new", FORM | {"code": "esf-1"})
    assert "Another programme already has this code." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Programme.id))) == 1


def test_hostile_targets_are_refused_not_stored(client, auth, db, make_user):
    auth.login(make_user(role="admin"))
    for value in ("NaN", "-1", "99999999999", "1e9", "3\x00"):
        response = client.submit("/manage/programmes/new", FORM | {"target_hours": value})
        assert response.status_code == 200, value
    response = client.submit("/manage/programmes/new", FORM | {"starts_on": "9999-01-01"})
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Programme.id))) == 0


def test_a_centre_administrator_sees_programmes_but_cannot_change_them(
        client, auth, db, make_user, make_centre, make_programme):
    programme = make_programme()
    scoped = make_user(role="admin")
    scoped.centre_id = make_centre().id
    db.session.commit()
    auth.login(scoped)
    page = client.get("/manage/programmes/").get_data(as_text=True)
    assert programme.code in page and "/manage/programmes/new" not in page
    assert client.get(f"/manage/programmes/{programme.id}/edit").status_code == 403


def test_a_run_put_in_a_programme_prints_its_acknowledgement_in_the_runs_language(
        client, auth, db, make_user, make_run, make_programme):
    programme = make_programme()
    run = make_run(publish=False, language="bg", funding_note="Own note")
    admin = make_user(role="admin")
    auth.login(admin)
    edit = client.get(f"/manage/runs/{run.id}/edit").get_data(as_text=True)
    assert programme.code in edit
    data = {
        "course_id": run.course_id, "centre_id": run.centre_id, "venue": run.venue,
        "capacity": run.capacity, "min_attendance_pct": 90, "language": "bg",
        "certificate_style": "default", "programme_id": programme.id,
        "funding_note": "Own note", "enrolment_closes": run.enrolment_closes.isoformat(),
    }
    response = client.submit(f"/manage/runs/{run.id}/edit", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    run = db.session.get(Run, run.id)
    assert run.programme_id == programme.id
    assert run.funding_line == "Обучението се провежда с подкрепата на Европейския социален фонд."


def test_an_inactive_programme_takes_no_new_run(client, auth, db, make_user, make_run,
                                                make_programme):
    ended = make_programme(active=False, ends_on=date(2026, 6, 30))
    run = make_run(publish=False)
    auth.login(make_user(role="admin"))
    assert ended.code not in client.get(f"/manage/runs/{run.id}/edit").get_data(as_text=True)
    data = {"course_id": run.course_id, "centre_id": run.centre_id, "capacity": 20,
            "min_attendance_pct": 90, "language": "hu", "certificate_style": "default",
            "programme_id": ended.id}
    response = client.submit(f"/manage/runs/{run.id}/edit", data)
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Run, run.id).programme_id is None


def test_certificates_of_a_programme_run_print_its_acknowledgement(db, closed_run,
                                                                   make_programme):
    programme = make_programme()
    run, admin, _enrolments = closed_run(language="bg", style="razgrad", programme=programme)
    certificate = certificates.issue_all(run, admin, date.today())[0]
    db.session.commit()
    text = " ".join(PdfReader(io.BytesIO(certificate.pdf)).pages[0].extract_text().split())
    assert "Обучението се провежда с подкрепата на Европейския социален фонд." in text
    assert "Швейцарско-българска" not in text  # the run's own note gives way

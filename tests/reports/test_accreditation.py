"""The participant list of an accredited run, for the accrediting authority."""

import io
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from lms.attendance.models import AttendanceStatus
from lms.attendance.services import MarkInput, close_run, mark_session
from lms.audit.models import AuditEntry
from lms.certificates.services import issue_certificate
from lms.enrolment.models import CancelKind
from lms.enrolment.services import cancel_enrolment, enrol
from tests.conftest import at

DAY = date.today() - timedelta(days=10)


@pytest.fixture
def accredited_run(db, make_user, make_centre, make_course, make_run):
    """A closed accredited 12-hour run at Debrecen: Szőke Tünde attended all 12 hours and
    holds a certificate, Bíró Péter attended 6, Lőrincz Ödön 11.5 (completes at 90 %,
    without a certificate yet); Kiss Boglárka cancelled."""
    centre = make_centre(name="Debreceni Forrásközpont", city="Debrecen",
                         organisation="Hajdú-Bihar Vármegyei Szociális Egyesület",
                         serial_prefix="DEB", signatory_name="Fekete László")
    course = make_course(total_hours=12, title="Adósságkezelési tanácsadás", code="ADK-12",
                         accreditation_number="T-02-058/2026", credit_points=16)
    run = make_run(course=course, centre=centre, venue="Piac utca 20.",
                   sessions=[(DAY, time(9), time(15), 360),
                             (DAY + timedelta(days=1), time(9), time(15), 360)])
    admin = make_user(role="admin")
    people = {}
    for name, number in (("Szőke Tünde", "H-028876"), ("Bíró Péter", ""),
                         ("Lőrincz Ödön", "V-032291/2019"), ("Kiss Boglárka", "F-1")):
        people[name] = make_user(full_name=name)
        people[name].register_number = number
    before = at(DAY - timedelta(days=5), time(8))
    enrolments = {name: enrol(user, run, before, by=admin) for name, user in people.items()}
    cancel_enrolment(enrolments["Kiss Boglárka"], admin, before, "Beteg", CancelKind.BY_ADMIN)
    first, second = run.sessions
    present = AttendanceStatus.PRESENT
    mark_session(first, [MarkInput(enrolments[n].id, present)
                         for n in ("Szőke Tünde", "Bíró Péter", "Lőrincz Ödön")], admin,
                 first.ends)
    mark_session(second, [MarkInput(enrolments["Szőke Tünde"].id, present),
                          MarkInput(enrolments["Bíró Péter"].id, AttendanceStatus.ABSENT),
                          MarkInput(enrolments["Lőrincz Ödön"].id, AttendanceStatus.LATE, 330)],
                 admin, second.ends)
    close_run(run, admin)
    issue_certificate(enrolments["Szőke Tünde"], admin, date.today())
    # changed after the certificate was issued: the list keeps the number it certifies
    people["Szőke Tünde"].register_number = "H-NEW-1"
    db.session.commit()
    return run, admin


def test_the_workbook_has_the_run_and_every_participant_cell_by_cell(
        client, auth, db, accredited_run):
    run, admin = accredited_run
    auth.login(admin)
    response = client.get(f"/manage/runs/{run.id}/accredited-participants.xlsx")
    assert response.status_code == 200
    assert "accredited-participants-ADK-12-" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = {row[0]: row[1] for row in rows[:10]}
    assert header["Course"] == "Adósságkezelési tanácsadás (ADK-12)"
    assert header["Accreditation number"] == "T-02-058/2026"
    assert header["Points"] == 16
    assert header["Hours"] == 12
    assert header["Organiser"] == "Hajdú-Bihar Vármegyei Szociális Egyesület"
    assert header["Centre"] == "Debreceni Forrásközpont, Debrecen"
    assert header["Venue"] == "Piac utca 20."
    assert str(DAY.year) in header["Dates"]
    assert (header["Participants"], header["Completed"]) == (3, 2)
    assert rows[10] == [None] * 6
    assert rows[11] == ["Name", "Registration number (operational register)", "Points",
                        "Completion", "Hours attended", "Certificate"]
    serial = f"DEB-{date.today().year}-0001"
    assert rows[12:] == [
        ["Bíró Péter", None, 0, "Not completed", 6, None],
        ["Lőrincz Ödön", "V-032291/2019", 16, "Completed", 11.5, None],
        ["Szőke Tünde", "H-028876", 16, "Completed", 12, serial],
    ]
    event = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.event == "download",
                                                          AuditEntry.entity_id == run.id))
    assert event is not None and event.actor_id == admin.id
    assert event.label.endswith(".xlsx")


def test_the_pdf_lists_the_same_in_the_runs_language(client, auth, accredited_run, tmp_path):
    run, admin = accredited_run
    auth.login(admin)
    response = client.get(f"/manage/runs/{run.id}/accredited-participants.pdf")
    assert response.mimetype == "application/pdf"
    pdf = response.data
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    (tmp_path / "list.pdf").write_bytes(pdf)
    for expected in ("T-02-058/2026", "Hajdú-Bihar Vármegyei Szociális Egyesület",
                     "Szőke Tünde", "H-028876", "V-032291/2019", "Bíró Péter",
                     "Fekete László"):
        assert expected in text
    assert "Kiss Boglárka" not in text and "H-NEW-1" not in text


def test_the_run_page_links_the_list_only_for_an_accredited_run(
        client, auth, make_run, accredited_run):
    run, admin = accredited_run
    other = make_run()
    auth.login(admin)
    link = "/accredited-participants.xlsx"
    assert link in client.get(f"/manage/runs/{run.id}").get_data(as_text=True)
    assert link not in client.get(f"/manage/runs/{other.id}").get_data(as_text=True)
    assert client.get(f"/manage/runs/{other.id}/accredited-participants.pdf").status_code == 404


def test_a_participant_or_trainer_cannot_download_it(client, auth, make_user, accredited_run):
    run, _admin = accredited_run
    for user in (make_user(), make_user(role="trainer")):
        auth.login(user)
        for fmt in ("xlsx", "pdf"):
            assert client.get(f"/manage/runs/{run.id}/accredited-participants.{fmt}"
                              ).status_code == 403
        auth.logout()

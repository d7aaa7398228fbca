"""Erasure within retention: what no rule keeps goes at once, the evidence is kept until
the retention end, then `flask privacy pseudonymise` leaves nothing that names the person
in any table, the audit chain still verifies, and the certificate's serial still does."""

import json
from datetime import date, time, timedelta

import sqlalchemy as sa
import time_machine

from lms.audit.chain import verify_chain
from lms.audit.models import AuditEntry
from lms.auth.services import add_years
from lms.certificates.models import Certificate
from lms.certificates.services import issue_certificate, issue_transcript
from lms.clock import utcnow
from lms.enrolment.models import Enrolment, EnrolmentState
from lms.enrolment.services import enrol
from lms.extensions import db as _db
from lms.notifications.models import Notification
from lms.privacy.erasure import carry_out_erasure, pseudonymise_due
from lms.privacy.models import PrivacyRequest, RequestKind, RequestState
from lms.privacy.services import file_request
from lms.programmes.models import Answer, ParticipantData
from tests.conftest import PASSWORD, at

NAME, EMAIL = "Erdős Zsófia Törölhető", "zsofia.torolheto@example.org"
PHONE, ORGANISATION = "+36 30 987 6543", "Törölhető Családsegítő Egyesület"


def _person_with_evidence(db, make_user, closed_run, make_run, make_course):
    """A trainee who completed a closed run (certificate, transcript), waits for a place
    in a future run, and once asked for a correction quoting her name."""
    run, admin, enrolments = closed_run(names=(NAME, "Szőke Tünde", "Иван Георгиев"))
    person = enrolments[0].user
    person.email, person.phone, person.organisation = EMAIL, PHONE, ORGANISATION
    person.job_title, person.county, person.settlement = "Családgondozó", "Heves", "Eger"
    person.register_number = "MNY-778899"
    db.session.commit()
    certificate = issue_certificate(enrolments[0], admin, date.today())
    transcript = issue_transcript(person, "hu", utcnow(), date.today())
    future = make_run(course=make_course(total_hours=6), capacity=1, sessions=[
        (date.today() + timedelta(days=40), time(9), time(15), 360)])
    enrol(make_user(), future, utcnow(), by=admin)
    waiting = enrol(person, future, utcnow(), by=admin)
    assert waiting.state == EnrolmentState.WAITLISTED
    file_request(person, RequestKind.RECTIFICATION, f"{NAME} is right, not Erdos", utcnow())
    erasure = file_request(person, RequestKind.ERASURE, "", utcnow())
    db.session.commit()
    return run, admin, person, (certificate, transcript), erasure, waiting


def _text_columns():
    for table in _db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, sa.String | sa.Text | sa.JSON):
                yield table, column


def _places_naming(values: list[str]) -> list[str]:
    """Every table.column (every string, text and JSON column of every table) holding one
    of `values`."""
    wanted = [v.casefold() for v in values]
    found = []
    for table, column in _text_columns():
        for (value,) in _db.session.execute(sa.select(column).where(column.is_not(None))):
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            if any(w in text.casefold() for w in wanted):
                found.append(f"{table.name}.{column.name}")
                break
    return found


def test_erasure_then_pseudonymisation_leaves_no_personal_data(
        app, client, auth, db, make_user, closed_run, make_run, make_course):
    run, admin, person, (certificate, transcript), erasure, waiting = _person_with_evidence(
        db, make_user, closed_run, make_run, make_course)
    personal = [NAME, EMAIL, PHONE, ORGANISATION]
    assert set(_places_naming(personal)) >= {"user.full_name", "user.email", "user.phone",
                                               "certificate.facts"}
    auth.login(admin)
    page = client.get(f"/manage/privacy-requests/{erasure.id}/erase").get_data(as_text=True)
    retain_until = add_years(run.closed_at.date(), 10)
    assert "Places and waitlist entries in runs not yet begun, cancelled (1)" in page
    assert "then pseudonymised: Certificates as issued (1)" in page
    assert str(retain_until.year) in page
    assert client.submit(f"/manage/privacy-requests/{erasure.id}/erase", {},
                         page=f"/manage/privacy-requests/{erasure.id}/erase").status_code == 302
    db.session.expire_all()
    done = db.session.get(PrivacyRequest, erasure.id)
    assert (done.state, done.retain_until, done.pseudonymised_at) == (
        RequestState.DONE, retain_until, None)
    assert db.session.get(Enrolment, waiting.id).state == EnrolmentState.CANCELLED
    # contact details gone at once; the name stays on the evidence until the retention end
    places = _places_naming(personal)
    assert "user.email" not in places and "user.phone" not in places
    assert "user.full_name" in places and "certificate.facts" in places
    auth.logout()
    refused = client.submit("/login", {"email": EMAIL, "password": PASSWORD})
    assert "Log out" not in refused.get_data(as_text=True)
    notice = db.session.scalars(sa.select(Notification).where(
        Notification.user_id == person.id, Notification.kind == "erasure")).one()
    assert notice.to_address == EMAIL  # still delivered to the address they had
    assert "Kept until" in notice.body and "Certificates as issued: 1" in notice.body

    # the day after the retention end the daily job pseudonymises; a second run does nothing
    runner = app.test_cli_runner()
    with time_machine.travel(at(retain_until, time(12)), tick=False):
        assert "0 people pseudonymised" in runner.invoke(args=["privacy", "pseudonymise"]).output
    with time_machine.travel(at(retain_until + timedelta(days=1), time(3)), tick=False):
        assert "1 person pseudonymised" in runner.invoke(args=["privacy", "pseudonymise"]).output
        entries = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
        assert "0 people pseudonymised" in runner.invoke(args=["privacy", "pseudonymise"]).output
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == entries
    db.session.expire_all()
    assert _places_naming(personal + ["MNY-778899"]) == []
    assert db.session.get(PrivacyRequest, erasure.id).pseudonymised_at is not None
    assert verify_chain(db.session.connection()).ok
    db.session.rollback()
    stored = db.session.get(Certificate, certificate.id)
    assert stored.facts["holder"] == f"Erased person #{person.id}" and stored.pdf == b""
    assert stored.pdf_sha256 == certificate.pdf_sha256
    page = client.get(f"/v/{certificate.verification_code}").get_data(as_text=True)
    assert "Holder's data erased" in page and certificate.serial in page and "Valid" in page
    code = transcript.verification_code
    page = client.get(f"/v/{code}").get_data(as_text=True)
    assert "Holder's data erased" in page and NAME not in page
    auth.login(admin)
    assert client.get(f"/certificates/{certificate.id}.pdf").status_code == 410
    assert client.get(f"/my/transcripts/{transcript.id}.pdf").status_code == 410


def test_a_person_with_no_evidence_is_pseudonymised_the_next_day(db, make_user):
    admin, person = make_user(role="admin"), make_user(full_name=NAME, phone=PHONE,
                                                       organisation=ORGANISATION)
    erasure = file_request(person, RequestKind.ERASURE, "", utcnow())
    plan = carry_out_erasure(erasure, admin, utcnow())
    db.session.commit()
    assert plan.retain_until is None and erasure.retain_until == utcnow().date()
    assert not person.active and _places_naming([PHONE, ORGANISATION]) == []
    with time_machine.travel(utcnow() + timedelta(days=1), tick=False):
        assert pseudonymise_due(utcnow()) == 1
        db.session.commit()
    assert person.full_name == f"Erased person #{person.id}"
    assert _places_naming([NAME, PHONE, ORGANISATION]) == []


def test_erasure_erases_the_optional_answers_at_once(db, make_user, closed_run, make_programme):
    programme = make_programme(asks_participant_data=True)
    run, admin, enrolments = closed_run(programme=programme)
    data = ParticipantData(enrolment=enrolments[0], gender="female", birth_year=1980,
                           labour_status="employed", education="isced_5_8",
                           sensitive_consent=True, consent_text="I agree", consent_at=utcnow(),
                           disability=Answer.YES)
    db.session.add(data)
    db.session.commit()
    erasure = file_request(enrolments[0].user, RequestKind.ERASURE, "", utcnow())
    plan = carry_out_erasure(erasure, admin, utcnow())
    db.session.commit()
    assert plan.erased["optional_answers"] == 1 and plan.kept["participant_data"] == 1
    assert (data.sensitive_consent, data.disability, data.consent_text) == (False, None, "")
    # the funder's retention rule keeps the programme's runs' evidence at least to its end
    assert erasure.retain_until >= date(programme.ends_on.year + 5, 12, 31)


def test_only_an_open_erasure_request_is_carried_out(client, auth, db, make_user):
    admin, person = make_user(role="admin"), make_user()
    other = file_request(person, RequestKind.RECTIFICATION, "typo", utcnow())
    erasure = file_request(person, RequestKind.ERASURE, "", utcnow())
    db.session.commit()
    auth.login(admin)
    assert client.get(f"/manage/privacy-requests/{other.id}/erase").status_code == 404
    assert client.get("/manage/privacy-requests/999999/erase").status_code == 404
    assert client.get("/manage/privacy-requests/x'/erase").status_code == 404
    # a forged post without the form's token changes nothing
    assert client.post(f"/manage/privacy-requests/{erasure.id}/erase",
                       data={"csrf_token": "<script>"}).status_code in (200, 400)
    db.session.expire_all()
    assert db.session.get(PrivacyRequest, erasure.id).state == RequestState.RECEIVED
    client.submit(f"/manage/privacy-requests/{erasure.id}/erase", {},
                  page=f"/manage/privacy-requests/{erasure.id}/erase")
    again = client.get(f"/manage/privacy-requests/{erasure.id}/erase")
    assert again.status_code == 302  # already answered: back to the request


def test_an_administrator_cannot_erase_themself(client, auth, db, make_user):
    admin = make_user(role="admin")
    erasure = file_request(admin, RequestKind.ERASURE, "", utcnow())
    db.session.commit()
    auth.login(admin)
    page = client.get(f"/manage/privacy-requests/{erasure.id}/erase").get_data(as_text=True)
    assert "ask another administrator" in page
    client.submit(f"/manage/privacy-requests/{erasure.id}/erase", {},
                  page=f"/manage/privacy-requests/{erasure.id}/erase")
    db.session.expire_all()
    assert db.session.get(PrivacyRequest, erasure.id).state == RequestState.RECEIVED


def test_the_notice_is_in_the_persons_language(db, make_user):
    admin = make_user(role="admin")
    person = make_user(locale="bg")
    erasure = file_request(person, RequestKind.ERASURE, "", utcnow())
    carry_out_erasure(erasure, admin, utcnow())
    notice = db.session.scalars(sa.select(Notification).where(
        Notification.user_id == person.id, Notification.kind == "erasure")).one()
    assert "Your personal data" not in notice.subject and notice.subject

"""The export of one's own data: complete (every table that refers to a person is read),
one's own only, and as JSON and PDF."""

import io
import json

import pypdf
import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.extensions import db as _db
from lms.privacy import export
from lms.privacy.export import personal_data
from lms.programmes.models import ParticipantData


def _referring_columns():
    users = _db.metadata.tables["user"]
    return sorted((table.name, column.name) for table in _db.metadata.tables.values()
                  for column in table.columns
                  if any(key.column.table is users for key in column.foreign_keys))


def test_every_table_that_refers_to_a_person_is_in_the_export(app):
    """A new table with a foreign key to users fails here until the export reads it."""
    columns = _referring_columns()
    assert ("enrolment", "user_id") in columns and ("privacy_request", "user_id") in columns
    forgotten = [f"{table}.{column}" for table, column in columns
                 if not export.covered(table, column)]
    assert forgotten == []


def test_the_check_would_catch_a_new_table(app):
    table = sa.Table("future_thing", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("owner_id", sa.ForeignKey(_db.metadata.tables["user"].c.id)))
    assert not export.covered(table.name, "owner_id")


def test_the_export_holds_the_persons_records_and_nobody_elses(db, transcript_world):
    world = transcript_world
    trainee = world["users"]["trainee"]
    data = personal_data(trainee)
    assert data["account"][0]["email"] == trainee.email
    assert "password_hash" not in data["account"][0] and "calendar_key" not in data["account"][0]
    enrolled_runs = {e["run"]["id"] for e in data["enrolments"]}
    assert world["ids"]["closed_run_id"] in enrolled_runs
    closed = next(e for e in data["enrolments"] if e["run"]["id"] == world["ids"]["closed_run_id"])
    assert closed["history"] and closed["attendance"][0]["status"] == "present"
    (certificate,) = closed["certificates"]
    assert trainee.full_name in json.dumps(certificate["facts"], ensure_ascii=False)
    assert [t["id"] for t in data["transcripts"]] == [world["ids"]["transcript_id"]]
    text = json.dumps(data, default=str, ensure_ascii=False)
    other = db.session.get(type(trainee), world["users"]["trainer"].id)
    assert other.email not in text


def test_consents_come_with_their_wording_and_time(db, world):
    # the world's other enrolment carries answers given with the consent
    answers = db.session.scalars(sa.select(ParticipantData)).one()
    data = personal_data(answers.enrolment.user)
    (participant,) = [e["participant_data"] for e in data["enrolments"] if e["participant_data"]]
    assert participant["consent_text"] == "I agree" and participant["consent_at"]
    assert participant["sensitive_consent"] is True


def test_the_person_downloads_json_and_pdf_and_each_download_is_logged(
        client, auth, db, certificate_world):
    trainee = certificate_world["users"]["trainee"]
    auth.login(trainee)
    profile = client.get("/profile").get_data(as_text=True)
    assert 'href="/profile/my-data.json"' in profile and 'href="/profile/my-data.pdf"' in profile
    response = client.get("/profile/my-data.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["person"] == trainee.id and data["enrolments"]
    pdf = client.get("/profile/my-data.pdf")
    assert pdf.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert trainee.full_name in text and "Enrolments" in text
    events = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.event == "export", AuditEntry.entity == "User",
        AuditEntry.entity_id == trainee.id)).all()
    assert len(events) == 2


def _export_queries(query_counter, user) -> int:
    _db.session.expire_all()
    with query_counter() as statements:
        personal_data(user)
    return len(statements)


def test_the_exports_query_count_does_not_grow_with_the_persons_data(
        db, closed_run, make_user, query_counter):
    from datetime import date

    from lms.audit.services import record_access
    from lms.certificates.services import issue_certificate
    from lms.enrolment.models import Enrolment

    one_run, admin, (small, *_) = closed_run()
    one_run.centre.serial_prefix = "RZ0"  # the next closed run's centre takes "RAZ"
    issue_certificate(small, admin, date.today())
    record_access([small.user_id], "profile", actor_id=admin.id)
    db.session.commit()
    few = _export_queries(query_counter, small.user)
    # the same kinds of records, three times over: three runs, more marks, certificates,
    # access events by other administrators
    person = make_user()
    for index in range(3):
        run, other_admin, (first, *_rest) = closed_run()
        run.centre.serial_prefix = f"RZ{index + 1}"
        first.user_id = person.id
        db.session.flush()
        if index:
            issue_certificate(db.session.get(Enrolment, first.id), other_admin, date.today())
        record_access([person.id], "profile", actor_id=other_admin.id)
    db.session.commit()
    many = _export_queries(query_counter, person)
    assert len(personal_data(person)["enrolments"]) == 3
    assert many == few

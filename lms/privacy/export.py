"""Everything Forrás holds about one person, for them to download (GDPR Art. 15 and 20):
as JSON (machine-readable) and as a PDF (readable).

`SECTIONS` says, for every table that refers to a person (a foreign key to `user`),
where its rows go; tests/privacy/test_export.py reads the metadata and fails when a
table refers to users and is missing here, so a new table cannot be forgotten.
Tables reached through an enrolment (attendance, participant data, certificates,
course evaluations) are inside the enrolments section.
"""

import datetime as dt
import enum
import hashlib
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from lms.attendance.models import AttendanceChange, AttendanceMark
from lms.audit.models import AuditEntry
from lms.audit.services import ACCESS
from lms.auth.models import User, UserSession
from lms.certificates.models import Certificate, Transcript
from lms.courses.models import Run
from lms.enrolment.models import Enrolment
from lms.extensions import db
from lms.i18n import lazy_gettext as _l
from lms.notifications.models import Notification
from lms.privacy.models import PrivacyRequest
from lms.programmes.models import ParticipantData
from lms.surveys.models import SurveyAnswer, SurveyOption, SurveyQuestion, SurveyResponse

# Columns never shown, even to their owner: secrets that open the account.
HIDDEN = {"password_hash", "calendar_key", "key_hash", "pdf"}

SECTION_TITLES = {
    "account": _l("Account"),
    "logins": _l("Logins"),
    "enrolments": _l("Enrolments, their history, attendance and certificates"),
    "transcripts": _l("Transcripts"),
    "survey_answers": _l("Survey answers given under your name"),
    "messages": _l("Messages and e-mails"),
    "privacy_requests": _l("Your requests about your data"),
    "access_events": _l("Who read or exported your data"),
    "your_actions": _l("What you did (the audit log)"),
    "recorded_by_you": _l("Records you made or changed as staff"),
}

# table -> {foreign key column to user.id: section}
SECTIONS = {
    "user": {"": "account"},
    "user_session": {"user_id": "logins"},
    "enrolment": {"user_id": "enrolments", "cancelled_by_id": "recorded_by_you"},
    "enrolment_event": {"by_id": "recorded_by_you"},
    "attendance_mark": {"marked_by_id": "recorded_by_you"},
    "attendance_change": {"changed_by_id": "recorded_by_you"},
    "certificate": {"issued_by_id": "recorded_by_you", "revoked_by_id": "recorded_by_you"},
    "transcript": {"user_id": "transcripts"},
    "survey_response": {"user_id": "survey_answers"},
    "survey": {"created_by_id": "recorded_by_you"},
    "notification": {"user_id": "messages"},
    "audit_entry": {"actor_id": "your_actions"},
    "run": {"cancelled_by_id": "recorded_by_you", "closed_by_id": "recorded_by_you"},
    "trainer_assignment": {"trainer_id": "recorded_by_you", "removed_by_id": "recorded_by_you"},
    "signed_sheet": {"uploaded_by_id": "recorded_by_you", "replaced_by_id": "recorded_by_you"},
    "export_job": {"requested_by_id": "recorded_by_you"},
    "privacy_request": {"user_id": "privacy_requests", "handled_by_id": "recorded_by_you"},
}


def plain(value):
    """A value as JSON has it."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"sha256:{hashlib.sha256(value).hexdigest()}"
    return value


def row(obj, skip=()) -> dict:
    """The columns of a record, secrets left out."""
    return {
        column.key: plain(getattr(obj, column.key))
        for column in sa.inspect(obj).mapper.column_attrs
        if column.key not in HIDDEN and column.key not in skip
    }


def _by(rows, key) -> dict:
    grouped = {}
    for item in rows:
        grouped.setdefault(getattr(item, key), []).append(item)
    return grouped


def _enrolments(user: User) -> list[dict]:
    """The person's enrolments with their run, history, attendance, participant data,
    certificates and named evaluation: a fixed number of queries however many."""
    enrolments = db.session.scalars(
        sa.select(Enrolment).where(Enrolment.user_id == user.id)
        .options(selectinload(Enrolment.events),
                 selectinload(Enrolment.run).selectinload(Run.course),
                 selectinload(Enrolment.run).selectinload(Run.centre))
        .order_by(Enrolment.id)).all()
    ids = [e.id for e in enrolments]
    if not ids:
        return []
    marks = _by(db.session.scalars(
        sa.select(AttendanceMark).where(AttendanceMark.enrolment_id.in_(ids))
        .options(selectinload(AttendanceMark.session)).order_by(AttendanceMark.id)),
        "enrolment_id")
    changes = _by(db.session.scalars(
        sa.select(AttendanceChange).join(AttendanceMark, AttendanceMark.id
                                         == AttendanceChange.mark_id)
        .where(AttendanceMark.enrolment_id.in_(ids)).order_by(AttendanceChange.id)), "mark_id")
    participants = {p.enrolment_id: p for p in db.session.scalars(
        sa.select(ParticipantData).where(ParticipantData.enrolment_id.in_(ids)))}
    certificates = _by(db.session.scalars(
        sa.select(Certificate).where(Certificate.enrolment_id.in_(ids))
        .order_by(Certificate.id)), "enrolment_id")
    evaluations = {r.enrolment_id: r for r in db.session.scalars(
        sa.select(SurveyResponse).where(SurveyResponse.enrolment_id.in_(ids),
                                        SurveyResponse.user_id.is_not(None)))}
    responses = _responses(list(evaluations.values()))
    out = []
    for enrolment in enrolments:
        run = enrolment.run
        data = row(enrolment)
        data["run"] = {"id": run.id, "course": run.course.code, "title": run.course.title,
                       "centre": run.centre.name, "first_day": plain(run.first_day),
                       "last_day": plain(run.last_day), "status": plain(run.status)}
        data["history"] = [row(event) for event in enrolment.events]
        data["attendance"] = [
            {**row(mark), "session_date": plain(mark.session.date),
             "session_starts": plain(mark.session.starts_at),
             "changes": [row(change) for change in changes.get(mark.id, [])]}
            for mark in marks.get(enrolment.id, [])]
        participant = participants.get(enrolment.id)
        data["participant_data"] = row(participant) if participant else None
        data["certificates"] = [row(c) for c in certificates.get(enrolment.id, [])]
        evaluation = evaluations.get(enrolment.id)
        data["evaluation"] = responses[evaluation.id] if evaluation else None
        out.append(data)
    return out


def _responses(responses: list[SurveyResponse]) -> dict[int, dict]:
    """Survey responses with their answers, the questions and options in the response's
    language: a fixed number of queries however many."""
    if not responses:
        return {}
    answers = _by(db.session.scalars(
        sa.select(SurveyAnswer).where(SurveyAnswer.response_id.in_([r.id for r in responses]))
        .order_by(SurveyAnswer.id)), "response_id")
    every = [a for group in answers.values() for a in group]
    questions = {q.id: q for q in db.session.scalars(sa.select(SurveyQuestion).where(
        SurveyQuestion.id.in_({a.question_id for a in every})))} if every else {}
    option_ids = {a.option_id for a in every if a.option_id}
    options = {o.id: o for o in db.session.scalars(sa.select(SurveyOption).where(
        SurveyOption.id.in_(option_ids)))} if option_ids else {}
    out = {}
    for response in responses:
        data = row(response, skip=("browser_key",))
        data["answers"] = []
        for answer in answers.get(response.id, []):
            question = questions.get(answer.question_id)
            option = options.get(answer.option_id) if answer.option_id else None
            data["answers"].append({
                **row(answer),
                "question": question.text_in(response.language) if question else "",
                "option": option.label_in(response.language) if option else "",
            })
        out[response.id] = data
    return out


def _referring_columns() -> list[tuple[sa.Table, sa.Column]]:
    """Every column of every table that is a foreign key to user.id."""
    users = db.metadata.tables["user"]
    return [(table, column) for table in db.metadata.sorted_tables
            for column in table.columns
            if any(key.column.table is users for key in column.foreign_keys)]


def personal_data(user: User) -> dict:
    """Everything held about `user`, section by section (see SECTIONS)."""
    data = {key: [] for key in SECTION_TITLES}
    data["account"] = [row(user)]
    data["logins"] = [row(s) for s in db.session.scalars(
        sa.select(UserSession).where(UserSession.user_id == user.id)
        .order_by(UserSession.id))]
    data["enrolments"] = _enrolments(user)
    data["transcripts"] = [row(t) for t in db.session.scalars(
        sa.select(Transcript).where(Transcript.user_id == user.id).order_by(Transcript.id))]
    named = db.session.scalars(
        sa.select(SurveyResponse).where(SurveyResponse.user_id == user.id,
                                        SurveyResponse.enrolment_id.is_(None))
        .order_by(SurveyResponse.id)).all()
    answered = _responses(named)
    data["survey_answers"] = [answered[r.id] for r in named]
    data["messages"] = [row(n) for n in db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.id))]
    data["privacy_requests"] = [row(r) for r in db.session.scalars(
        sa.select(PrivacyRequest).where(PrivacyRequest.user_id == user.id)
        .order_by(PrivacyRequest.id))]
    data["access_events"] = [
        {"at": plain(e.at), "by": e.actor.full_name if e.actor else None,
         "what": e.label, "through": (e.changes.get("through") or [None, ""])[1]}
        for e in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.event == ACCESS, AuditEntry.entity == "User",
                                        AuditEntry.entity_id == user.id)
            .options(selectinload(AuditEntry.actor)).order_by(AuditEntry.id))]
    data["your_actions"] = [
        {"at": plain(e.at), "action": e.action, "event": e.event, "entity": e.entity,
         "entity_id": e.entity_id}
        for e in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.actor_id == user.id).order_by(AuditEntry.id))]
    # Records that name the person as who made or changed them (staff work): their ids,
    # table by table; every column that refers to a person and no section above reads.
    recorded = {}
    for table, column in _referring_columns():
        if SECTIONS.get(table.name, {}).get(column.name) != "recorded_by_you":
            continue
        (key,) = table.primary_key.columns
        ids = db.session.scalars(sa.select(key).where(column == user.id).order_by(key)).all()
        if ids:
            recorded[f"{table.name}.{column.name}"] = [plain(i) for i in ids]
    data["recorded_by_you"] = [recorded] if recorded else []
    return data


def covered(table: str, column: str) -> bool:
    """Whether the export reads the rows in which `table.column` refers to the person."""
    return column in SECTIONS.get(table, {})

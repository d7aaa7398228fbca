"""The words of the audit log: what each kind of record, field, value and event is
called, in the reader's language. Read by lms/audit/presentation.py."""

from flask_babel import pgettext

from lms.attendance.routes import status_labels
from lms.audit import services
from lms.enrolment.routes import state_labels
from lms.i18n import gettext as _
from lms.i18n import lazy_gettext as _l
from lms.privacy.forms import kind_labels as privacy_kinds
from lms.privacy.forms import state_labels as privacy_states

KINDS = {
    "Run": _l("Run"), "Session": _l("Session"), "Enrolment": _l("Enrolment"),
    "AttendanceMark": _l("Attendance mark"), "Certificate": _l("Certificate"),
    "Course": _l("Course"), "CourseModule": _l("Course module"), "Centre": _l("Centre"),
    "TrainerAssignment": _l("Trainer assignment"), "User": _l("Person"),
    "Notification": _l("E-mail message"), "SignedSheet": _l("Signed sign-in sheet"),
    "DocumentBlob": _l("Stored document"), "Programme": _l("Programme"),
    "ParticipantData": _l("Participant data"), "Transcript": _l("Transcript"),
    "Survey": _l("Survey"), "SurveySection": _l("Survey section"),
    "SurveyQuestion": _l("Survey question"), "SurveyOption": _l("Survey option"),
    "EvaluationInvitation": _l("Invitation to evaluate a run"),
    "PrivacyRequest": _l("Data request"),
}
ACTIONS = {"create": _l("created"), "update": _l("changed"), "delete": _l("removed")}

# A label for every audited field (tests/audit/test_presentation.py fails when a new
# column of an audited model has none): the entity's own first, then the shared ones.
SHARED_LABELS = {
    "id": _l("Number"), "run_id": _l("Run"), "user_id": _l("Person"),
    "centre_id": _l("Centre"), "course_id": _l("Course"), "session_id": _l("Session"),
    "enrolment_id": _l("Enrolment"), "status": _l("Status"), "title": _l("Title"),
    "minutes": _l("Minutes"), "language": _l("Language"), "active": _l("Active"),
    "organisation": _l("Organisation"), "time_zone": _l("Time zone"),
    "cancelled_at": _l("Cancelled at"), "cancelled_by_id": _l("Cancelled by"),
    "cancel_reason": _l("Reason for cancelling"), "updated_at": _l("Last changed"),
    "sequence": _l("Sequence number"), "role": _l("Role"),
}
FIELD_LABELS = {
    "Centre": {
        "name": _l("Name"), "city": _l("City"), "region": _l("Region or county"),
        "country": _l("Country"), "address": _l("Address"),
        "signatory_name": _l("Signatory"), "signatory_title": _l("Signatory's title"),
        "serial_prefix": _l("Certificate serial prefix"),
    },
    "Course": {
        "code": _l("Code"), "summary": _l("Summary"), "description": _l("Description"),
        "total_hours": _l("Total hours"), "target_group": _l("Target group"),
        "accreditation_number": _l("Accreditation number"),
        "credit_points": _l("Credit points"), "search_text": _l("Search words"),
    },
    "CourseModule": {"position": _l("Position")},
    "Run": {
        "venue": _l("Venue"), "capacity": _l("Capacity"),
        "enrolment_opens": _l("Enrolment opens"), "enrolment_closes": _l("Enrolment closes"),
        "approval_required": _l("Approval required"),
        "min_attendance_pct": _l("Minimum attendance (%)"),
        "certificate_style": _l("Certificate style"),
        "certificate_bilingual": _l("Bilingual certificate"),
        "registration_number": _l("Registration number"), "funding_note": _l("Funding note"),
        "programme_id": _l("Programme"),
        "published_at": _l("Published at"), "closed_at": _l("Closed at"),
        "closed_by_id": _l("Closed by"),
    },
    "Session": {
        "date": _l("Date"), "starts_at": _l("Starts"), "ends_at": _l("Ends"),
        "minutes": _l("Credited minutes"), "topic": _l("Topic"), "room": _l("Room"),
    },
    "Enrolment": {
        "user_id": _l("Trainee"), "state": _l("State"), "waitlisted_at": _l("Waitlisted at"),
        "outcome": _l("Outcome"), "cancel_kind": _l("How it was cancelled"),
        "cancel_reason": _l("Reason given for cancelling"),
    },
    "TrainerAssignment": {
        "trainer_id": _l("Trainer"), "removed_at": _l("Removed at"),
        "removed_by_id": _l("Removed by"),
    },
    "AttendanceMark": {
        "status": _l("Attendance"), "minutes": _l("Minutes attended"), "note": _l("Note"),
        "marked_by_id": _l("Marked by"), "marked_at": _l("Marked at"),
    },
    "SignedSheet": {
        "blob_sha256": _l("Document checksum (SHA-256)"), "filename": _l("File name"),
        "media_type": _l("File type"), "uploaded_by_id": _l("Uploaded by"),
        "uploaded_at": _l("Uploaded at"), "replaced_at": _l("Replaced at"),
        "replaced_by_id": _l("Replaced by"), "replace_reason": _l("Reason for replacing"),
    },
    "DocumentBlob": {
        "sha256": _l("Checksum (SHA-256)"), "content": _l("Content"), "size": _l("Size (bytes)"),
        "media_type": _l("File type"), "created_at": _l("Stored at"),
    },
    "Certificate": {
        "year": _l("Year"), "sequence": _l("Number in the year"), "serial": _l("Serial number"),
        "verification_code": _l("Verification code"), "issue_date": _l("Date of issue"),
        "issued_at": _l("Issued at"), "issued_by_id": _l("Issued by"),
        "facts": _l("Facts certified"), "pdf": _l("PDF document"),
        "pdf_sha256": _l("PDF checksum (SHA-256)"), "revoked_at": _l("Revoked at"),
        "revoked_by_id": _l("Revoked by"), "revoke_reason": _l("Reason for revoking"),
        "supersedes_id": _l("Replaces certificate"),
    },
    "Transcript": {
        "user_id": _l("Holder"), "verification_code": _l("Verification code"),
        "issue_date": _l("Date of issue"), "issued_at": _l("Issued at"),
        "facts": _l("Facts stated"), "pdf": _l("PDF document"),
        "pdf_sha256": _l("PDF checksum (SHA-256)"),
    },
    "User": {
        "email": _l("E-mail"), "password_hash": _l("Password"), "full_name": _l("Name"),
        "job_title": _l("Job title"), "county": _l("County"), "settlement": _l("Settlement"),
        "phone": _l("Phone"), "locale": _l("Language"), "calendar_key": _l("Calendar feed key"),
        "register_number": _l("Registration number (operational register)"),
        "training_period_start": _l("Training period starts"),
        "training_period_end": _l("Training period ends"),
        "email_confirmed_at": _l("E-mail confirmed at"),
        "pending_email": _l("New e-mail awaiting confirmation"),
        "confirmation_sent_at": _l("Confirmation sent at"),
        "centre_id": _l("Administers centre"),
    },
    "Notification": {"state": _l("Delivery")},
    "Programme": {
        "code": _l("Code"), "name": _l("Name"), "funder": _l("Funder"),
        "starts_on": _l("Period starts"), "ends_on": _l("Period ends"),
        "acknowledgement_hu": _l("Acknowledgement in Hungarian"),
        "acknowledgement_bg": _l("Acknowledgement in Bulgarian"),
        "acknowledgement_en": _l("Acknowledgement in English"),
        "asks_participant_data": _l("Asks the ESF+ indicator data"),
        "target_participants": _l("Target: participants"),
        "target_completions": _l("Target: completions"),
        "target_hours": _l("Target: hours delivered"),
        "target_long_runs": _l("Target: 60-hour trainings"),
        "target_short_runs": _l("Target: 24-hour trainings"),
        "created_at": _l("Created at"),
    },
    "ParticipantData": {
        "gender": _l("Gender"), "birth_year": _l("Year of birth"),
        "labour_status": _l("Labour-market status"), "education": _l("Education"),
        "sensitive_consent": _l("Consent to the optional questions"),
        "consent_text": _l("Consent as worded"), "consent_language": _l("Consent's language"),
        "consent_at": _l("Consent given at"), "disability": _l("Disability"),
        "foreign_background": _l("Foreign background"), "minority": _l("Minority"),
        "homeless": _l("Homelessness"), "rural": _l("Rural area"),
        "answered_at": _l("Answered at"),
    },
    "Survey": {
        "kind": _l("Kind"), "intro": _l("Introduction"), "languages": _l("Offered in"),
        "opens_at": _l("Opens"), "closes_at": _l("Closes"), "token": _l("Public address"),
        "version": _l("Version"), "previous_id": _l("Previous version"),
        "created_by_id": _l("Created by"), "created_at": _l("Created at"),
        "template_for": _l("Evaluation template for"),
    },
    "EvaluationInvitation": {
        "survey_id": _l("Survey"), "answer_key": _l("Personal link"),
        "invited_at": _l("Invited at"), "reminded_at": _l("Reminded at"),
        "answered": _l("Answered"),
    },
    "SurveySection": {"survey_id": _l("Survey"), "position": _l("Position"),
                      "title": _l("Heading")},
    "SurveyQuestion": {
        "survey_id": _l("Survey"), "section_id": _l("Survey section"),
        "position": _l("Position"), "kind": _l("Kind of question"), "text": _l("Question"),
        "required": _l("Answer required"), "topics": _l("Training topics"),
    },
    "SurveyOption": {"question_id": _l("Survey question"), "position": _l("Position"),
                     "label": _l("Option")},
    "PrivacyRequest": {
        "kind": _l("Request"), "state": _l("State"), "received_at": _l("Received"),
        "due_on": _l("Answer by"), "details": _l("Details"), "outcome": _l("What was done"),
        "handled_by_id": _l("Handled by"), "handled_at": _l("Handled at"),
        "retain_until": _l("Evidence kept until"), "pseudonymised_at": _l("Pseudonymised at"),
    },
}
# What an event records beside its record (see record_event's callers).
DETAIL_LABELS = {
    "address": _l("Address (IP)"), "sessions": _l("Sessions ended"), "why": _l("Why"),
    "entity": _l("Record"), "actor_email": _l("Changed by (e-mail)"),
    "entity_id": _l("Record number"), "since": _l("From"), "until": _l("Until"),
    # exports made by the job worker (lms/jobs)
    "export_job": _l("Export number"), "year": _l("Year"), "runs": _l("Runs"),
    "certificates": _l("Certificates"), "sha256": _l("Checksum (SHA-256)"),
    "size": _l("Size (bytes)"),
    "through": _l("Through"),  # an access event: the run or record the data was read from
}


def field_label(entity: str, key: str, event: bool = False) -> str | None:
    """The label of an audited field (or of an event's detail); None when it has none."""
    label = (DETAIL_LABELS if event else FIELD_LABELS.get(entity, {})).get(key)
    if label is None and not event:
        label = SHARED_LABELS.get(key)
    return None if label is None else str(label)


def value_labels() -> dict[tuple[str, str], dict]:
    """The words for the values of states and other choices, per (entity, field)."""
    # The words agree with their noun in Bulgarian (a run: група; a course: курс).
    run_status = {"draft": pgettext("run", "Draft"), "published": pgettext("run", "Published"),
                  "cancelled": pgettext("run", "Cancelled"), "closed": pgettext("run", "Closed")}
    return {
        ("Enrolment", "state"): {str(k): v for k, v in state_labels().items()},
        ("Enrolment", "outcome"): {"completed": _("Completed"),
                                   "not_completed": _("Not completed")},
        ("Enrolment", "cancel_kind"): {
            "by_trainee": _("By the trainee"), "by_admin": _("By an administrator"),
            "refused": _("Refused"), "run_cancelled": _("The run was cancelled"),
            "moved": _("Moved to another run"),
        },
        ("AttendanceMark", "status"): status_labels(),
        ("Run", "status"): run_status,
        ("Course", "status"): {"draft": pgettext("course", "Draft"),
                               "published": pgettext("course", "Published"),
                               "archived": pgettext("course", "Archived")},
        ("Certificate", "status"): {"valid": _("Valid"), "revoked": _("Revoked"),
                                    "superseded": _("Superseded")},
        ("PrivacyRequest", "kind"): {k: str(v) for k, v in privacy_kinds().items()},
        ("PrivacyRequest", "state"): {k: str(v) for k, v in privacy_states().items()},
        ("User", "role"): {"trainee": _("Trainee"), "trainer": _("Trainer"),
                           "admin": _("Administrator")},
        ("TrainerAssignment", "role"): {"lead": _("Lead trainer"),
                                        "co_trainer": _("Co-trainer")},
        ("Notification", "state"): {"waiting": _("Waiting to be sent"),
                                    "failing": _("Failing, retried"), "sent": _("Sent"),
                                    "no_server": _("Not sent (no mail server)")},
        ("Run", "certificate_style"): {"default": _("Default"),
                                       "tanusitvany": "Tanúsítvány", "razgrad": "Razgrad"},
    }


LANGUAGE_FIELDS = {("Course", "language"), ("Run", "language"), ("User", "locale")}


EVENT_SENTENCES = {
    services.LOGIN: _l("%(who)s logged in"),
    services.LOGIN_FAILED: _l("Failed login as %(record)s"),
    services.LOGOUT: _l("%(who)s logged out"),
    services.SESSIONS_ENDED: _l("The sessions of %(record)s were ended"),
    services.EXPORT: _l("%(who)s exported: %(label)s"),
    services.DOWNLOAD: _l("%(who)s downloaded: %(record)s"),
    services.ACCESS: _l("%(who)s read or exported the data of %(record)s: %(label)s"),
    # lms.surveys.services.ANSWERED: never who (when anonymous) nor what was answered
    "answered": _l("An answer to %(record)s was received"),
}

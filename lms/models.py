"""Imports every feature's models so that the metadata (and Alembic) sees all tables."""

from lms.attendance.models import AttendanceChange, AttendanceMark, AttendanceStatus
from lms.audit.models import AuditEntry
from lms.auth.models import Role, User, UserSession
from lms.certificates.models import Certificate, CertificateSequence, CertificateStatus
from lms.courses.models import (
    Centre,
    CertificateStyle,
    Course,
    CourseModule,
    CourseStatus,
    Run,
    RunStatus,
    Session,
)
from lms.enrolment.models import CancelKind, Enrolment, EnrolmentEvent, EnrolmentState, Outcome
from lms.evidence.models import DocumentBlob, SignedSheet
from lms.jobs.models import ExportJob, JobKind, JobState
from lms.notifications.models import Notification
from lms.privacy.models import PrivacyRequest
from lms.programmes.models import Programme
from lms.surveys.models import (
    EvaluationInvitation,
    Survey,
    SurveyAnswer,
    SurveyOption,
    SurveyQuestion,
    SurveyResponse,
    SurveySection,
)
from lms.trainers.models import TrainerAssignment, TrainerRole

__all__ = [
    "AuditEntry",
    "AttendanceChange",
    "AttendanceMark",
    "AttendanceStatus",
    "CancelKind",
    "Centre",
    "Certificate",
    "CertificateSequence",
    "CertificateStatus",
    "CertificateStyle",
    "Course",
    "CourseModule",
    "CourseStatus",
    "DocumentBlob",
    "Enrolment",
    "EnrolmentEvent",
    "EnrolmentState",
    "EvaluationInvitation",
    "ExportJob",
    "JobKind",
    "JobState",
    "Notification",
    "PrivacyRequest",
    "Programme",
    "Outcome",
    "Role",
    "Run",
    "RunStatus",
    "Session",
    "SignedSheet",
    "Survey",
    "SurveyAnswer",
    "SurveyOption",
    "SurveyQuestion",
    "SurveyResponse",
    "SurveySection",
    "TrainerAssignment",
    "TrainerRole",
    "User",
    "UserSession",
]

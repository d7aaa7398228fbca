"""Erasure within retention (GDPR Art. 17 with Art. 17(3)(b)): an erasure request carried
out erases at once what no retention rule keeps; the evidence an auditor may ask for
(enrolments in runs that took place, attendance, certificates, the audit trail) is kept
until the person's retention end, then pseudonymised by `flask privacy pseudonymise`.

What is erased and what is kept, field by field, is in docs/privacy.md.
"""

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from lms.attendance.models import AttendanceMark
from lms.audit.services import because
from lms.auth import sessions
from lms.auth.models import User, UserSession
from lms.auth.services import add_years, hash_password
from lms.certificates.models import Certificate, Transcript
from lms.courses.models import Run, RunStatus
from lms.enrolment.models import CancelKind, Enrolment, EnrolmentState
from lms.enrolment.services import cancel_enrolment
from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import gettext as _
from lms.i18n import lazy_gettext as _l
from lms.notifications.models import Notification, OutboxState
from lms.notifications.services import notify
from lms.privacy.models import OPEN_STATES, PrivacyRequest, RequestKind, RequestState
from lms.programmes.models import ParticipantData
from lms.programmes.services import kept_until, withdraw_consent
from lms.surveys.models import SurveyAnswer, SurveyResponse
from lms.templating import format_day
from lms.trainers.models import TrainerAssignment

ERASED = "erased"  # UserSession.end_reason of the sessions an erasure ends

# What an erasure erases at once, and what it keeps until the retention end.
ERASED_LABELS = {
    "profile_fields": _l("Contact and profile details (e-mail, phone, organisation, job, "
                         "place, language, calendar feed)"),
    "login_addresses": _l("Addresses (IP) of logins"),
    "sessions": _l("Open logins ended"),
    "optional_answers": _l("Optional (sensitive) answers given with consent"),
    "survey_responses": _l("Survey answers given under the person's name"),
    "future_enrolments": _l("Places and waitlist entries in runs not yet begun, cancelled"),
    "messages": _l("Texts of the messages and e-mails sent"),
}
KEPT_LABELS = {
    "enrolments": _l("Enrolments in runs that took place, with their history"),
    "attendance": _l("Attendance marks"),
    "certificates": _l("Certificates as issued"),
    "transcripts": _l("Transcripts as issued"),
    "participant_data": _l("Answers for the programme's indicators"),
    "assignments": _l("Trainer assignments"),
    "name": _l("Name and register number (on registers and certificates)"),
}
PROFILE_FIELDS = ("pending_email", "phone", "organisation", "job_title", "county",
                  "settlement", "locale", "time_zone", "calendar_key")
OPEN_ENROLMENT = (EnrolmentState.PENDING, EnrolmentState.WAITLISTED, EnrolmentState.ENROLLED)


@dataclass
class ErasurePlan:
    """What carrying out an erasure does: counts of what goes at once, of what is kept,
    and until when (None: nothing is kept; the daily job pseudonymises them the next day)."""

    erased: dict = field(default_factory=dict)
    kept: dict = field(default_factory=dict)
    retain_until: date | None = None
    future_enrolments: list = field(default_factory=list)


def pseudonym(user_id: int) -> str:
    return f"Erased person #{user_id}"


def pseudonymous_email(user_id: int) -> str:
    # .invalid is reserved (RFC 2606): it can never be delivered.
    return f"erased-{user_id}@invalid"


def _evidence_ends(run: Run, years: int) -> date:
    """The last day the evidence of `run` is kept: its programme's retention (the
    funder's rule, or the network's years after the programme ends, whichever is
    later), else the network's years after the run closed (or was cancelled, or ended)."""
    if run.programme is not None:
        return max(kept_until(run.programme), add_years(run.programme.ends_on, years))
    closed = run.closed_at or run.cancelled_at
    day = closed.date() if closed else (run.last_day or run.created_at.date())
    return add_years(day, years)


def erasure_plan(user: User, now: datetime) -> ErasurePlan:
    """What an erasure of `user` would erase now and keep until when (changes nothing)."""
    years = current_app.config["PERSONAL_DATA_RETENTION_YEARS"]
    enrolments = db.session.scalars(
        sa.select(Enrolment).where(Enrolment.user_id == user.id)
        .options(selectinload(Enrolment.run).selectinload(Run.sessions),
                 selectinload(Enrolment.run).selectinload(Run.programme))).all()
    future, kept = [], []
    for enrolment in enrolments:
        run = enrolment.run
        took_place = run.status == RunStatus.CLOSED or run.has_started(now)
        if not took_place and enrolment.state in OPEN_ENROLMENT \
                and run.status != RunStatus.CANCELLED:
            future.append(enrolment)
        elif took_place:  # the register and the audit trail show it, whatever its state
            kept.append(enrolment)
    assignments = db.session.scalars(
        sa.select(TrainerAssignment).where(TrainerAssignment.trainer_id == user.id)
        .options(selectinload(TrainerAssignment.run).selectinload(Run.programme))).all()
    kept_ids = [e.id for e in kept]

    def count(stmt) -> int:
        return db.session.scalar(stmt) or 0

    plan = ErasurePlan(future_enrolments=future)
    plan.erased = {
        "profile_fields": sum(1 for key in PROFILE_FIELDS if getattr(user, key)) + 1,  # e-mail
        "login_addresses": count(sa.select(sa.func.count()).select_from(UserSession).where(
            UserSession.user_id == user.id, UserSession.address != "")),
        "sessions": count(sa.select(sa.func.count()).select_from(UserSession).where(
            UserSession.user_id == user.id, UserSession.ended_at.is_(None))),
        "optional_answers": count(
            sa.select(sa.func.count()).select_from(ParticipantData).join(Enrolment)
            .where(Enrolment.user_id == user.id, ParticipantData.sensitive_consent.is_(True))),
        "survey_responses": count(sa.select(sa.func.count()).select_from(SurveyResponse).where(
            SurveyResponse.user_id == user.id)),
        "future_enrolments": len(future),
        "messages": count(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.user_id == user.id, Notification.body != "",
            Notification.state.in_((OutboxState.SENT, OutboxState.NO_SERVER)))),
    }
    plan.kept = {
        "enrolments": len(kept),
        "attendance": count(sa.select(sa.func.count()).select_from(AttendanceMark).where(
            AttendanceMark.enrolment_id.in_(kept_ids))) if kept_ids else 0,
        "certificates": count(sa.select(sa.func.count()).select_from(Certificate).where(
            Certificate.enrolment_id.in_(kept_ids))) if kept_ids else 0,
        "transcripts": count(sa.select(sa.func.count()).select_from(Transcript).where(
            Transcript.user_id == user.id)),
        "participant_data": count(
            sa.select(sa.func.count()).select_from(ParticipantData)
            .where(ParticipantData.enrolment_id.in_(kept_ids))) if kept_ids else 0,
        "assignments": len(assignments),
    }
    ends = [_evidence_ends(e.run, years) for e in kept]
    ends += [_evidence_ends(a.run, years) for a in assignments]
    if ends:
        plan.retain_until = max(ends)
        plan.kept["name"] = 1
    else:
        plan.kept = {}
    return plan


def _erasure_notice(plan: ErasurePlan, user_id: int):
    def render():
        lines = [_("Your request to erase your personal data has been carried out. Your "
                   "account is closed: it can no longer be used to log in."), "",
                 _("Erased now:")]
        lines += [f"- {ERASED_LABELS[key]}: {n}" for key, n in plan.erased.items() if n]
        lines.append("")
        if plan.retain_until is not None:
            lines.append(_("Kept until %(day)s, because the rules of the trainings' funders "
                           "oblige the centres to keep the evidence of training:",
                           day=format_day(plan.retain_until)))
            lines += [f"- {KEPT_LABELS[key]}: {n}" for key, n in plan.kept.items() if n]
            lines += ["", _("After that day your name is replaced by \"%(pseudonym)s\" and "
                            "nothing else that names you is kept.",
                            pseudonym=pseudonym(user_id))]
        else:
            lines.append(_("Nothing that names you is kept: tomorrow your name is replaced "
                           "by \"%(pseudonym)s\".", pseudonym=pseudonym(user_id)))
        return _("Your personal data has been erased"), "\n".join(lines)

    return render


def outcome_text(plan: ErasurePlan) -> str:
    """The request's answer, in numbers (never a name)."""
    erased = ", ".join(f"{ERASED_LABELS[key]}: {n}" for key, n in plan.erased.items() if n)
    text = _("Erased at once: %(erased)s.", erased=erased or "0")
    if plan.retain_until is not None:
        kept = ", ".join(f"{KEPT_LABELS[key]}: {n}" for key, n in plan.kept.items() if n)
        text += " " + _("Kept until %(day)s, then pseudonymised: %(kept)s.",
                        day=format_day(plan.retain_until), kept=kept)
    else:
        text += " " + _("Nothing is kept: pseudonymised the next day.")
    return text[:2000]


def carry_out_erasure(request: PrivacyRequest, by: User, now: datetime) -> ErasurePlan:
    """An administrator carries out an erasure request: what no retention rule keeps is
    erased now, the account can no longer log in, the person is told (in their
    language) what was erased and what is kept until when; `retain_until` is stored."""
    if request.kind != RequestKind.ERASURE:
        raise DomainError(_("Only an erasure request can be carried out as an erasure."))
    if request.state not in OPEN_STATES:
        raise DomainError(_("This request is already answered."))
    user = request.user
    if user.id == by.id:
        raise DomainError(_("You cannot erase your own account; ask another administrator."))
    plan = erasure_plan(user, now)
    reason = _("Erasure request #%(id)d", id=request.id)
    with because(reason, by=by):
        for enrolment in plan.future_enrolments:
            cancel_enrolment(enrolment, by, now, reason, kind=CancelKind.BY_ADMIN)
        address = user.email
        # Messages not yet sent (the cancellations above, this notice) still reach them.
        notify(user, "erasure", _erasure_notice(plan, user.id))
        db.session.execute(
            sa.update(Notification)
            .where(Notification.user_id == user.id, Notification.to_address.is_(None),
                   Notification.state.not_in((OutboxState.SENT, OutboxState.NO_SERVER)))
            .values(to_address=address))
        db.session.execute(
            sa.update(Notification)
            .where(Notification.user_id == user.id,
                   Notification.state.in_((OutboxState.SENT, OutboxState.NO_SERVER)))
            .values(subject="", body="", ics=None, to_address=None, last_error=""))
        sessions.end_sessions_of(user, ERASED)
        db.session.execute(sa.update(UserSession).where(UserSession.user_id == user.id)
                           .values(address=""))
        for data in db.session.scalars(sa.select(ParticipantData).join(Enrolment).where(
                Enrolment.user_id == user.id, ParticipantData.sensitive_consent.is_(True))):
            withdraw_consent(data, now)
        _delete_survey_responses(user)
        user.email = pseudonymous_email(user.id)
        user.password_hash = hash_password(secrets.token_urlsafe(32))
        user.active = False
        user.pending_email = None
        user.phone = user.organisation = user.job_title = user.county = user.settlement = ""
        user.locale = user.time_zone = user.calendar_key = None
        request.state, request.handled_by_id, request.handled_at = RequestState.DONE, by.id, now
        request.retain_until = plan.retain_until or now.date()
        request.outcome = outcome_text(plan)
    db.session.flush()
    return plan


def _delete_survey_responses(user: User) -> int:
    ids = db.session.scalars(sa.select(SurveyResponse.id).where(
        SurveyResponse.user_id == user.id)).all()
    if ids:
        db.session.execute(sa.delete(SurveyAnswer).where(SurveyAnswer.response_id.in_(ids)))
        db.session.execute(sa.delete(SurveyResponse).where(SurveyResponse.id.in_(ids)))
    return len(ids)


def _scrub(text: str, personal: list[str], replacement: str) -> str:
    for value in personal:
        if value:
            text = text.replace(value, replacement)
    return text


def _erased_facts(facts: dict, name: str) -> dict:
    facts = dict(facts)
    facts.update(holder=name, holder_erased=True, holder_register_number="")
    for key in ("holder_training_period", "holder_organisation"):
        if key in facts:
            facts[key] = None
    return facts


def pseudonymise_person(request: PrivacyRequest, now: datetime) -> None:
    """Replace what still names the person of a carried-out erasure (name, contact,
    register number, the holder on certificates and transcripts, their PDFs, texts of
    messages and requests); delete their participant data; keep the links between
    records, so totals still add up and serials still verify."""
    user = request.user
    name = pseudonym(user.id)
    personal = sorted({user.full_name, user.email, user.phone, user.organisation,
                       user.register_number} - {""}, key=len, reverse=True)
    enrolment_ids = sa.select(Enrolment.id).where(Enrolment.user_id == user.id)
    for certificate in db.session.scalars(sa.select(Certificate).where(
            Certificate.enrolment_id.in_(enrolment_ids))):
        if not certificate.facts.get("holder_erased"):
            certificate.facts = _erased_facts(certificate.facts, name)
        if certificate.pdf:
            certificate.pdf = b""  # its SHA-256 stays as the evidence of what was issued
    for transcript in db.session.scalars(sa.select(Transcript).where(
            Transcript.user_id == user.id)):
        if not transcript.facts.get("holder_erased"):
            transcript.facts = _erased_facts(transcript.facts, name)
        if transcript.pdf:
            transcript.pdf = b""
    for data in db.session.scalars(sa.select(ParticipantData).where(
            ParticipantData.enrolment_id.in_(enrolment_ids))):
        db.session.delete(data)
    for other in db.session.scalars(sa.select(PrivacyRequest).where(
            PrivacyRequest.user_id == user.id)):
        other.details = _scrub(other.details, personal, name)
        other.outcome = _scrub(other.outcome, personal, name)
    db.session.execute(
        sa.update(Notification).where(Notification.user_id == user.id)
        .values(subject="", body="", ics=None, to_address=None, last_error=""))
    db.session.execute(sa.update(UserSession).where(UserSession.user_id == user.id)
                       .values(address=""))
    _delete_survey_responses(user)
    user.full_name, user.email = name, pseudonymous_email(user.id)
    user.pending_email = user.locale = user.time_zone = user.calendar_key = None
    user.phone = user.organisation = user.job_title = user.county = user.settlement = ""
    user.register_number = ""
    user.training_period_start = user.training_period_end = None
    user.active = False
    request.pseudonymised_at = now
    db.session.flush()


def due_for_pseudonymisation(today: date) -> list[PrivacyRequest]:
    """Carried-out erasures whose retention has ended and that are not yet pseudonymised."""
    return list(db.session.scalars(
        sa.select(PrivacyRequest).where(
            PrivacyRequest.kind == RequestKind.ERASURE,
            PrivacyRequest.state == RequestState.DONE,
            PrivacyRequest.retain_until.is_not(None),
            PrivacyRequest.retain_until < today,
            PrivacyRequest.pseudonymised_at.is_(None))
        .options(selectinload(PrivacyRequest.user)).order_by(PrivacyRequest.id)))


def pseudonymise_due(now: datetime) -> int:
    """The daily job: pseudonymise everyone whose retention ended before today. Running it
    again changes nothing (each request is done once, `pseudonymised_at`)."""
    done = 0
    for request in due_for_pseudonymisation(now.date()):
        with because(_("Retention ended (erasure request #%(id)d)", id=request.id)):
            pseudonymise_person(request, now)
        done += 1
    return done


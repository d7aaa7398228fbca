"""Recording funding programmes and putting runs in them."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from lms.audit.services import because
from lms.auth.models import User
from lms.courses.models import Run
from lms.enrolment.models import Enrolment
from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import gettext as _
from lms.programmes.models import (
    SENSITIVE,
    Answer,
    Education,
    Gender,
    LabourStatus,
    ParticipantData,
    Programme,
)
from lms.templating import format_day

FIELDS = (
    "code", "name", "funder", "starts_on", "ends_on", "acknowledgement_hu",
    "acknowledgement_bg", "acknowledgement_en", "asks_participant_data",
    "target_participants", "target_completions", "target_hours", "target_long_runs",
    "target_short_runs", "active",
)


def save_programme(programme: Programme | None, **fields) -> Programme:
    """Create or update a programme; its code is unique and its period runs forwards."""
    fields = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
    if fields["ends_on"] < fields["starts_on"]:
        raise DomainError(_("The period must end on or after the day it starts."), "ends_on")
    clash = db.session.scalar(sa.select(Programme).where(
        sa.func.lower(Programme.code) == fields["code"].lower()))
    if clash is not None and clash is not programme:
        raise DomainError(_("Another programme already has this code."), "code")
    programme = programme or Programme()
    for key, value in fields.items():
        setattr(programme, key, value)
    db.session.add(programme)
    db.session.flush()
    return programme


def programmes(active_only: bool = False) -> list[Programme]:
    """Programmes, the newest period first."""
    stmt = sa.select(Programme).order_by(Programme.starts_on.desc(), Programme.code)
    if active_only:
        stmt = stmt.where(Programme.active.is_(True))
    return list(db.session.scalars(stmt))


# ---------------------------------------------------------------- participant data

# ESF+ documents are kept for five years from 31 December of the year of the last
# payment (Regulation (EU) 2021/1060, Article 82); counted here from the period's end.
RETENTION_YEARS = 5
YOUNGEST_AGE = 14


def asks_participant_data(run: Run) -> bool:
    return run.programme is not None and run.programme.asks_participant_data


def kept_until(programme: Programme) -> date:
    """The last day the participant data of the programme's runs is kept."""
    return date(programme.ends_on.year + RETENTION_YEARS, 12, 31)


def consent_wording(programme: Programme) -> str:
    """The consent to the sensitive questions, in the current language, as it is shown
    and as it is kept with the answers."""
    return _("I agree that my answers to the optional questions below, which may reveal "
             "my health, origin or living conditions, are recorded for the reports of "
             "the programme %(programme)s and kept until %(day)s. I may withdraw this "
             "consent at any time under My trainings; these answers are then erased.",
             programme=f"{programme.code} ({programme.name})",
             day=format_day(kept_until(programme)))


def record_participant_data(enrolment: Enrolment, answers: dict, language: str,
                            now: datetime, reason: str = "") -> ParticipantData:
    """Keep the trainee's answers for the programme's indicators. The first answers are
    those at entry; a change later needs a reason, kept in the audit log with the
    values before and after."""
    programme = enrolment.run.programme
    if programme is None:
        raise DomainError(_("This run belongs to no programme that asks these questions."))
    data = enrolment.participant_data
    reason = (reason or "").strip()
    if data is not None and not reason:
        raise DomainError(_("Give the reason for changing the answers given at enrolment."),
                          "reason")
    year = answers["birth_year"]
    if not 1900 <= year <= now.year - YOUNGEST_AGE:
        raise DomainError(_("Enter a year of birth between %(first)d and %(last)d.",
                            first=1900, last=now.year - YOUNGEST_AGE), "birth_year")
    consent = bool(answers.get("sensitive_consent"))
    values = {
        "gender": Gender(answers["gender"]), "birth_year": year,
        "labour_status": LabourStatus(answers["labour_status"]),
        "education": Education(answers["education"]), "sensitive_consent": consent,
    }
    for name in SENSITIVE:
        given = answers.get(name) or Answer.UNDISCLOSED.value
        values[name] = Answer(given) if consent else None
    if consent and not (data is not None and data.sensitive_consent):
        values.update(consent_text=consent_wording(programme), consent_language=language,
                      consent_at=now)
    elif not consent:
        values.update(consent_text="", consent_language="", consent_at=None)
    with because(reason):
        if data is None:
            data = ParticipantData(enrolment=enrolment, answered_at=now)
            db.session.add(data)
        else:
            data.updated_at = now
        for key, value in values.items():
            setattr(data, key, value)
        db.session.flush()
    return data


def last_answers(user: User) -> ParticipantData | None:
    """The trainee's latest answers to any programme, to fill the form in for them."""
    return db.session.scalar(
        sa.select(ParticipantData).join(ParticipantData.enrolment)
        .where(Enrolment.user_id == user.id)
        .order_by(ParticipantData.answered_at.desc(), ParticipantData.id.desc()).limit(1))


def runs_asking_participant_data(runs: list[Run]) -> set[int]:
    """Which of `runs` ask the indicator questions at enrolment: one query, however many."""
    ids = {run.programme_id for run in runs if run.programme_id is not None}
    if not ids:
        return set()
    asking = set(db.session.scalars(sa.select(Programme.id).where(
        Programme.id.in_(ids), Programme.asks_participant_data.is_(True))))
    return {run.id for run in runs if run.programme_id in asking}


def consents_of(user: User) -> list[ParticipantData]:
    """The trainee's answers kept with their consent to the optional questions."""
    return list(db.session.scalars(
        sa.select(ParticipantData).join(ParticipantData.enrolment)
        .where(Enrolment.user_id == user.id, ParticipantData.sensitive_consent.is_(True))
        .options(joinedload(ParticipantData.enrolment).joinedload(Enrolment.run)
                 .joinedload(Run.course),
                 joinedload(ParticipantData.enrolment).joinedload(Enrolment.run)
                 .joinedload(Run.programme))
        .order_by(ParticipantData.answered_at.desc())))


def withdraw_consent(data: ParticipantData, now: datetime) -> ParticipantData:
    """The trainee withdraws the consent to the optional questions: those answers are
    erased (the audit log kept only that they changed, never what they said)."""
    if not data.sensitive_consent:
        raise DomainError(_("There is no consent to withdraw."))
    data.sensitive_consent = False
    data.consent_text, data.consent_language, data.consent_at = "", "", None
    for name in SENSITIVE:
        setattr(data, name, None)
    data.updated_at = now
    db.session.flush()
    return data

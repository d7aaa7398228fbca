"""Issuing, revoking and reissuing certificates (DESIGN rule 6: nothing issued is rewritten)."""

import hashlib
import secrets
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import defer, joinedload

from lms.auth.models import User
from lms.certificates.models import (
    Certificate,
    CertificateSequence,
    CertificateStatus,
    Transcript,
)
from lms.certificates.points import points_by_period
from lms.certificates.render_pool import render_certificates
from lms.certificates.rendering import render_certificate, render_transcript
from lms.clock import utcnow
from lms.courses.models import Run, RunStatus
from lms.enrolment.models import Enrolment, EnrolmentState, Outcome
from lms.enrolment.progress import progress_for
from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import LANGUAGE_NAMES
from lms.i18n import gettext as _
from lms.pdf import join_pdfs
from lms.programmes.models import Gender, ParticipantData
from lms.templating import format_hours
from lms.trainers.models import TrainerAssignment, TrainerRole
from lms.urls import public_url


def next_number(centre_id: int, year: int) -> int:
    """The centre's next serial number for the year, gap-free and safe under concurrency.

    The counter row is created if missing (insert-or-ignore) and then incremented
    with UPDATE ... RETURNING: the row lock (PostgreSQL) or the write lock
    (SQLite) makes concurrent issuers queue, and a rollback returns the number.
    """
    dialect = db.engine.dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
        CertificateSequence
    ).values(centre_id=centre_id, year=year, last_number=0)
    db.session.execute(insert.on_conflict_do_nothing())
    return db.session.execute(
        sa.update(CertificateSequence)
        .where(CertificateSequence.centre_id == centre_id, CertificateSequence.year == year)
        .values(last_number=CertificateSequence.last_number + 1)
        .returning(CertificateSequence.last_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def verification_url(code: str) -> str:
    """The short verification address printed (and QR-coded) on a certificate, for ever."""
    return public_url("certificates.verify_short", code=code)


def missing_minutes(enrolment: Enrolment) -> int:
    progress = progress_for([enrolment])[enrolment.id]
    return max(progress.required - progress.attended, 0)


def trainer_names(run: Run) -> list[str]:
    """Who signs as the run's trainer: its lead trainers (else every trainer on it)."""
    rows = db.session.execute(
        sa.select(User.full_name, TrainerAssignment.role)
        .join(TrainerAssignment.trainer)
        .where(TrainerAssignment.run_id == run.id, TrainerAssignment.removed_at.is_(None))
        .order_by(TrainerAssignment.id)
    ).all()
    leads = [name for name, role in rows if role == TrainerRole.LEAD]
    return leads or [name for name, _role in rows]


GRAMMATICAL_FORMS = {Gender.FEMALE: "feminine", Gender.MALE: "masculine"}


def grammatical_form(enrolment: Enrolment) -> str:
    """The form the wording takes for the holder ("завършила" or "завършил"): from the
    gender they gave for this enrolment (or, failing that, their latest answer in a
    programme); neutral when they gave none, or preferred not to say."""
    gender = db.session.scalar(
        sa.select(ParticipantData.gender)
        .join(ParticipantData.enrolment)
        .where(Enrolment.user_id == enrolment.user_id)
        .order_by((ParticipantData.enrolment_id == enrolment.id).desc(),
                  ParticipantData.answered_at.desc())
        .limit(1)
    )
    return GRAMMATICAL_FORMS.get(gender, "neutral")


def _facts(enrolment: Enrolment, serial: str, code: str, issued: date) -> dict:
    run, user = enrolment.run, enrolment.user
    course, centre = run.course, run.centre
    attended = progress_for([enrolment])[enrolment.id].attended
    return {
        "serial": serial,
        "verification_code": code,
        "verification_url": verification_url(code),
        "issue_date": issued.isoformat(),
        "place": centre.city,
        "holder": user.full_name,
        # as the holder had recorded them on the day of issue (accredited training in Hungary)
        "holder_register_number": user.register_number,
        "holder_training_period": {
            "start": user.training_period_start.isoformat(),
            "end": user.training_period_end.isoformat() if user.training_period_end else None,
        } if user.training_period_start else None,
        "form": grammatical_form(enrolment),
        "course": course.title,
        "course_code": course.code,
        "hours": course.total_hours,
        "attended_hours": round(attended / 60, 2),
        "first_day": run.first_date.isoformat(),
        "last_day": run.last_date.isoformat(),
        "modules": [m.title for m in course.modules],
        "trainers": trainer_names(run),
        "accreditation_number": course.accreditation_number,
        "credit_points": course.credit_points,
        "registration_number": run.registration_number,
        "funding_note": run.funding_line,
        "language": run.language,
        "style": run.certificate_style.value,
        "bilingual": run.certificate_bilingual,
        "centre": {
            "name": centre.name,
            "organisation": centre.organisation,
            "city": centre.city,
            "region": centre.region,
            "country": centre.country,
            "address": centre.address,
            "signatory_name": centre.signatory_name,
            "signatory_title": centre.signatory_title,
        },
    }


def valid_certificate(enrolment: Enrolment) -> Certificate | None:
    return db.session.scalar(
        sa.select(Certificate)
        .where(
            Certificate.enrolment_id == enrolment.id, Certificate.status == CertificateStatus.VALID
        )
        .options(defer(Certificate.pdf))
    )


def _prepare_certificate(
    enrolment: Enrolment, today: date
) -> tuple[int, str, str, dict]:
    """Check that the enrolment may have a certificate; take its number, code and facts."""
    run = enrolment.run
    if run.status != RunStatus.CLOSED:
        raise DomainError(_("Certificates are issued once the run is closed."))
    if enrolment.state != EnrolmentState.ENROLLED or enrolment.outcome != Outcome.COMPLETED:
        missing = missing_minutes(enrolment)
        raise DomainError(
            _(
                "%(name)s did not complete the run: %(hours)s hours are missing.",
                name=enrolment.user.full_name,
                hours=format_hours(missing / 60),
            )
        )
    existing = valid_certificate(enrolment)
    if existing is not None:
        raise DomainError(
            _(
                "%(name)s already has certificate %(serial)s.",
                name=enrolment.user.full_name,
                serial=existing.serial,
            )
        )
    number = next_number(run.centre_id, today.year)
    serial = f"{run.centre.serial_prefix}-{today.year}-{number:04d}"
    code = secrets.token_urlsafe(16)
    return number, serial, code, _facts(enrolment, serial, code, today)


def _store_certificate(
    enrolment: Enrolment, by: User, today: date, prepared: tuple[int, str, str, dict],
    pdf: bytes, supersedes: Certificate | None = None,
) -> Certificate:
    number, serial, code, facts = prepared
    certificate = Certificate(
        enrolment=enrolment,
        centre_id=enrolment.run.centre_id,
        year=today.year,
        sequence=number,
        serial=serial,
        verification_code=code,
        issue_date=today,
        issued_by_id=by.id,
        facts=facts,
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        status=CertificateStatus.VALID,
        supersedes=supersedes,
    )
    db.session.add(certificate)
    db.session.flush()
    return certificate


def issue_certificate(
    enrolment: Enrolment, by: User, today: date, supersedes: Certificate | None = None
) -> Certificate:
    """Issue the certificate of a completed enrolment, its facts and PDF frozen from now on."""
    prepared = _prepare_certificate(enrolment, today)
    pdf = render_certificate(prepared[3])
    return _store_certificate(enrolment, by, today, prepared, pdf, supersedes)


def completed_enrolments(run: Run) -> list[Enrolment]:
    """The run's completed trainees in roster (name) order."""
    rows = db.session.scalars(
        sa.select(Enrolment)
        .where(
            Enrolment.run_id == run.id,
            Enrolment.state == EnrolmentState.ENROLLED,
            Enrolment.outcome == Outcome.COMPLETED,
        )
        .options(joinedload(Enrolment.user))
    ).all()
    return sorted(rows, key=lambda e: e.user.full_name.casefold())


def next_serial_preview(run: Run, year: int) -> str:
    """The serial the centre's next certificate of `year` would get (nothing is taken)."""
    last = db.session.scalar(
        sa.select(CertificateSequence.last_number).where(
            CertificateSequence.centre_id == run.centre_id, CertificateSequence.year == year)
    ) or 0
    return f"{run.centre.serial_prefix}-{year}-{last + 1:04d}"


def issue_all_preview(run: Run) -> tuple[list[Enrolment], int, int]:
    """Who `issue_all` would give a certificate now; how many already hold a valid one;
    how many of the enrolled did not complete the run."""
    completed = completed_enrolments(run)
    holding = set(db.session.scalars(
        sa.select(Certificate.enrolment_id)
        .join(Certificate.enrolment)
        .where(Enrolment.run_id == run.id, Certificate.status == CertificateStatus.VALID)
    ))
    enrolled = db.session.scalar(
        sa.select(sa.func.count()).select_from(Enrolment)
        .where(Enrolment.run_id == run.id, Enrolment.state == EnrolmentState.ENROLLED)
    )
    todo = [e for e in completed if e.id not in holding]
    return todo, len(completed) - len(todo), enrolled - len(completed)


def issue_all(run: Run, by: User, today: date) -> list[Certificate]:
    """Certificates for every completed trainee who has none yet; running it again adds none.

    Numbers and facts are taken in roster order in this transaction; the PDFs are
    then rendered on every core (render_pool) and stored here."""
    todo = [e for e in completed_enrolments(run) if valid_certificate(e) is None]
    prepared = [_prepare_certificate(e, today) for e in todo]
    pdfs = render_certificates([facts for _n, _s, _c, facts in prepared], render_certificate)
    return [
        _store_certificate(e, by, today, p, pdf)
        for e, p, pdf in zip(todo, prepared, pdfs, strict=True)
    ]


def revoke(certificate: Certificate, by: User, reason: str) -> Certificate:
    if certificate.status != CertificateStatus.VALID:
        raise DomainError(_("Only a valid certificate can be revoked."))
    if not reason.strip():
        raise DomainError(_("Give the reason for revoking."), "reason")
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at, certificate.revoked_by = utcnow(), by
    certificate.revoke_reason = reason.strip()
    db.session.flush()
    return certificate


def reissue(certificate: Certificate, by: User, today: date) -> Certificate:
    """A new certificate (new serial, today's facts) that supersedes a revoked one."""
    if certificate.status != CertificateStatus.REVOKED:
        raise DomainError(_("Revoke the certificate first, giving the reason, then reissue it."))
    certificate.status = CertificateStatus.SUPERSEDED
    db.session.flush()
    return issue_certificate(certificate.enrolment, by, today, supersedes=certificate)


def find_by_code(code: str) -> Certificate | None:
    if not code or len(code) > 64:
        return None
    return db.session.scalar(
        sa.select(Certificate)
        .where(Certificate.verification_code == code)
        .options(
            defer(Certificate.pdf),
            joinedload(Certificate.superseded_by).defer(Certificate.pdf),
        )
    )


def run_certificates(run: Run) -> dict[int, list[Certificate]]:
    """Every certificate of the run by enrolment, newest first (without the PDF bytes,
    read only if asked for)."""
    rows = db.session.scalars(
        sa.select(Certificate)
        .join(Certificate.enrolment)
        .where(Enrolment.run_id == run.id)
        .options(defer(Certificate.pdf))
        .order_by(Certificate.id.desc())
    )
    result: dict[int, list[Certificate]] = {}
    for certificate in rows:
        result.setdefault(certificate.enrolment_id, []).append(certificate)
    return result


def bulk_pdf(run: Run) -> bytes:
    """All valid certificates of the run as one PDF, one a page, in roster order.

    The pages are the PDFs as issued, joined: nothing is re-rendered, so each
    page costs the same however large the run. One query reads just the PDF
    bytes (whether or not the model defers them)."""
    rows = db.session.execute(
        sa.select(User.full_name, Enrolment.id, Certificate.id, Certificate.pdf)
        .join(Certificate.enrolment)
        .join(Enrolment.user)
        .where(
            Enrolment.run_id == run.id,
            Enrolment.state == EnrolmentState.ENROLLED,
            Enrolment.outcome == Outcome.COMPLETED,
            Certificate.status == CertificateStatus.VALID,
        )
    ).all()
    if not rows:
        raise DomainError(_("No certificate has been issued for this run yet."))
    # A holder's PDF erased after the retention (lms.privacy.erasure) is left out.
    rows = [row for row in rows if row[3]]
    if not rows:
        raise DomainError(_("No certificate has been issued for this run yet."))
    rows.sort(key=lambda row: (row[0].casefold(), row[1], -row[2]))
    return join_pdfs(row[3] for row in rows)


def certificates_of(user: User) -> list[Certificate]:
    return list(
        db.session.scalars(
            sa.select(Certificate)
            .join(Certificate.enrolment)
            .where(Enrolment.user_id == user.id)
            .options(defer(Certificate.pdf))
            .order_by(Certificate.issue_date.desc(), Certificate.id.desc())
        )
    )


# ---------------------------------------------------------------- transcripts


def transcript_language(user: User, screen: str) -> str:
    """The language of a transcript: the holder's profile language, else the screen's."""
    for language in (user.locale, screen):
        if language in LANGUAGE_NAMES:
            return language
    return "en"


def _transcript_row(certificate: Certificate) -> dict:
    c = certificate.facts
    return {
        "serial": certificate.serial,
        "certificate_issue_date": certificate.issue_date.isoformat(),
        "course": c["course"],
        "course_code": c["course_code"],
        "centre": c["centre"]["name"],
        "centre_city": c["centre"]["city"],
        "first_day": c["first_day"],
        "last_day": c["last_day"],
        "hours": c["hours"],
        "accreditation_number": c.get("accreditation_number") or "",
        "credit_points": c.get("credit_points"),
    }


def _transcript_facts(user: User, certificates: list[Certificate], code: str, language: str,
                      issued_at: datetime, issue_date: date) -> dict:
    """What a transcript states, from the certificates' own frozen facts (not today's
    course or centre records): a later edit changes no issued transcript."""
    rows = sorted((_transcript_row(c) for c in certificates),
                  key=lambda row: (row["first_day"], row["last_day"], row["serial"]))
    centres = {}
    for certificate in certificates:
        centre = certificate.facts["centre"]
        centres.setdefault(centre["name"], {key: centre.get(key) or "" for key in (
            "name", "organisation", "city", "country")})
    points = [row["credit_points"] for row in rows if row["credit_points"] is not None]
    return {
        "verification_code": code,
        "verification_url": verification_url(code),
        "issue_date": issue_date.isoformat(),
        "issued_at": issued_at.isoformat(),
        "language": language,
        "holder": user.full_name,
        "holder_organisation": user.organisation,
        "issuer": {
            "network": current_app.config["NETWORK_NAME"],
            "centres": sorted(centres.values(), key=lambda centre: centre["name"].casefold()),
        },
        "rows": rows,
        "total_hours": sum(row["hours"] for row in rows),
        "total_credit_points": sum(points) if points else None,
        # Continuing-training points per training period (Hungary), as on My trainings.
        "holder_register_number": user.register_number or "",
        "points_periods": [
            {"start": period.start.isoformat() if period.start else None,
             "end": period.end.isoformat() if period.end else None,
             "current": period.current, "points": period.points,
             "trainings": [{"course": c.facts["course"], "serial": c.serial,
                            "accreditation_number": c.facts["accreditation_number"],
                            "credit_points": c.facts["credit_points"]}
                           for c in period.certificates]}
            for period in points_by_period(user, certificates)
        ],
    }


def issue_transcript(user: User, language: str, now: datetime, today: date) -> Transcript:
    """Issue `user` a transcript of their certificates valid now, in `language`; its facts
    and PDF are frozen from now on (as a certificate's, DESIGN rule 6)."""
    certificates = [c for c in certificates_of(user) if c.status == CertificateStatus.VALID]
    if not certificates:
        raise DomainError(_("You have no valid certificate yet, so a transcript would be "
                            "empty."))
    code = secrets.token_urlsafe(16)
    facts = _transcript_facts(user, certificates, code, language, now, today)
    pdf = render_transcript(facts)
    transcript = Transcript(user=user, verification_code=code, issue_date=today, issued_at=now,
                            language=language, facts=facts, pdf=pdf,
                            pdf_sha256=hashlib.sha256(pdf).hexdigest())
    db.session.add(transcript)
    db.session.flush()
    return transcript


def transcripts_query(user: User) -> sa.Select:
    """The transcripts issued to `user`, newest first (without their PDF bytes)."""
    return (sa.select(Transcript).where(Transcript.user_id == user.id)
            .order_by(Transcript.issued_at.desc(), Transcript.id.desc()))


def find_transcript_by_code(code: str) -> Transcript | None:
    if not code or len(code) > 64:
        return None
    return db.session.scalar(sa.select(Transcript).where(Transcript.verification_code == code))


def certificate_states(serials: list[str]) -> dict[str, CertificateStatus]:
    """The status today of the certificates with these serials (one query)."""
    rows = db.session.execute(sa.select(Certificate.serial, Certificate.status)
                              .where(Certificate.serial.in_(serials)))
    return {serial: status for serial, status in rows}

"""The evidence pack of a closed run: one ZIP holding everything an auditor asks for,
each file listed with its SHA-256 in `manifest.json` (and in `SHA256SUMS`, which
`sha256sum -c` reads), and a one-page cover carrying the manifest's own hash and the
audit chain's head when the pack was made.

The pack speaks the run's language and tells times as the run's centre's clock, so
that it reads the same whoever downloads it. Its files are deterministic: the same
run gives the same files and so the same manifest (the XLSX and ZIP members are
dated at the run's closing, PDFs are rendered without a date). Only the cover, which
says when and by whom the pack was made, differs from one download to the next.
"""

import hashlib
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import render_template
from sqlalchemy.orm import defer, joinedload

from lms.attendance import services as attendance
from lms.attendance.exports import register_pdf, register_xlsx
from lms.attendance.models import AttendanceChange, AttendanceMark
from lms.attendance.sign_in_sheet import render_sign_in_sheet
from lms.audit import presentation
from lms.audit import services as audit
from lms.audit.chain import head
from lms.audit.labels import value_labels
from lms.auth.models import User
from lms.certificates.models import Certificate, CertificateStatus
from lms.clock import wall_clock
from lms.courses.models import Run, RunStatus, Session
from lms.enrolment.models import Enrolment, EnrolmentEvent, EnrolmentState
from lms.errors import DomainError
from lms.evidence.models import SignedSheet
from lms.evidence.services import EXTENSIONS, blob_bytes
from lms.exports import csv_bytes
from lms.extensions import db
from lms.i18n import gettext as _
from lms.i18n import speaking
from lms.pdf import render_pdf
from lms.templating import format_hours
from lms.trainers.services import run_assignments, trainers_by_session

FORMAT = "forras-evidence-pack/1"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
COVER = "00-cover.pdf"
# Already compressed: stored as they are, which is faster and changes nothing.
STORED = {".pdf", ".jpg", ".png", ".xlsx"}


@dataclass
class PackFile:
    """One file of the pack; `produce` makes its bytes only when the ZIP is written."""

    path: str
    description: str
    media_type: str
    produce: Callable[[], bytes]
    extra: dict = field(default_factory=dict)


@dataclass
class Pack:
    """A written pack: the ZIP in a temporary file, and what its cover and the audit
    log's download event say of it."""

    run: Run
    filename: str
    file: tempfile.SpooledTemporaryFile
    manifest_sha256: str
    chain_head: tuple[int, str]
    files: int
    missing: list[str]


def pack_name(run: Run) -> str:
    return f"forras-evidence-{run.course.code}-run{run.id}"


def build_pack(run: Run, by: User, now: datetime,
               progress: Callable[[int, int], None] | None = None) -> Pack:
    """Write the evidence pack of the closed `run` into a temporary file (on disk past a
    few megabytes), file by file, so no scan sits in memory longer than its turn.
    `progress(done, total)`, if given, is told after each file (the job worker's
    heartbeat)."""
    if run.status != RunStatus.CLOSED:
        raise DomainError(_("The evidence pack is made for a closed run. Close the run "
                            "first: its register is final then."))
    name = pack_name(run)
    chain_head = head(db.session.connection())
    closed = wall_clock(run.closed_at, run.zone)
    out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    listed, missing = [], []
    with speaking(run.language, run.zone), zipfile.ZipFile(out, "w") as archive:
        facts = _facts(run)
        items = list(_files(run, facts))  # each produces its bytes only when asked
        for number, item in enumerate(items, start=1):
            if progress is not None:
                progress(number - 1, len(items))
            try:
                data = item.produce()
            except FileNotFoundError:
                # A scan gone from SIGNED_SHEET_DIR: the pack says so rather than fail.
                missing.append(item.path)
                continue
            _add(archive, f"{name}/{item.path}", data, closed)
            listed.append({"path": item.path, "sha256": hashlib.sha256(data).hexdigest(),
                           "bytes": len(data), "media_type": item.media_type,
                           "description": item.description, **item.extra})
        manifest = _manifest(run, facts, listed, missing)
        manifest_sha256 = hashlib.sha256(manifest).hexdigest()
        _add(archive, f"{name}/{MANIFEST}", manifest, closed)
        sums = "".join(f"{f['sha256']}  {f['path']}\n" for f in listed)
        sums += f"{manifest_sha256}  {MANIFEST}\n"
        _add(archive, f"{name}/{SUMS}", sums.encode(), closed)
        cover = _cover(run, facts, by, now, manifest_sha256, chain_head, len(listed), missing)
        _add(archive, f"{name}/{COVER}", cover, closed)
    out.seek(0)
    return Pack(run, f"{name}.zip", out, manifest_sha256, chain_head, len(listed), missing)


def _add(archive: zipfile.ZipFile, path: str, data: bytes, when: datetime) -> None:
    member = zipfile.ZipInfo(path, date_time=when.timetuple()[:6])
    member.external_attr = 0o644 << 16
    stored = any(path.endswith(ext) for ext in STORED)
    member.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    archive.writestr(member, data)


# ---------------------------------------------------------------- what the run holds


@dataclass
class Facts:
    """Everything the pack is made from, read once."""

    register: attendance.Register
    enrolments: list[Enrolment]
    sessions: list[Session]
    trainers: dict[int, list[User]]
    sheets: list[SignedSheet]
    certificates: list[Certificate]
    changes: list[AttendanceChange]
    corrected: set[int]  # marks changed after the run was closed

    @property
    def late_changes(self) -> list[AttendanceChange]:
        return [c for c in self.changes if c.changed_at > self.register.run.closed_at]


def _facts(run: Run) -> Facts:
    register = attendance.register(run)
    sessions = register.sessions
    trainers = trainers_by_session(run, sessions)
    enrolments = list(db.session.scalars(
        sa.select(Enrolment).where(Enrolment.run_id == run.id)
        .options(joinedload(Enrolment.user), joinedload(Enrolment.cancelled_by))
        .order_by(Enrolment.id)))
    enrolments.sort(key=lambda e: (e.user.full_name.casefold(), e.id))
    sheets = list(db.session.scalars(
        sa.select(SignedSheet).join(SignedSheet.session).where(Session.run_id == run.id)
        .options(joinedload(SignedSheet.uploaded_by), joinedload(SignedSheet.replaced_by))
        .order_by(SignedSheet.id)))
    certificates = list(db.session.scalars(
        sa.select(Certificate).join(Certificate.enrolment).where(Enrolment.run_id == run.id)
        .options(defer(Certificate.pdf), joinedload(Certificate.revoked_by))
        .order_by(Certificate.year, Certificate.sequence)))
    changes = list(db.session.scalars(
        sa.select(AttendanceChange).join(AttendanceChange.mark)
        .join(AttendanceMark.session).where(Session.run_id == run.id)
        .options(joinedload(AttendanceChange.changed_by),
                 joinedload(AttendanceChange.mark).joinedload(AttendanceMark.enrolment)
                 .joinedload(Enrolment.user),
                 joinedload(AttendanceChange.mark).joinedload(AttendanceMark.session))
        .order_by(AttendanceChange.id)))
    corrected = {c.mark_id for c in changes if c.changed_at > run.closed_at}
    return Facts(register, enrolments, sessions, trainers, sheets, certificates, changes,
                 corrected)


def _session_folder(number: int, session: Session) -> str:
    return f"sessions/{number:02d}-{session.date.isoformat()}"


def _files(run: Run, facts: Facts) -> Iterator[PackFile]:
    signed = {s.session_id for s in facts.sheets if s.replaced_at is None}
    yield PackFile("register/register.pdf", _("Attendance register (PDF)"), "application/pdf",
                   lambda: register_pdf(facts.register, facts.corrected, signed,
                                        facts.trainers))
    yield PackFile("register/register.xlsx", _("Attendance register (Excel)"),
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   lambda: register_xlsx(facts.register, frozen_at=run.closed_at))
    yield PackFile("register/attendance-changes.csv",
                   _("Every attendance mark and each change to it: who, when, why"),
                   "text/csv", lambda: _changes_csv(run, facts))
    # Those who held a place at closing, by name: the rows each sheet was printed with.
    roster = [row.enrolment for row in facts.register.rows]
    for number, session in enumerate(facts.sessions, start=1):
        folder = _session_folder(number, session)
        yield PackFile(
            f"{folder}/sign-in-sheet.pdf",
            _("Sign-in sheet of %(day)s, as printed for signing", day=session.date.isoformat()),
            "application/pdf",
            lambda session=session: render_sign_in_sheet(
                session, roster, facts.trainers[session.id]))
        for sheet in (s for s in facts.sheets if s.session_id == session.id):
            yield _sheet_file(folder, sheet, run)
    for certificate in facts.certificates:
        # A holder pseudonymised after the retention (lms.privacy.erasure): the PDF, which
        # named them, is no longer kept; the roster still lists the serial.
        if not certificate.facts.get("holder_erased"):
            yield _certificate_file(certificate)
    yield PackFile("roster/enrolments.csv",
                   _("Everyone who enrolled: state, outcome, hours, certificates"),
                   "text/csv", lambda: _enrolments_csv(facts))
    yield PackFile("roster/enrolment-history.csv",
                   _("Each enrolment's full history: every change of state, who, when, why"),
                   "text/csv", lambda: _history_csv(run, facts))
    yield PackFile("audit/audit-extract.csv",
                   _("The audit log's entries about this run and its records, with each "
                     "entry's place and hash in the chain"),
                   "text/csv", lambda: _audit_csv(run, facts))


def _sheet_file(folder: str, sheet: SignedSheet, run: Run) -> PackFile:
    extension = EXTENSIONS[sheet.media_type]
    extra = {"uploaded_at": _utc(sheet.uploaded_at),
             "uploaded_by": sheet.uploaded_by.full_name,
             "original_filename": sheet.filename}
    if sheet.uploaded_at > run.closed_at:
        extra["uploaded_after_closing"] = True
    if sheet.replaced_at is None:
        path = f"{folder}/signed-sheet-{sheet.id}.{extension}"
        description = _("Signed sign-in sheet, as uploaded")
    else:
        path = f"{folder}/signed-sheet-{sheet.id}-replaced.{extension}"
        description = _("Signed sign-in sheet, replaced by a later upload")
        extra.update(status="replaced", replaced_at=_utc(sheet.replaced_at),
                     replaced_by=sheet.replaced_by.full_name if sheet.replaced_by else "",
                     reason=sheet.replace_reason)
    return PackFile(path, description, sheet.media_type, lambda: blob_bytes(sheet.blob),
                    extra)


def _certificate_file(certificate: Certificate) -> PackFile:
    status = certificate.status
    words = value_labels().get(("Certificate", "status"), {})
    extra = {"serial": certificate.serial, "status": status.value,
             "holder": certificate.facts.get("holder", ""),
             "issued_on": certificate.issue_date.isoformat()}
    suffix = "" if status == CertificateStatus.VALID else f"-{status.value}"
    if status == CertificateStatus.REVOKED:
        extra.update(revoked_at=_utc(certificate.revoked_at), reason=certificate.revoke_reason)
    description = _("Certificate %(serial)s as issued (%(status)s)", serial=certificate.serial,
                    status=words.get(status.value, status.value))
    return PackFile(f"certificates/{certificate.serial}{suffix}.pdf", description,
                    "application/pdf", lambda: _certificate_pdf(certificate.id), extra)


def _certificate_pdf(certificate_id: int) -> bytes:
    # The stored bytes, read one certificate at a time.
    return db.session.scalar(sa.select(Certificate.pdf).where(Certificate.id == certificate_id))


def _utc(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def _local(moment: datetime | None, run: Run) -> str:
    return wall_clock(moment, run.zone).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


# ---------------------------------------------------------------- the tables


def _changes_csv(run: Run, facts: Facts) -> bytes:
    words = value_labels()[("AttendanceMark", "status")]
    zone = run.zone.key
    header = [_("Session"), _("Trainee"), _("When (%(zone)s)", zone=zone), _("When (UTC)"),
              _("Who"), _("Before"), _("Hours before"), _("After"), _("Hours after"),
              _("Reason"), _("After closing")]
    rows = (
        [c.mark.session.date.isoformat(), c.mark.enrolment.user.full_name,
         _local(c.changed_at, run), _utc(c.changed_at), c.changed_by.full_name,
         words.get(c.old_status.value, "") if c.old_status else "",
         "" if c.old_minutes is None else format_hours(c.old_minutes / 60),
         words.get(c.new_status.value, c.new_status.value), format_hours(c.new_minutes / 60),
         c.reason, _yes(c.changed_at > run.closed_at)]
        for c in facts.changes
    )
    return csv_bytes(header, rows)


def _enrolments_csv(facts: Facts) -> bytes:
    labels = value_labels()
    states, outcomes = labels[("Enrolment", "state")], labels[("Enrolment", "outcome")]
    run = facts.register.run
    attended = {row.enrolment.id: row.attended for row in facts.register.rows}
    serials: dict[int, list[str]] = {}
    for certificate in facts.certificates:
        serials.setdefault(certificate.enrolment_id, []).append(certificate.serial)
    header = [_("Name"), _("E-mail"), _("Organisation"), _("State"), _("Outcome"),
              _("Hours attended"), _("Certificates"), _("Enrolled at (%(zone)s)",
                                                          zone=run.zone.key),
              _("Cancelled at"), _("Cancelled by"), _("Reason")]
    rows = (
        [e.user.full_name, e.user.email, e.user.organisation, states.get(e.state.value, ""),
         outcomes.get(e.outcome.value, "") if e.outcome else "",
         format_hours(attended[e.id] / 60) if e.id in attended else "",
         ", ".join(serials.get(e.id, [])), _local(e.created_at, run),
         _local(e.cancelled_at, run), e.cancelled_by.full_name if e.cancelled_by else "",
         e.cancel_reason]
        for e in facts.enrolments
    )
    return csv_bytes(header, rows)


def _history_csv(run: Run, facts: Facts) -> bytes:
    states = value_labels()[("Enrolment", "state")]
    events = db.session.scalars(
        sa.select(EnrolmentEvent).join(EnrolmentEvent.enrolment)
        .where(Enrolment.run_id == run.id)
        .options(joinedload(EnrolmentEvent.by),
                 joinedload(EnrolmentEvent.enrolment).joinedload(Enrolment.user))
        .order_by(EnrolmentEvent.at, EnrolmentEvent.id))
    header = [_("Name"), _("E-mail"), _("When (%(zone)s)", zone=run.zone.key), _("When (UTC)"),
              _("From"), _("To"), _("Who"), _("Reason")]
    rows = (
        [e.enrolment.user.full_name, e.enrolment.user.email, _local(e.at, run), _utc(e.at),
         states.get(e.from_state.value, "") if e.from_state else "",
         states.get(e.to_state.value, ""), e.by.full_name if e.by else _("Forrás (automatic)"),
         e.reason]
        for e in events
    )
    return csv_bytes(header, rows)


def _audit_csv(run: Run, facts: Facts) -> bytes:
    records = {
        "Run": [run.id],
        "Session": [s.id for s in facts.sessions],
        "Enrolment": [e.id for e in facts.enrolments],
        "AttendanceMark": sorted({c.mark_id for c in facts.changes}),
        "Certificate": [c.id for c in facts.certificates],
        "SignedSheet": [s.id for s in facts.sheets],
        "TrainerAssignment": [a.id for a in run_assignments(run)]
        + [a.id for a in run_assignments(run, removed=True)],
    }
    entries = audit.changes_of(records)
    return csv_bytes(presentation.csv_header(run.zone, chain=True),
                     presentation.csv_rows(entries, run.zone, chain=True))


# ---------------------------------------------------------------- manifest and cover


def counts(run: Run, facts: Facts) -> dict[str, int | str]:
    """The numbers the cover and the manifest give."""
    rows = facts.register.rows
    current = [s for s in facts.sheets if s.replaced_at is None]
    statuses = [c.status for c in facts.certificates]
    return {
        "enrolments": len(facts.enrolments),
        "trainees_at_closing": len(rows),
        "completed": sum(1 for r in rows if r.enrolment.outcome and
                         r.enrolment.outcome.value == "completed"),
        "cancelled": sum(1 for e in facts.enrolments if e.state == EnrolmentState.CANCELLED),
        "sessions": len(facts.sessions),
        "scheduled_hours": format_hours(sum(s.minutes for s in facts.sessions) / 60),
        "attended_hours": format_hours(sum(r.attended for r in rows) / 60),
        "signed_sheets": len(current),
        "signed_sheets_missing": len(facts.sessions) - len({s.session_id for s in current}),
        "certificates_valid": statuses.count(CertificateStatus.VALID),
        "certificates_revoked": statuses.count(CertificateStatus.REVOKED),
        "certificates_superseded": statuses.count(CertificateStatus.SUPERSEDED),
        "corrections_after_closing": len(facts.late_changes),
    }


def _manifest(run: Run, facts: Facts, files: list[dict], missing: list[str]) -> bytes:
    sessions = facts.sessions
    document = {
        "format": FORMAT,
        "run": {
            "id": run.id,
            "course_code": run.course.code,
            "course_title": run.course.title,
            "course_hours": run.course.total_hours,
            "accreditation_number": run.course.accreditation_number,
            "registration_number": run.registration_number,
            "centre": run.centre.name,
            "centre_city": run.centre.city,
            "country": run.centre.country,
            "time_zone": run.zone.key,
            "language": run.language,
            "funding": run.funding_line,
            "programme": run.programme.code if run.programme else None,
            "first_day": sessions[0].date.isoformat() if sessions else None,
            "last_day": sessions[-1].date.isoformat() if sessions else None,
            "closed_at": _utc(run.closed_at),
            "closed_by": run.closed_by.full_name if run.closed_by else "",
        },
        "counts": counts(run, facts),
        "files": sorted(files, key=lambda f: f["path"]),
        "missing_from_storage": sorted(missing),
    }
    return (json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _cover(run: Run, facts: Facts, by: User, now: datetime, manifest_sha256: str,
           chain_head: tuple[int, str], files: int, missing: list[str]) -> bytes:
    html = render_template(
        "pdf/evidence_cover.html", run=run, sessions=facts.sessions, counts=counts(run, facts),
        by=by, now=now, manifest_sha256=manifest_sha256, chain_seq=chain_head[0],
        chain_hash=chain_head[1], files=files, missing=missing, name=pack_name(run),
        local_now=_local(now, run), utc_now=_utc(now))
    return render_pdf(html)

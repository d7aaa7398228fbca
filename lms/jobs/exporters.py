"""What each kind of export writes, into an open binary file, a batch at a time.

Each writer takes the job, the file and `progress(done, total)`, which the worker
uses as its heartbeat (it extends the job's lease) and which raises when the job
was taken away from this worker; it returns the file's name and media type.
Writers run in the requester's language and zone (`speaking`), so the file reads as
the same export made in a request would.
"""

import datetime as dt
import zipfile
from collections.abc import Callable, Iterator
from typing import BinaryIO

import sqlalchemy as sa

from lms.attendance import services as attendance
from lms.attendance.exports import register_pdf, register_xlsx
from lms.audit import presentation
from lms.audit import services as audit
from lms.audit.models import AuditEntry
from lms.certificates import services as certificates
from lms.clock import zone
from lms.courses.models import Centre, Run, RunStatus, Session
from lms.errors import DomainError
from lms.evidence import services as evidence
from lms.exports import csv_chunks
from lms.extensions import db
from lms.i18n import gettext as _
from lms.jobs.models import ExportJob, JobKind
from lms.trainers.services import trainers_by_session

Progress = Callable[[int, int], None]
Written = tuple[str, str]  # file name, media type

ZIP_TYPE = "application/zip"


def _date(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def audit_filters(parameters: dict) -> dict:
    """The keyword arguments of `lms.audit.services.export` a job's parameters stand for."""
    return {
        "entity": parameters.get("entity", ""),
        "actor_email": parameters.get("actor_email", ""),
        "entity_id": parameters.get("entity_id"),
        "since": _date(parameters.get("since")),
        "until": _date(parameters.get("until")),
        "where": zone(parameters.get("zone")),
    }


def _counted(entries: Iterator[AuditEntry], total: int, progress: Progress) -> Iterator:
    done = 0
    for entry in entries:
        yield entry
        done += 1
        if done % audit.EXPORT_BATCH == 0:
            progress(done, total)
    progress(done, max(total, done))


def write_audit_csv(job: ExportJob, out: BinaryIO, progress: Progress) -> Written:
    """The audit log (the job's filters), oldest first, as the Audit log page's CSV:
    read in keyset batches (after the last id written), so its cost per entry stays
    flat however long the log is."""
    filters = audit_filters(job.parameters)
    query = audit._matching(**filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(
        query.with_only_columns(AuditEntry.id).subquery()))
    progress(0, total)
    where = filters["where"]
    rows = presentation.csv_rows(_counted(audit.export(**filters), total, progress), where)
    for chunk in csv_chunks(presentation.csv_header(where), rows,
                            job.parameters.get("locale", "en")):
        out.write(chunk.encode("utf-8"))
    return "forras-audit-log.csv", "text/csv"


def closed_runs_of_year(centre_id: int, year: int) -> list[Run]:
    """The closed runs of a centre whose first session fell in `year`, in that order."""
    first = (sa.select(Session.run_id, sa.func.min(Session.date).label("first"))
             .group_by(Session.run_id).subquery())
    return list(db.session.scalars(
        sa.select(Run).join(first, first.c.run_id == Run.id)
        .where(Run.centre_id == centre_id, Run.status == RunStatus.CLOSED,
               first.c.first >= dt.date(year, 1, 1), first.c.first <= dt.date(year, 12, 31))
        .order_by(first.c.first, Run.id)
    ))


def registers_name(centre: Centre, year: int) -> str:
    prefix = centre.serial_prefix or f"centre{centre.id}"
    return f"registers-{prefix}-{year}.zip"


def write_registers_zip(job: ExportJob, out: BinaryIO, progress: Progress) -> Written:
    """Each closed run's register of the centre and year, as XLSX and PDF, in one ZIP."""
    centre = db.session.get(Centre, job.centre_id)
    year = int(job.parameters["year"])
    runs = closed_runs_of_year(centre.id, year)
    if not runs:
        raise DomainError(_("No closed run of this centre began in %(year)d.", year=year))
    progress(0, len(runs))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, run in enumerate(runs, start=1):
            register = attendance.register(run)
            name = f"{number:03d}-register-{run.course.code}-{run.id}"
            archive.writestr(f"{name}.xlsx", register_xlsx(register))
            archive.writestr(f"{name}.pdf", register_pdf(
                register, attendance.corrected_after_closing(run),
                evidence.sessions_with_sheet(s.id for s in register.sessions),
                trainers_by_session(run, register.sessions)))
            progress(number, len(runs))
            db.session.expunge_all()  # memory stays flat however many runs
    return registers_name(centre, year), ZIP_TYPE


def write_bulk_print(job: ExportJob, out: BinaryIO, progress: Progress) -> Written:
    """All valid certificates of the run as one PDF (`certificates.bulk_pdf`)."""
    run = db.session.get(Run, job.parameters["run_id"])
    total = int(job.parameters.get("certificates", 0))
    progress(0, total)
    out.write(certificates.bulk_pdf(run))
    progress(total, total)
    return f"certificates-{run.course.code}-{run.id}.pdf", "application/pdf"


WRITERS: dict[JobKind, Callable[[ExportJob, BinaryIO, Progress], Written]] = {
    JobKind.AUDIT_CSV: write_audit_csv,
    JobKind.REGISTERS_ZIP: write_registers_zip,
    JobKind.BULK_PRINT: write_bulk_print,
}

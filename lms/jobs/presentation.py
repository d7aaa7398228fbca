"""The Exports page's words: what each job is, and how far it got."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import format_number

from lms.courses.models import Centre, Run
from lms.extensions import db
from lms.i18n import gettext as _
from lms.i18n import ngettext
from lms.jobs.models import ExportJob, JobKind, JobState


@dataclass
class JobLine:
    job: ExportJob
    title: str
    state: str
    progress: str
    error: str


def _progress(job: ExportJob) -> str:
    done, total = format_number(job.progress_done), format_number(job.progress_total)
    if job.kind == JobKind.AUDIT_CSV:
        return ngettext("%(done)s of %(total)s entry", "%(done)s of %(total)s entries",
                        job.progress_total, done=done, total=total)
    if job.kind == JobKind.REGISTERS_ZIP:
        return ngettext("%(done)s of %(total)s run", "%(done)s of %(total)s runs",
                        job.progress_total, done=done, total=total)
    if job.kind == JobKind.EVIDENCE_PACK:
        return ngettext("%(done)s of %(total)s file", "%(done)s of %(total)s files",
                        job.progress_total, done=done, total=total)
    return ngettext("%(done)s of %(total)s certificate", "%(done)s of %(total)s certificates",
                    job.progress_total, done=done, total=total)


def _state(job: ExportJob, keep_days: int) -> str:
    if job.state == JobState.QUEUED:
        return _("Waiting for the worker") if not job.attempts else _(
            "Waiting to be tried again (attempt %(number)d)", number=job.attempts + 1)
    return {
        JobState.RUNNING: _("Being made"),
        JobState.DONE: _("Ready"),
        JobState.FAILED: _("Failed"),
        JobState.EXPIRED: ngettext("Removed after %(num)d day", "Removed after %(num)d days",
                                   keep_days),
    }[job.state]


def _error(job: ExportJob, interrupted: str, max_attempts: int) -> str:
    if job.error == interrupted:
        return ngettext(
            "The worker making it stopped %(num)d time without finishing; ask for it again.",
            "The worker making it stopped %(num)d times without finishing; ask for it again.",
            max_attempts)
    return job.error


def job_lines(jobs: list[ExportJob], keep_days: int, interrupted: str,
              max_attempts: int) -> list[JobLine]:
    """The jobs as the page lists them; the centres and runs they name read at once."""
    centre_ids = {job.centre_id for job in jobs if job.centre_id}
    run_ids = {job.parameters.get("run_id") for job in jobs
               if job.kind in (JobKind.BULK_PRINT, JobKind.EVIDENCE_PACK)}
    centres = {c.id: c for c in db.session.scalars(
        sa.select(Centre).where(Centre.id.in_(centre_ids)))} if centre_ids else {}
    runs = {r.id: r for r in db.session.scalars(
        sa.select(Run).where(Run.id.in_(run_ids)).options(sa.orm.joinedload(Run.course)))
    } if run_ids else {}
    lines = []
    for job in jobs:
        if job.kind == JobKind.AUDIT_CSV:
            title = _("Audit log (CSV)")
            shown = [str(job.parameters[key]) for key in
                     ("entity", "actor_email", "entity_id", "since", "until")
                     if job.parameters.get(key)]
            if shown:
                title += " · " + ", ".join(shown)
        elif job.kind == JobKind.REGISTERS_ZIP:
            centre = centres.get(job.centre_id)
            title = _("Registers of %(centre)s, %(year)s (ZIP)",
                      centre=centre.name if centre else "?", year=job.parameters.get("year"))
        elif job.kind == JobKind.EVIDENCE_PACK:
            run = runs.get(job.parameters.get("run_id"))
            title = _("Evidence pack of %(run)s (ZIP)",
                      run=f"{run.course.code} #{run.id}" if run else "?")
        else:
            run = runs.get(job.parameters.get("run_id"))
            title = _("Certificates of %(run)s (one PDF)",
                      run=f"{run.course.code} #{run.id}" if run else "?")
        lines.append(JobLine(job, title, _state(job, keep_days), _progress(job),
                             _error(job, interrupted, max_attempts)))
    return lines

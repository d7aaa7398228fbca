"""Export jobs: asked for in a request, made by the job worker, downloaded when ready.

Claiming is safe with several workers on one database: on PostgreSQL the next job
is read `FOR UPDATE SKIP LOCKED` (a second worker skips it rather than waits), and on
both backends the claim is a conditional UPDATE that only one worker can win. The
worker holds a job by extending its lease as it writes (the heartbeat); a job whose
lease ran out (its worker died or was killed) is claimed again and started over, up
to JOB_MAX_ATTEMPTS claims, after which it fails with a message. Progress and the
heartbeat are written on a connection of their own, so the export's reading is
never committed half-way.
"""

import hashlib
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from time import monotonic

import sqlalchemy as sa
from flask import current_app

from lms.audit.services import DOWNLOAD, EXPORT, record_access, record_event
from lms.auth.models import User
from lms.certificates import services as certificates
from lms.certificates.models import CertificateStatus
from lms.clock import utcnow, zone
from lms.courses.models import Centre, Run, RunStatus
from lms.enrolment.queries import people_of_run
from lms.errors import DomainError
from lms.evidence.pack import pack_name
from lms.extensions import db
from lms.i18n import gettext as _
from lms.i18n import speaking
from lms.jobs.exporters import WRITERS, closed_runs_of_year, registers_name
from lms.jobs.models import ExportJob, JobKind, JobState

log = logging.getLogger("lms.jobs")

HEARTBEAT_EVERY = 0.5  # seconds between two progress writes of one job
# A job stopped this many times (a worker that died on it each time) is failed
# with this marker in `error`; the page says it in the reader's language.
INTERRUPTED = "interrupted"


class LeaseLost(Exception):
    """The job's lease ran out and another worker claimed it: stop writing."""


class StopRequested(Exception):
    """The worker was asked to stop (SIGTERM): the job goes back to the queue."""


# ---------------------------------------------------------------- asking


def _new_job(kind: JobKind, by: User, parameters: dict, centre_id: int | None,
             language: str, where: str) -> ExportJob:
    job = ExportJob(kind=kind, requested_by_id=by.id, centre_id=centre_id,
                    parameters={**parameters, "locale": language, "zone": where},
                    state=JobState.QUEUED, created_at=utcnow())
    db.session.add(job)
    db.session.flush()
    return job


def request_audit_export(by: User, filters: dict, language: str, where: str) -> ExportJob:
    """Queue the audit log (filtered by `filters`, as the Audit log page's) as CSV."""
    job = _new_job(JobKind.AUDIT_CSV, by, filters, None, language, where)
    record_event(EXPORT, label="forras-audit-log.csv", actor_id=by.id,
                 details={"export_job": job.id, **{k: v for k, v in filters.items() if v}})
    return job


def request_registers(by: User, centre: Centre, year: int, language: str,
                      where: str) -> ExportJob:
    """Queue every closed run's register of `centre` whose first session fell in `year`."""
    if not 2000 <= year <= 2200:
        raise DomainError(_("Enter a year between 2000 and 2200."), "year")
    runs = closed_runs_of_year(centre.id, year)
    if not runs:
        raise DomainError(_("No closed run of this centre began in %(year)d.", year=year),
                          "year")
    job = _new_job(JobKind.REGISTERS_ZIP, by, {"year": year}, centre.id, language, where)
    job.progress_total = len(runs)
    record_event(EXPORT, "Centre", centre.id, registers_name(centre, year), actor_id=by.id,
                 details={"export_job": job.id, "year": year, "runs": len(runs)})
    return job


def valid_certificate_count(run: Run) -> int:
    """How many valid certificates a bulk print of the run holds."""
    return sum(1 for issued in certificates.run_certificates(run).values()
               for certificate in issued if certificate.status == CertificateStatus.VALID)


def bulk_print_in_background(run: Run) -> bool:
    """Whether a bulk print of the run is made by the worker rather than in the request."""
    return valid_certificate_count(run) > current_app.config["BULK_PRINT_JOB_THRESHOLD"]


def request_bulk_print(by: User, run: Run, language: str, where: str) -> ExportJob:
    """Queue the bulk print of a run's valid certificates (one PDF)."""
    count = valid_certificate_count(run)
    if not count:
        raise DomainError(_("No certificate has been issued for this run yet."))
    job = _new_job(JobKind.BULK_PRINT, by, {"run_id": run.id, "certificates": count},
                   run.centre_id, language, where)
    job.progress_total = count
    record_event(EXPORT, "Run", run.id, f"certificates-{run.course.code}-{run.id}.pdf",
                 actor_id=by.id, details={"export_job": job.id, "certificates": count})
    return job


def request_evidence_pack(by: User, run: Run, language: str, where: str) -> ExportJob:
    """Queue the evidence pack of a closed run (a ZIP; seconds of work for a long run)."""
    if run.status != RunStatus.CLOSED:
        raise DomainError(_("The evidence pack is made for a closed run. Close the run "
                            "first: its register is final then."))
    job = _new_job(JobKind.EVIDENCE_PACK, by, {"run_id": run.id}, run.centre_id, language,
                   where)
    record_event(EXPORT, "Run", run.id, f"{pack_name(run)}.zip", actor_id=by.id,
                 details={"export_job": job.id})
    return job


# ---------------------------------------------------------------- reading


def jobs_of(user: User, limit: int = 50) -> list[ExportJob]:
    """The user's exports, newest first."""
    return list(db.session.scalars(
        sa.select(ExportJob).where(ExportJob.requested_by_id == user.id)
        .order_by(ExportJob.id.desc()).limit(limit)))


def own_job(user: User, job_id: int) -> ExportJob | None:
    """The job, if `user` asked for it (only the requester downloads an export)."""
    job = db.session.get(ExportJob, job_id)
    return job if job is not None and job.requested_by_id == user.id else None


def export_dir() -> Path:
    folder = current_app.config.get("EXPORT_DIR") or Path(current_app.instance_path) / "exports"
    return Path(folder)


def file_of(job: ExportJob) -> Path | None:
    """The finished file of a job, if it is still there."""
    if job.state != JobState.DONE or not job.stored_as:
        return None
    path = export_dir() / job.stored_as
    return path if path.is_file() else None


def record_download(job: ExportJob, by: User) -> None:
    """The download of an export is an event of the audit log, with the file's hash."""
    entity, entity_id = {JobKind.REGISTERS_ZIP: ("Centre", job.centre_id),
                         JobKind.BULK_PRINT: ("Run", job.parameters.get("run_id")),
                         JobKind.EVIDENCE_PACK: ("Run", job.parameters.get("run_id"))}.get(
                             job.kind, ("", None))
    record_event(DOWNLOAD, entity, entity_id, job.filename, actor_id=by.id,
                 details={"export_job": job.id, "sha256": job.sha256, "size": job.size})
    if job.kind == JobKind.EVIDENCE_PACK and entity_id is not None:
        record_access(people_of_run(entity_id), job.filename, "Run", entity_id, actor_id=by.id)


# ---------------------------------------------------------------- the worker's side


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _claimable(now: datetime):
    return sa.or_(ExportJob.state == JobState.QUEUED,
                  sa.and_(ExportJob.state == JobState.RUNNING, ExportJob.lease_until < now))


def fail_abandoned(now: datetime | None = None) -> int:
    """Fail the jobs whose worker stopped on them JOB_MAX_ATTEMPTS times; how many."""
    now = now or utcnow()
    result = db.session.execute(
        sa.update(ExportJob)
        .where(ExportJob.state == JobState.RUNNING, ExportJob.lease_until < now,
               ExportJob.attempts >= current_app.config["JOB_MAX_ATTEMPTS"])
        .values(state=JobState.FAILED, error=INTERRUPTED, finished_at=now, lease_until=None)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount


def claim_next(worker: str, now: datetime | None = None) -> int | None:
    """Claim the oldest job waiting (or abandoned by a dead worker); its id, or None."""
    now = now or utcnow()
    fail_abandoned(now)
    job_id = db.session.scalar(
        sa.select(ExportJob.id).where(_claimable(now)).order_by(ExportJob.id).limit(1)
        .with_for_update(skip_locked=True))
    if job_id is None:
        db.session.rollback()
        return None
    lease = timedelta(seconds=current_app.config["JOB_LEASE_SECONDS"])
    result = db.session.execute(
        sa.update(ExportJob).where(ExportJob.id == job_id, _claimable(now))
        .values(state=JobState.RUNNING, attempts=ExportJob.attempts + 1, worker=worker,
                lease_until=now + lease, heartbeat_at=now, progress_done=0,
                started_at=sa.func.coalesce(ExportJob.started_at, now))
        .execution_options(synchronize_session=False))
    db.session.commit()
    return job_id if result.rowcount == 1 else None


class Heartbeat:
    """`progress(done, total)` for a writer: records progress and extends the lease,
    at most every HEARTBEAT_EVERY seconds, on a connection of its own."""

    def __init__(self, job_id: int, worker: str, should_stop: Callable[[], bool]):
        self.job_id, self.worker, self.should_stop = job_id, worker, should_stop
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if self.should_stop():
            raise StopRequested
        if monotonic() - self.last < HEARTBEAT_EVERY and done < total:
            return
        self.last = monotonic()
        now = utcnow()
        lease = timedelta(seconds=current_app.config["JOB_LEASE_SECONDS"])
        with db.engine.begin() as connection:
            result = connection.execute(
                sa.update(ExportJob)
                .where(ExportJob.id == self.job_id, ExportJob.worker == self.worker,
                       ExportJob.state == JobState.RUNNING)
                .values(progress_done=done, progress_total=total, heartbeat_at=now,
                        lease_until=now + lease))
        if result.rowcount != 1:
            raise LeaseLost


def _finish(job_id: int, holder: str, **values) -> bool:
    """Write the outcome of an attempt, if the worker `holder` still holds the job."""
    db.session.rollback()  # the export's reading ends here; the outcome is a new transaction
    result = db.session.execute(
        sa.update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.worker == holder,
               ExportJob.state == JobState.RUNNING)
        .values(**values)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def run_job(job_id: int, worker: str, should_stop: Callable[[], bool] = lambda: False) -> None:
    """Make the file of a claimed job, then mark it done, failed or back in the queue."""
    job = db.session.get(ExportJob, job_id)
    folder = export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{job.id}-{secrets.token_hex(8)}"
    partial = folder / f"{stem}.part"
    language, where = job.parameters.get("locale", "en"), zone(job.parameters.get("zone"))
    try:
        with speaking(language, where), partial.open("wb") as out:
            filename, media_type = WRITERS[job.kind](job, out, Heartbeat(job_id, worker,
                                                                         should_stop))
    except (LeaseLost, StopRequested) as stopped:
        partial.unlink(missing_ok=True)
        if isinstance(stopped, StopRequested):  # not the job's fault: not an attempt
            _finish(job_id, worker, state=JobState.QUEUED, lease_until=None, worker="",
                    attempts=ExportJob.attempts - 1)
        return
    except DomainError as refusal:
        partial.unlink(missing_ok=True)
        _finish(job_id, worker, state=JobState.FAILED, error=refusal.message[:1000],
                finished_at=utcnow(), lease_until=None)
        return
    except Exception as error:
        partial.unlink(missing_ok=True)
        log.exception("export job %s failed", job_id)
        _fail_or_retry(job_id, worker, language, error)
        return
    final = folder / f"{stem}-{filename}"
    partial.rename(final)
    now = utcnow()
    done = _finish(job_id, worker, state=JobState.DONE, filename=filename,
                   media_type=media_type, stored_as=final.name, size=final.stat().st_size,
                   sha256=_sha256(final), finished_at=now, lease_until=None,
                   progress_done=ExportJob.progress_total,
                   expires_at=now + timedelta(days=current_app.config["EXPORT_KEEP_DAYS"]))
    if not done:  # another worker took it over meanwhile: its file is the one kept
        final.unlink(missing_ok=True)


def _fail_or_retry(job_id: int, worker: str, language: str, error: Exception) -> None:
    db.session.rollback()  # the attempt's reading may have left the transaction broken
    job = db.session.get(ExportJob, job_id)
    if job.attempts < current_app.config["JOB_MAX_ATTEMPTS"]:
        _finish(job_id, worker, state=JobState.QUEUED, lease_until=None, worker="")
        return
    with speaking(language, zone(None)):
        message = _("The export failed %(count)d times: %(error)s",
                    count=job.attempts, error=f"{type(error).__name__}: {error}")
    _finish(job_id, worker, state=JobState.FAILED, error=message[:1000],
            finished_at=utcnow(), lease_until=None)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def expire_old_files(now: datetime | None = None) -> int:
    """Remove the files of exports done more than EXPORT_KEEP_DAYS ago; the jobs stay,
    marked expired (who exported what stays on record). How many."""
    now = now or utcnow()
    jobs = db.session.scalars(sa.select(ExportJob).where(
        ExportJob.state == JobState.DONE, ExportJob.expires_at < now)).all()
    for job in jobs:
        if job.stored_as:
            (export_dir() / job.stored_as).unlink(missing_ok=True)
        job.state = JobState.EXPIRED
    db.session.commit()
    return len(jobs)


def work_once(worker: str | None = None,
              should_stop: Callable[[], bool] = lambda: False) -> int:
    """One pass of the job worker: expire old files, then make every job waiting
    (until none is left or a stop is asked); how many were run."""
    worker = worker or worker_name()
    expire_old_files()
    ran = 0
    while not should_stop():
        job_id = claim_next(worker)
        if job_id is None:
            break
        run_job(job_id, worker, should_stop)
        db.session.remove()
        ran += 1
    return ran

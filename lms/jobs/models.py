import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.db import str_enum
from lms.extensions import db


class JobKind(enum.StrEnum):
    AUDIT_CSV = "audit_csv"  # the audit log (optionally filtered) as CSV
    REGISTERS_ZIP = "registers_zip"  # every closed run's register of a centre in a year
    BULK_PRINT = "bulk_print"  # all valid certificates of a run as one PDF
    EVIDENCE_PACK = "evidence_pack"  # a closed run's evidence pack (ZIP)


class JobState(enum.StrEnum):
    QUEUED = "queued"  # waiting for a worker (or put back after a failed attempt)
    RUNNING = "running"  # claimed by a worker until `lease_until`, which it keeps extending
    DONE = "done"  # the file is ready (until `expires_at`)
    FAILED = "failed"  # refused, or stopped too many times: `error` says why
    EXPIRED = "expired"  # done, its file removed after EXPORT_KEEP_DAYS; the row stays


class ExportJob(db.Model):
    """An export asked for by an administrator and made by the job worker.

    A worker claims a queued job (or one whose lease ran out: its worker died) and
    holds it by extending `lease_until` as it writes; a job claimed more than
    JOB_MAX_ATTEMPTS times fails with a message. The file is kept under EXPORT_DIR
    for EXPORT_KEEP_DAYS, then removed and the job marked expired: the row itself
    stays, so who exported what, and when, is never lost (the request and each
    download are also events in the audit log).
    """

    __tablename__ = "export_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(str_enum(JobKind, "export_job_kind"), nullable=False)
    # What to export (filters, centre, year, run) and in which language and zone.
    parameters: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    requested_by_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id"), nullable=False, index=True
    )
    # The centre the export is about (NULL: the whole network, e.g. the audit log).
    centre_id: Mapped[int | None] = mapped_column(sa.ForeignKey("centre.id"), nullable=True)
    state: Mapped[JobState] = mapped_column(
        str_enum(JobState, "export_job_state"), nullable=False, default=JobState.QUEUED,
        index=True,
    )
    progress_done: Mapped[int] = mapped_column(nullable=False, default=0)
    progress_total: Mapped[int] = mapped_column(nullable=False, default=0)
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(nullable=True)
    worker: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    filename: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    media_type: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    # Where the file is, relative to EXPORT_DIR, its size and its SHA-256.
    stored_as: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    size: Mapped[int | None] = mapped_column(nullable=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="")
    error: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)

    requested_by: Mapped["User"] = relationship()  # noqa: F821

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

    @property
    def active(self) -> bool:
        return self.state in (JobState.QUEUED, JobState.RUNNING)

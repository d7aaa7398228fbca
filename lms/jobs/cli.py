"""`flask jobs work [--loop N]` and `flask jobs status`."""

import logging

import click
import sqlalchemy as sa

from lms.extensions import db
from lms.i18n import gettext as _
from lms.i18n import ngettext
from lms.jobs import services
from lms.jobs.models import ExportJob, JobState
from lms.jobs.worker import JobWorker


@click.group("jobs")
def jobs_group() -> None:
    """Export jobs: large exports made in the background, offered for download when ready."""


@jobs_group.command("work")
@click.option("--loop", "interval", type=float, default=0,
              help="Keep working every INTERVAL seconds: the job worker, run beside the "
                   "web server until SIGTERM or Ctrl-C.")
def jobs_work_command(interval: float) -> None:
    """Make the exports waiting (once, or every INTERVAL seconds with --loop)."""
    if not interval:
        ran = services.work_once()
        click.echo(_("Exports made: %(count)d.", count=ran))
        return
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                            "%(message)s")
    banner = _("Job worker: making the exports waiting every %(seconds)s s (Ctrl-C stops).",
               seconds=f"{interval:g}")
    JobWorker(interval, echo=click.echo, banner=banner).run()
    click.echo(_("Job worker stopped."))


@jobs_group.command("status")
def jobs_status_command() -> None:
    """The exports waiting or being made."""
    jobs = db.session.scalars(
        sa.select(ExportJob).where(ExportJob.state.in_((JobState.QUEUED, JobState.RUNNING)))
        .order_by(ExportJob.id)).all()
    click.echo(ngettext("%(num)d export waiting or being made.",
                        "%(num)d exports waiting or being made.", len(jobs)))
    for job in jobs[:20]:
        click.echo(f"  #{job.id} {job.kind.value} {job.state.value} "
                   f"{job.progress_done}/{job.progress_total} attempts={job.attempts} "
                   f"{job.worker}")

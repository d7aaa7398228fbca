"""The evidence pack of a closed run, for its administrators."""

from flask import flash, redirect, render_template, url_for

from lms.auth.permissions import is_admin, require
from lms.courses.forms import ConfirmForm
from lms.courses.models import Run, RunStatus
from lms.evidence import bp
from lms.extensions import db
from lms.i18n import gettext as _


@bp.route("/manage/runs/<int:run_id>/evidence-pack.zip")
@require(is_admin)
def evidence_pack(run_id: int):
    """The pack's old direct address (bookmarks, links from before the job worker): it
    never builds the pack in the request, which takes seconds for a long run; it offers
    the button that queues it for the worker, as the run page does."""
    run = db.get_or_404(Run, run_id)
    back = url_for("manage.run", run_id=run.id)
    if run.status != RunStatus.CLOSED:
        flash(_("The evidence pack is made for a closed run. Close the run first: its "
                "register is final then."), "error")
        return redirect(back)
    return render_template(
        "_confirm.html", heading=_("Evidence pack for auditors"), subject=run.course.title,
        back=back, action=url_for("jobs.request_evidence_pack", run_id=run.id),
        button=_("Prepare the evidence pack (ZIP)"), form=ConfirmForm(), warnings=[],
        effects=[_("One ZIP file with the register (PDF and Excel), each session's sign-in "
                   "sheet and signed scans, every certificate as issued (revoked and "
                   "superseded ones marked), the roster with each enrolment's history, the "
                   "run's audit log entries, and a manifest with the SHA-256 of every file. "
                   "Its cover page says how to check it."),
                 _("It takes a while to make: it is prepared in the background, and the "
                   "Exports page offers it for download when ready.")],
        blocked=None, names=[])

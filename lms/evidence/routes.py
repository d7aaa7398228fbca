"""The evidence pack of a closed run, for its administrators."""

from flask import redirect, send_file, url_for
from flask_login import current_user

from lms.audit.services import DOWNLOAD, record_event
from lms.auth.permissions import is_admin, require
from lms.clock import utcnow
from lms.courses.models import Run
from lms.evidence import bp
from lms.evidence.pack import Pack, build_pack
from lms.extensions import db
from lms.pipeline import perform


def _made_and_logged(run: Run) -> Pack:
    pack = build_pack(run, current_user, utcnow())
    # The log says which pack was handed out: its manifest and the chain head it carries.
    record_event(DOWNLOAD, "Run", run.id, pack.filename, details={
        "manifest_sha256": pack.manifest_sha256, "chain_head": pack.chain_head[0],
        "files": pack.files})
    return pack


@bp.route("/manage/runs/<int:run_id>/evidence-pack.zip")
@require(is_admin)
def evidence_pack(run_id: int):
    run = db.get_or_404(Run, run_id)
    done = perform(lambda: _made_and_logged(run))
    if not done:
        return redirect(url_for("manage.run", run_id=run.id))
    return send_file(done.value.file, mimetype="application/zip", as_attachment=True,
                     download_name=done.value.filename, max_age=0)

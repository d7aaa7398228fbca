"""The evidence pack of a closed run, for its administrators."""

import os
from collections.abc import Iterator
from typing import IO

from flask import Response, redirect, url_for
from flask_login import current_user

from lms.audit.services import DOWNLOAD, record_access, record_event
from lms.auth.permissions import is_admin, require
from lms.clock import utcnow
from lms.courses.models import Run
from lms.enrolment.queries import people_of_run
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
    record_access(people_of_run(run.id), pack.filename, "Run", run.id)
    return pack


@bp.route("/manage/runs/<int:run_id>/evidence-pack.zip")
@require(is_admin)
def evidence_pack(run_id: int):
    run = db.get_or_404(Run, run_id)
    done = perform(lambda: _made_and_logged(run))
    if not done:
        return redirect(url_for("manage.run", run_id=run.id))
    pack = done.value
    size = pack.file.seek(0, os.SEEK_END)
    pack.file.seek(0)
    response = Response(_chunks(pack.file), mimetype="application/zip",
                        direct_passthrough=True)
    response.headers["Content-Length"] = str(size)
    response.headers.set("Content-Disposition", "attachment", filename=pack.filename)
    response.headers["Cache-Control"] = "no-store"
    return response


def _chunks(file: IO[bytes], size: int = 256 * 1024) -> Iterator[bytes]:
    """The pack's bytes a piece at a time. The generator is started here, inside `with`,
    so the temporary file is closed when the response is, or when a response never read
    is let go (closing a started generator runs its `with`)."""

    def read() -> Iterator[bytes]:
        with file:
            yield b""
            while chunk := file.read(size):
                yield chunk

    chunks = read()
    next(chunks)
    return chunks

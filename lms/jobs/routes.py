"""Exports made in the background: asked for here, followed on the Exports page,
downloaded by whoever asked when ready."""

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_login import current_user

from lms.access import can, scoped_centre_id
from lms.audit.labels import KINDS
from lms.auth.permissions import is_admin, require
from lms.clock import utcnow
from lms.courses.forms import ConfirmForm
from lms.courses.models import Centre, Run
from lms.extensions import db
from lms.formtools import date_arg, int_arg
from lms.i18n import gettext as _
from lms.i18n import viewer_zone
from lms.jobs import bp, services
from lms.jobs.forms import RegistersForm
from lms.jobs.models import JobState
from lms.jobs.presentation import job_lines
from lms.pipeline import perform


def _reader() -> tuple[str, str]:
    """The language and zone the file is written in: the requester's."""
    return str(get_locale() or "en"), viewer_zone().key


def _centres() -> list[Centre]:
    stmt = sa.select(Centre).order_by(Centre.name)
    centre_id = scoped_centre_id(current_user)
    if centre_id is not None:
        stmt = stmt.where(Centre.id == centre_id)
    return list(db.session.scalars(stmt))


def _registers_form() -> RegistersForm:
    form = RegistersForm()
    form.centre.choices = [(c.id, f"{c.name} ({c.city})") for c in _centres()]
    if form.year.data is None and request.method == "GET":
        form.year.data = utcnow().year - 1
    return form


def _page(form: RegistersForm, status: int = 200):
    jobs = services.jobs_of(current_user)
    config = current_app.config
    lines = job_lines(jobs, config["EXPORT_KEEP_DAYS"], services.INTERRUPTED,
                      config["JOB_MAX_ATTEMPTS"])
    return render_template("jobs/exports.html", lines=lines, form=form,
                           still_making=any(job.active for job in jobs),
                           can_audit=can("jobs.request_audit_log")), status


@bp.route("/manage/exports/")
@require(is_admin)
def exports():
    return _page(_registers_form())


@bp.route("/manage/exports/audit-log", methods=["POST"])
@require(is_admin)
def request_audit_log():
    if ConfirmForm().validate_on_submit():
        since, _since_ok = date_arg(request.form, "since")
        until, _until_ok = date_arg(request.form, "until")
        entity = request.form.get("entity", "")
        filters = {
            "entity": entity if entity in KINDS else "",
            "actor_email": request.form.get("actor", "").strip()[:254],
            "entity_id": int_arg(request.form, "id"),
            "since": since.isoformat() if since else "",
            "until": until.isoformat() if until else "",
        }
        language, where = _reader()
        if perform(lambda: services.request_audit_export(current_user, filters, language,
                                                          where)):
            flash(_("The audit log export is queued: it appears below, ready to download "
                    "when made."), "success")
    return redirect(url_for("jobs.exports"))


@bp.route("/manage/exports/registers", methods=["POST"])
@require(is_admin)
def request_registers():
    form = _registers_form()
    if not form.validate_on_submit():
        return _page(form)
    centre = db.session.get(Centre, form.centre.data)
    language, where = _reader()
    done = perform(lambda: services.request_registers(current_user, centre, form.year.data,
                                                      language, where), form=form)
    if not done:
        return _page(form)
    flash(_("The registers export is queued: it appears below, ready to download when "
            "made."), "success")
    return redirect(url_for("jobs.exports"))


@bp.route("/manage/runs/<int:run_id>/certificates/print-job", methods=["POST"])
@require(is_admin)
def request_bulk_print(run_id: int):
    run = db.get_or_404(Run, run_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("certificates.run_certificates", run_id=run.id))
    language, where = _reader()
    if not perform(lambda: services.request_bulk_print(current_user, run, language, where)):
        return redirect(url_for("certificates.run_certificates", run_id=run.id))
    flash(_("The bulk print is queued: it appears below, ready to download when made."),
          "success")
    return redirect(url_for("jobs.exports"))


@bp.route("/manage/runs/<int:run_id>/evidence-pack-job", methods=["POST"])
@require(is_admin)
def request_evidence_pack(run_id: int):
    run = db.get_or_404(Run, run_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("manage.run", run_id=run.id))
    language, where = _reader()
    if not perform(lambda: services.request_evidence_pack(current_user, run, language, where)):
        return redirect(url_for("manage.run", run_id=run.id))
    flash(_("The evidence pack is queued: it appears below, ready to download when made."),
          "success")
    return redirect(url_for("jobs.exports"))


@bp.route("/manage/exports/<int:job_id>/download")
@require(is_admin)
def download(job_id: int):
    job = services.own_job(current_user, job_id)
    if job is None:  # another administrator's export: not even its existence is told
        abort(404)
    if job.state == JobState.EXPIRED:
        flash(_("This export was removed after %(days)d days: ask for it again.",
                days=current_app.config["EXPORT_KEEP_DAYS"]), "error")
        return redirect(url_for("jobs.exports"))
    if job.state != JobState.DONE:
        flash(_("This export is not ready yet."), "info")
        return redirect(url_for("jobs.exports"))
    path = services.file_of(job)
    if path is None:
        current_app.logger.error("export job %s: file %s is missing", job.id, job.stored_as)
        abort(404)
    perform(lambda: services.record_download(job, current_user))
    return send_file(path, mimetype=job.media_type, as_attachment=True,
                     download_name=job.filename, max_age=0)

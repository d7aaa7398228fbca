"""Issuing and printing certificates, the trainee's downloads, and public verification."""

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_timezone
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from lms.audit.services import DOWNLOAD, record_event
from lms.auth.permissions import is_admin, require
from lms.certificates import bp, services
from lms.certificates.models import Certificate
from lms.certificates.points import PointsPeriod, points_by_period
from lms.clock import today_at, utcnow
from lms.courses.forms import ConfirmForm
from lms.courses.models import Run
from lms.enrolment.forms import ReasonForm
from lms.enrolment.models import Enrolment, EnrolmentState
from lms.errors import DomainError
from lms.extensions import db, limiter
from lms.i18n import gettext as _
from lms.pdf import render_pdf
from lms.pipeline import perform

VERIFY_LIMIT = "30 per minute"


def _pdf(data: bytes, filename: str, inline: bool = True) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"'},
    )


def _apply(operation, success: str) -> bool:
    done = perform(operation)
    if done:
        flash(success, "success")
    return bool(done)


# ---------------------------------------------------------------- administrators


@bp.route("/manage/runs/<int:run_id>/certificates")
@require(is_admin)
def run_certificates(run_id: int):
    run = db.get_or_404(Run, run_id)
    enrolments = sorted(
        db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.run_id == run.id, Enrolment.state == EnrolmentState.ENROLLED)
            .options(joinedload(Enrolment.user))
        ).all(),
        key=lambda e: e.user.full_name.casefold(),
    )
    missing = {
        e.id: services.missing_minutes(e)
        for e in enrolments
        if e.outcome is None or e.outcome.value != "completed"
    }
    return render_template(
        "certificates/run.html",
        run=run,
        enrolments=enrolments,
        certificates=services.run_certificates(run),
        missing=missing,
        confirm_form=ConfirmForm(),
        reason_form=ReasonForm(),
    )


@bp.route("/manage/runs/<int:run_id>/certificates/issue-all", methods=["POST"])
@require(is_admin)
def issue_all(run_id: int):
    run = db.get_or_404(Run, run_id)
    if ConfirmForm().validate_on_submit():
        # All or nothing: a refusal rolls back every certificate of the run.
        done = perform(lambda: services.issue_all(run, current_user, run.today(utcnow())))
        if done:
            flash(_("Certificates issued: %(count)d.", count=len(done.value)), "success")
    return redirect(url_for("certificates.run_certificates", run_id=run.id))


@bp.route("/manage/enrolments/<int:enrolment_id>/certificate", methods=["POST"])
@require(is_admin)
def issue_one(enrolment_id: int):
    enrolment = db.get_or_404(Enrolment, enrolment_id)
    if ConfirmForm().validate_on_submit():
        _apply(
            lambda: services.issue_certificate(
                enrolment, current_user, enrolment.run.today(utcnow())
            ),
            _("The certificate of %(name)s is issued.", name=enrolment.user.full_name),
        )
    return redirect(url_for("certificates.run_certificates", run_id=enrolment.run_id))


@bp.route("/manage/runs/<int:run_id>/certificates.pdf")
@require(is_admin)
def bulk_print(run_id: int):
    run = db.get_or_404(Run, run_id)
    try:
        data = services.bulk_pdf(run)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("certificates.run_certificates", run_id=run.id))
    filename = f"certificates-{run.course.code}-{run.id}.pdf"
    perform(lambda: record_event(DOWNLOAD, "Run", run.id, filename))
    return _pdf(data, filename)


@bp.route("/manage/certificates/<int:certificate_id>/revoke", methods=["POST"])
@require(is_admin)
def revoke(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for revoking."), "error")
    else:
        _apply(
            lambda: services.revoke(certificate, current_user, form.reason.data),
            _("Certificate %(serial)s is revoked.", serial=certificate.serial),
        )
    return redirect(url_for("certificates.run_certificates", run_id=certificate.enrolment.run_id))


@bp.route("/manage/certificates/<int:certificate_id>/reissue", methods=["POST"])
@require(is_admin)
def reissue(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    if ConfirmForm().validate_on_submit():
        _apply(
            lambda: services.reissue(
                certificate, current_user, certificate.enrolment.run.today(utcnow())
            ),
            _("A new certificate replaces %(serial)s.", serial=certificate.serial),
        )
    return redirect(url_for("certificates.run_certificates", run_id=certificate.enrolment.run_id))


# ---------------------------------------------------------------- trainees


@bp.route("/certificates/<int:certificate_id>.pdf")
@login_required
def download(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    if certificate.enrolment.user_id != current_user.id and not is_admin(current_user):
        abort(404)  # someone else's certificate: not even its existence is told
    filename = f"{certificate.serial}.pdf"
    perform(lambda: record_event(DOWNLOAD, "Certificate", certificate.id, filename))
    return _pdf(certificate.pdf, filename, inline=False)


@bp.route("/my/transcript.pdf")
@login_required
def transcript():
    perform(lambda: record_event(DOWNLOAD, "User", current_user.id, "transcript.pdf"))
    certificates = [c for c in services.certificates_of(current_user) if c.status.value == "valid"]
    with force_locale(current_user.locale or "en"):
        html = render_template(
            "pdf/transcript.html",
            user=current_user,
            certificates=certificates,
            points_periods=points_by_period(current_user, certificates),
            today=today_at(utcnow(), get_timezone()),
        )
    return _pdf(render_pdf(html), "transcript.pdf")


@bp.app_template_global()
def my_certificates() -> list[Certificate]:
    if not current_user.is_authenticated:
        return []
    return services.certificates_of(current_user)


@bp.app_template_global()
def my_points(certificates: list[Certificate]) -> list[PointsPeriod]:
    """The logged-in person's continuing-training points per period, from their
    certificates (as `my_certificates` gives them)."""
    if not current_user.is_authenticated:
        return []
    return points_by_period(current_user, certificates)


# ---------------------------------------------------------------- anyone


@bp.route("/verify", methods=["GET"])
@limiter.limit(VERIFY_LIMIT)
def verify_form():
    code = request.args.get("code", "").strip()
    if code:
        return redirect(url_for("certificates.verify", code=code))
    return render_template("certificates/verify_form.html")


@bp.route("/verify/<code>")
@bp.route("/v/<code>", endpoint="verify_short")
@limiter.limit(VERIFY_LIMIT)
def verify(code: str):
    certificate = services.find_by_code(code)
    if certificate is None:
        return render_template("certificates/verify_not_found.html"), 404
    return render_template("certificates/verify.html", certificate=certificate, c=certificate.facts)

"""Issuing and printing certificates, the trainee's downloads, and public verification."""

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from lms.audit.services import DOWNLOAD, record_event
from lms.auth.permissions import is_admin, require
from lms.certificates import bp, services
from lms.certificates.models import Certificate, CertificateStatus, Transcript
from lms.certificates.points import PointsPeriod, points_by_period
from lms.clock import today_at, utcnow
from lms.courses.forms import ConfirmForm
from lms.courses.models import Run, RunStatus
from lms.enrolment.forms import ReasonForm
from lms.enrolment.models import Enrolment, EnrolmentState
from lms.errors import DomainError
from lms.extensions import db, limiter
from lms.i18n import LANGUAGE_NAMES, ngettext, viewer_zone
from lms.i18n import gettext as _
from lms.paging import page_args, paginate
from lms.pipeline import perform
from lms.templating import format_day

VERIFY_LIMIT = "30 per minute"
# Each transcript is rendered and kept for ever: a person needs a few, not hundreds.
ISSUE_TRANSCRIPT_LIMIT = "10 per hour"


def _pdf(data: bytes, filename: str, inline: bool = True) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"'},
    )


def _erased_pdf() -> tuple[str, int]:
    """The PDF of a holder whose data is erased is no longer served: it names them."""
    return render_template(
        "error.html", title=_("Holder's data erased"),
        message=_("This document named a person whose personal data has been erased after "
                  "its retention period. Its serial number and SHA-256 remain as evidence; "
                  "the PDF itself is no longer kept.")), 410


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
    )


def _issue_all_preview(run: Run) -> dict:
    """What "issue all" will do, in numbers, for the page that asks to confirm it."""
    todo, holding, not_completed = services.issue_all_preview(run)
    today = run.today(utcnow())
    effects = [
        ngettext("%(num)d certificate is issued now, serial %(first)s.",
                 "%(num)d certificates are issued now, serials from %(first)s in roster order.",
                 len(todo), first=services.next_serial_preview(run, today.year)),
        ngettext("%(num)d trainee already holds a valid certificate and gets no new one.",
                 "%(num)d trainees already hold a valid certificate and get no new one.",
                 holding),
        ngettext("%(num)d trainee did not complete the run and gets none.",
                 "%(num)d trainees did not complete the run and get none.", not_completed),
        _("An issued certificate is never changed: a mistake is corrected by revoking it, "
          "with the reason, and issuing a new one."),
    ]
    blocked = None
    if run.status != RunStatus.CLOSED:
        blocked = _("Certificates are issued once the run is closed.")
    elif not todo:
        blocked = _("Everyone who completed the run already has a certificate.")
    return {"effects": effects, "warnings": [], "blocked": blocked,
            "names": [e.user.full_name for e in todo],
            "names_heading": _("Who gets a certificate")}


@bp.route("/manage/runs/<int:run_id>/certificates/issue-all", methods=["GET", "POST"])
@require(is_admin)
def issue_all(run_id: int):
    """GET: what issuing will do, in numbers, and a button to do it; POST: issue."""
    run = db.get_or_404(Run, run_id)
    if request.method == "GET":
        return render_template(
            "_confirm.html", heading=_("Issue all who completed"), subject=run.course.title,
            back=url_for("certificates.run_certificates", run_id=run.id),
            action=url_for("certificates.issue_all", run_id=run.id),
            button=_("Issue the certificates"), form=ConfirmForm(), **_issue_all_preview(run))
    if ConfirmForm().validate_on_submit():
        # All or nothing: a refusal rolls back every certificate of the run.
        done = perform(lambda: services.issue_all(run, current_user, run.today(utcnow())))
        if done:
            flash(_("Certificates issued: %(count)d. Each trainee can download theirs from "
                    "My trainings; the list below prints them all.", count=len(done.value)),
                  "success")
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


@bp.route("/manage/certificates/<int:certificate_id>/revoke", methods=["GET", "POST"])
@require(is_admin)
def revoke(certificate_id: int):
    """GET: what revoking changes, the reason and the button; POST: revoke."""
    certificate = db.get_or_404(Certificate, certificate_id)
    run_id = certificate.enrolment.run_id
    form = ReasonForm()
    if request.method == "POST" and form.validate_on_submit():
        if perform(lambda: services.revoke(certificate, current_user, form.reason.data), form):
            flash(_("Certificate %(serial)s is revoked: its verification page says so from "
                    "now on. You can now reissue it with a new serial.",
                    serial=certificate.serial), "success")
            return redirect(url_for("certificates.run_certificates", run_id=run_id))
    name = certificate.enrolment.user.full_name
    return render_template(
        "_confirm.html", form=form, fields=["reason"],
        heading=_("Revoke certificate %(serial)s", serial=certificate.serial),
        subject=certificate.enrolment.run.course.title,
        back=url_for("certificates.run_certificates", run_id=run_id),
        action=url_for("certificates.revoke", certificate_id=certificate.id),
        button=_("Revoke the certificate"), button_class="button-danger", warnings=[], names=[],
        effects=[
            _("The certificate %(serial)s of %(name)s becomes revoked: anyone who checks its "
              "code or QR is told so, with your reason, from now on.",
              serial=certificate.serial, name=name),
            _("Its PDF and facts stay on record, unchanged; a revocation cannot be undone."),
            _("You can then issue %(name)s a new certificate, with a new serial that points "
              "back to this one.", name=name),
        ],
        blocked=None if certificate.status == CertificateStatus.VALID
        else _("Only a valid certificate can be revoked."))


@bp.route("/manage/certificates/<int:certificate_id>/reissue", methods=["GET", "POST"])
@require(is_admin)
def reissue(certificate_id: int):
    """GET: the new serial and what becomes of the revoked one, and the button; POST:
    reissue."""
    certificate = db.get_or_404(Certificate, certificate_id)
    if request.method == "GET":
        enrolment, run = certificate.enrolment, certificate.enrolment.run
        name = enrolment.user.full_name
        today = run.today(utcnow())
        return render_template(
            "_confirm.html", heading=_("Reissue certificate %(serial)s", serial=certificate.serial),
            subject=run.course.title,
            back=url_for("certificates.run_certificates", run_id=run.id),
            action=url_for("certificates.reissue", certificate_id=certificate.id),
            form=ConfirmForm(), button=_("Issue the new certificate"), warnings=[], names=[],
            effects=[
                _("%(name)s gets a new certificate, serial %(serial)s, dated %(day)s, with the "
                  "facts as they are today.", name=name,
                  serial=services.next_serial_preview(run, today.year), day=format_day(today)),
                _("The revoked certificate %(serial)s becomes superseded: anyone who checks its "
                  "code is pointed to the new one.", serial=certificate.serial),
                _("Both stay on record; an issued certificate is never changed."),
            ],
            blocked=None if certificate.status == CertificateStatus.REVOKED
            else _("Revoke the certificate first, giving the reason, then reissue it."))
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
    if not certificate.pdf:
        return _erased_pdf()
    filename = f"{certificate.serial}.pdf"
    perform(lambda: record_event(DOWNLOAD, "Certificate", certificate.id, filename))
    return _pdf(certificate.pdf, filename, inline=False)


@bp.route("/my/transcripts")
@login_required
def transcripts():
    page = paginate(services.transcripts_query(current_user), *page_args(request.args))
    language = services.transcript_language(current_user, str(get_locale()))
    return render_template("certificates/transcripts.html", page=page, form=ConfirmForm(),
                           language=LANGUAGE_NAMES[language],
                           has_certificates=any(c.status.value == "valid"
                                                for c in services.certificates_of(current_user)))


@bp.route("/my/transcripts", methods=["POST"])
@login_required
@limiter.limit(ISSUE_TRANSCRIPT_LIMIT, key_func=lambda: f"transcript:{current_user.get_id()}")
def issue_transcript():
    if ConfirmForm().validate_on_submit():
        language = services.transcript_language(current_user, str(get_locale()))
        now = utcnow()
        _apply(lambda: services.issue_transcript(current_user, language, now,
                                                 today_at(now, viewer_zone())),
               _("Your transcript is issued. Download it below."))
    return redirect(url_for("certificates.transcripts"))


@bp.route("/my/transcripts/<int:transcript_id>.pdf")
@login_required
def transcript_download(transcript_id: int):
    transcript = db.get_or_404(Transcript, transcript_id)
    # Its holder, or a network administrator: a transcript spans centres, so an
    # administrator scoped to one centre may not read it (nor learn it exists).
    network_admin = is_admin(current_user) and current_user.centre_id is None
    if transcript.user_id != current_user.id and not network_admin:
        abort(404)
    if not transcript.pdf:
        return _erased_pdf()
    filename = f"transcript-{transcript.issue_date.isoformat()}-{transcript.id}.pdf"
    perform(lambda: record_event(DOWNLOAD, "Transcript", transcript.id, filename))
    return _pdf(transcript.pdf, filename, inline=False)


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
    if certificate is not None:
        return render_template("certificates/verify.html", certificate=certificate,
                               c=certificate.facts)
    transcript = services.find_transcript_by_code(code)
    if transcript is not None:
        t = transcript.facts
        states = services.certificate_states([row["serial"] for row in t["rows"]])
        return render_template("certificates/verify_transcript.html", transcript=transcript,
                               t=t, states={k: v.value for k, v in states.items()})
    return render_template("certificates/verify_not_found.html"), 404

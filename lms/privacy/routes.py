"""Personal data: the privacy notice, one's own data (export, requests), the
administrators' requests queue."""

import json

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from lms import paging
from lms.audit.services import EXPORT, record_event
from lms.auth.permissions import is_admin, require
from lms.clock import utcnow
from lms.courses.forms import ConfirmForm
from lms.courses.models import Centre
from lms.extensions import db
from lms.i18n import gettext as _
from lms.pdf import render_pdf
from lms.pipeline import perform
from lms.privacy import bp, erasure, export, services
from lms.privacy.forms import AnswerForm, RequestForm, kind_labels, state_labels
from lms.privacy.models import OPEN_STATES, PrivacyRequest, RequestKind, RequestState
from lms.templating import format_day


@bp.route("/privacy")
def notice():
    """The privacy notice in the reader's language: the centres as controllers, what is
    kept, why and for how long, and the rights a person has."""
    centres = db.session.scalars(
        sa.select(Centre).where(Centre.active.is_(True)).order_by(Centre.country, Centre.name)
    ).all()
    return render_template("privacy/notice.html", centres=centres,
                           years=current_app.config["PERSONAL_DATA_RETENTION_YEARS"])


def _data_filename(user, extension: str) -> str:
    return f"forras-my-data-{user.id}.{extension}"


@bp.route("/profile/my-data.json")
@login_required
def my_data_json():
    """Everything Forrás holds about the person, machine-readable (GDPR Art. 15, 20)."""
    user = current_user._get_current_object()
    data = export.personal_data(user)
    name = _data_filename(user, "json")
    perform(lambda: record_event(EXPORT, "User", user.id, name))
    body = json.dumps({"generated_at": utcnow().isoformat(), "person": user.id, **data},
                      ensure_ascii=False, indent=2, default=str)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/profile/my-data.pdf")
@login_required
def my_data_pdf():
    """The same, readable: one section per kind of record."""
    user = current_user._get_current_object()
    data = export.personal_data(user)
    name = _data_filename(user, "pdf")
    html = render_template("pdf/my_data.html", person=user, data=data,
                           titles=export.SECTION_TITLES, generated_at=utcnow())
    pdf = render_pdf(html)
    perform(lambda: record_event(EXPORT, "User", user.id, name))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# ---------------------------------------------------------------- requests


@bp.route("/profile/requests", methods=["GET", "POST"])
@login_required
def my_requests():
    """One's own requests (erasure, rectification) and the form to file one."""
    user = current_user._get_current_object()
    form = RequestForm()
    if form.validate_on_submit():
        if perform(lambda: services.file_request(
                user, RequestKind(form.kind.data), form.details.data, utcnow()), form):
            flash(_("Your request is received. We answer it within one month."), "success")
            return redirect(url_for("privacy.my_requests"))
    requests = db.session.scalars(sa.select(PrivacyRequest).where(
        PrivacyRequest.user_id == user.id).order_by(PrivacyRequest.id.desc())).all()
    return render_template("privacy/my_requests.html", form=form, requests=requests,
                           kinds=kind_labels(), states=state_labels())


@bp.route("/manage/privacy-requests/")
@require(is_admin)
def queue():
    """The administrators' queue: open requests first, by deadline; overdue ones marked."""
    state = request.args.get("state", "")
    page = paging.paginate(services.queue_statement(state),
                           *paging.page_args(request.args,
                                             current_app.config["PRIVACY_REQUESTS_PAGE_SIZE"]))
    return render_template("privacy/queue.html", page=page, requests=page.items, state=state,
                           today=utcnow().date(), kinds=kind_labels(), states=state_labels(),
                           is_overdue=services.is_overdue)


@bp.route("/manage/privacy-requests/<int:request_id>", methods=["GET", "POST"])
@require(is_admin)
def request_detail(request_id: int):
    """One request: the person, what they asked, and the answer."""
    found = db.get_or_404(PrivacyRequest, request_id)
    form = AnswerForm()
    if form.validate_on_submit():
        if perform(lambda: services.close_request(
                found, current_user, RequestState(form.state.data), form.outcome.data,
                utcnow()), form):
            flash(_("The request is answered."), "success")
            return redirect(url_for("privacy.queue"))
    return render_template("privacy/request.html", found=found, form=form,
                           start_form=ConfirmForm(), today=utcnow().date(),
                           kinds=kind_labels(), states=state_labels(),
                           overdue=services.is_overdue(found, utcnow().date()))


@bp.route("/manage/privacy-requests/<int:request_id>/start", methods=["POST"])
@require(is_admin)
def start_request(request_id: int):
    found = db.get_or_404(PrivacyRequest, request_id)
    if ConfirmForm().validate_on_submit() and perform(
            lambda: services.start_request(found, current_user, utcnow())):
        flash(_("The request is in progress."), "success")
    return redirect(url_for("privacy.request_detail", request_id=found.id))


@bp.route("/manage/privacy-requests/<int:request_id>/erase", methods=["GET", "POST"])
@require(is_admin)
def erase(request_id: int):
    """Carry out an erasure request, after a page that states in numbers what will be
    erased at once and what is kept until when."""
    found = db.get_or_404(PrivacyRequest, request_id)
    if found.kind != RequestKind.ERASURE:
        abort(404)
    back = url_for("privacy.request_detail", request_id=found.id)
    form = ConfirmForm()
    if found.state not in OPEN_STATES:
        flash(_("This request is already answered."), "error")
        return redirect(back)
    if form.validate_on_submit():
        if perform(lambda: erasure.carry_out_erasure(found, current_user, utcnow())):
            flash(_("The erasure is carried out and the person is told."), "success")
            return redirect(back)
    plan = erasure.erasure_plan(found.user, utcnow())
    effects = [_("Erased at once: %(what)s (%(num)d)", what=erasure.ERASED_LABELS[key], num=n)
               for key, n in plan.erased.items() if n]
    if plan.retain_until is None:
        effects.append(_("Nothing is kept: the name is replaced by a pseudonym the next day."))
    else:
        effects += [_("Kept until %(day)s, then pseudonymised: %(what)s (%(num)d)",
                      day=format_day(plan.retain_until), what=erasure.KEPT_LABELS[key], num=n)
                    for key, n in plan.kept.items() if n]
    warnings = [_("The account can no longer log in. This cannot be undone."),
                _("The person is told by e-mail, in their language, what was erased and "
                  "what is kept until when.")]
    blocked = (_("You cannot erase your own account; ask another administrator.")
               if found.user_id == current_user.id else None)
    return render_template("_confirm.html", heading=_("Carry out the erasure"),
                           subject=_("Data request #%(id)d", id=found.id), back=back,
                           action=url_for("privacy.erase", request_id=found.id), form=form,
                           effects=effects, warnings=warnings, blocked=blocked,
                           button=_("Erase now"), button_class="button-danger")

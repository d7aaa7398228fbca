"""Funding programmes in the back office: network administrators record them; every
administrator sees them (to put runs in them and read their reports)."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from lms.auth.permissions import is_admin, require
from lms.clock import utcnow
from lms.courses.forms import ConfirmForm
from lms.courses.models import Run
from lms.extensions import db
from lms.i18n import gettext as _
from lms.i18n import ngettext
from lms.pipeline import perform
from lms.programmes import bp
from lms.programmes import services as participants
from lms.programmes.forms import ProgrammeForm
from lms.programmes.models import SENSITIVE, ParticipantData, Programme
from lms.programmes.services import FIELDS, programmes, save_programme

# What a trainee answers at enrolment besides the optional questions.
FIELDS_KEPT = ("gender", "birth_year", "labour_status", "education")


@bp.route("/manage/programmes/")
@require(is_admin)
def programme_list():
    rows = programmes()
    runs = dict(db.session.execute(
        sa.select(Run.programme_id, sa.func.count(Run.id))
        .where(Run.programme_id.is_not(None)).group_by(Run.programme_id)).all())
    return render_template("programmes/list.html", programmes=rows, runs=runs)


@bp.route("/manage/programmes/new", methods=["GET", "POST"])
@bp.route("/manage/programmes/<int:programme_id>/edit", methods=["GET", "POST"])
@require(is_admin)
def edit_programme(programme_id: int | None = None):
    programme = db.get_or_404(Programme, programme_id) if programme_id else None
    form = ProgrammeForm(obj=programme)
    if form.validate_on_submit():
        fields = {name: getattr(form, name).data for name in FIELDS}
        done = perform(lambda: save_programme(programme, **fields), form)
        if done:
            flash(_("The programme %(code)s is saved.", code=done.value.code), "success")
            return redirect(url_for("programmes.programme_list"))
    return render_template("programmes/form.html", form=form, programme=programme)


@bp.route("/my/answers/<int:data_id>/withdraw-consent", methods=["GET", "POST"])
@login_required
def withdraw_consent(data_id: int):
    """GET: which answers are erased, in numbers, and the button; POST: withdraw."""
    data = db.get_or_404(ParticipantData, data_id)
    if data.enrolment.user_id != current_user.id:
        abort(404)  # someone else's answers: not even their existence is told
    back = url_for("enrolment.dashboard") + "#answers"
    if request.method == "POST":
        if ConfirmForm().validate_on_submit() and perform(
                lambda: participants.withdraw_consent(data, utcnow())):
            flash(_("Your consent is withdrawn and your answers to the optional questions "
                    "are erased."), "success")
        return redirect(back)
    run = data.enrolment.run
    given = sum(getattr(data, name) is not None for name in SENSITIVE)
    return render_template(
        "_confirm.html", manage_nav=False, heading=_("Withdraw my consent"),
        subject=run.course.title, back=back,
        action=url_for("programmes.withdraw_consent", data_id=data.id), form=ConfirmForm(),
        button=_("Withdraw my consent"), button_class="button-danger", warnings=[], names=[],
        effects=[
            ngettext("Your %(num)d answer to the optional questions is erased for good.",
                     "Your %(num)d answers to the optional questions are erased for good.",
                     given),
            ngettext("Your %(num)d other answer at enrolment is kept for the funding "
                     "programme's reports.",
                     "Your %(num)d other answers at enrolment are kept for the funding "
                     "programme's reports.", len(FIELDS_KEPT)),
            _("Your enrolment does not change."),
        ],
        blocked=None if data.sensitive_consent else _("There is no consent to withdraw."))

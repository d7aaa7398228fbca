"""Trainees enrol and cancel; administrators manage a run's roster."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required

from lms import paging
from lms.access import scoped_centre_id
from lms.audit.services import EXPORT, record_access, record_event
from lms.auth.models import Role
from lms.auth.permissions import is_admin, require
from lms.auth.services import find_user_by_email
from lms.clock import utcnow
from lms.courses.forms import ConfirmForm
from lms.courses.models import Run, RunStatus
from lms.enrolment import bp, confirmations, services
from lms.enrolment.forms import (
    CancelEnrolmentForm,
    CapacityForm,
    EnrolOnBehalfForm,
    MoveForm,
    ReasonForm,
)
from lms.enrolment.models import SEAT_STATES, CancelKind, Enrolment, EnrolmentState
from lms.enrolment.queries import people_of_run, waitlist_positions
from lms.exports import csv_download
from lms.extensions import db
from lms.formtools import int_arg, options
from lms.i18n import gettext as _
from lms.i18n import viewer_zone
from lms.notifications.services import mark_seen, recent_for
from lms.pipeline import perform
from lms.programmes import services as participants
from lms.programmes.forms import ParticipantForm
from lms.programmes.models import SENSITIVE
from lms.surveys.evaluations import open_invitations
from lms.templating import format_day


def outcome_message(enrolment: Enrolment, position: int | None) -> str:
    course = enrolment.run.course.title
    return {
        EnrolmentState.ENROLLED: _(
            "You have a place in %(course)s. We have sent the details with a calendar file "
            "to %(email)s.",
            course=course, email=enrolment.user.email,
        ),
        EnrolmentState.PENDING: _(
            "Your enrolment in %(course)s awaits the centre's approval; your seat is held "
            "meanwhile. We will tell you its decision by e-mail at %(email)s.",
            course=course, email=enrolment.user.email,
        ),
        EnrolmentState.WAITLISTED: _(
            "%(course)s is full: you are number %(position)d on the waitlist. If a seat "
            "frees, it goes to the first in line, and we tell you by e-mail at once.",
            course=course,
            position=position or 0,
        ),
    }[enrolment.state]


# ---------------------------------------------------------------- trainees


@bp.app_template_global()
def my_enrolments(runs) -> dict[int, tuple[Enrolment, int | None]]:
    """For the course page: the current user's enrolment in each of `runs`, in one query."""
    if not current_user.is_authenticated or not runs:
        return {}
    found = list(
        db.session.scalars(
            sa.select(Enrolment).where(
                Enrolment.user_id == current_user.id, Enrolment.run_id.in_([r.id for r in runs])
            )
        )
    )
    positions = waitlist_positions(found)
    return {e.run_id: (e, positions.get(e.id)) for e in found}


@bp.app_template_global()
def enrolment_open(run) -> bool:
    return services.window_is_open(run, utcnow())


@bp.route("/runs/<int:run_id>/enrol", methods=["GET", "POST"])
@login_required
def enrol(run_id: int):
    run = db.get_or_404(Run, run_id)
    if run.status == RunStatus.DRAFT:
        abort(404)
    if participants.asks_participant_data(run):
        return _enrol_with_answers(run)
    if request.method == "GET":  # nothing to ask: the course page's button enrols
        return redirect(url_for("courses.course", code=run.course.code) + f"#run-{run.id}")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    done = perform(lambda: services.enrol(current_user, run, utcnow()))
    if done:
        return _enrolled(done.value)
    return redirect(url_for("courses.course", code=run.course.code) + f"#run-{run.id}")


def _enrolled(enrolment: Enrolment):
    flash(outcome_message(enrolment, enrolment.waitlist_position), "success")
    return redirect(url_for("enrolment.dashboard"))


def _enrol_with_answers(run: Run):
    """A run of a programme that asks the ESF+ indicator data: the questions, then the
    enrolment and the answers in one transaction."""
    programme = run.programme
    previous = participants.last_answers(current_user) if request.method == "GET" else None
    form = ParticipantForm(obj=previous)
    if previous is not None:  # filled in from the last answers; the consent asked anew
        form.sensitive_consent.data = False
        for name in SENSITIVE:
            getattr(form, name).data = None
    if form.validate_on_submit():
        now = utcnow()

        def enrol_and_answer() -> Enrolment:
            enrolment = services.enrol(current_user, run, now)
            participants.record_participant_data(enrolment, form.answers(), str(get_locale()),
                                                 now)
            return enrolment

        done = perform(enrol_and_answer, form)
        if done:
            return _enrolled(done.value)
    return render_template("programmes/enrol.html", run=run, programme=programme, form=form,
                           consent=participants.consent_wording(programme),
                           kept_until=participants.kept_until(programme))


@bp.route("/enrolments/<int:enrolment_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(enrolment_id: int):
    """GET: what cancelling will do (who gets the seat) and the button; POST: cancel."""
    enrolment = db.get_or_404(Enrolment, enrolment_id)
    if enrolment.user_id != current_user.id:
        abort(404)  # someone else's enrolment: not even its existence is told
    form = CancelEnrolmentForm()
    if request.method == "POST":
        if form.validate_on_submit() and perform(
            lambda: services.cancel_enrolment(enrolment, current_user, utcnow(),
                                              form.reason.data or ""), form
        ):
            flash(_("Your enrolment in %(course)s is cancelled. We have sent you a "
                    "confirmation by e-mail; you can enrol again on the course page while "
                    "enrolment is open.", course=enrolment.run.course.title), "success")
            return redirect(url_for("enrolment.dashboard"))
        if not form.errors:
            return redirect(url_for("enrolment.dashboard"))
    waitlisted = enrolment.state == EnrolmentState.WAITLISTED
    return render_template(
        "_confirm.html", manage_nav=False, form=form, fields=["reason"],
        heading=_("Leave the waitlist") if waitlisted else _("Cancel my place"),
        subject=enrolment.run.course.title, back=url_for("enrolment.dashboard"),
        action=url_for("enrolment.cancel", enrolment_id=enrolment.id),
        button=_("Yes, cancel"), button_class="button-danger", warnings=[], names=[],
        effects=confirmations.cancel_enrolment_effects(enrolment, by_trainee=True),
        blocked=None if enrolment.state != EnrolmentState.CANCELLED
        else _("This enrolment is already cancelled."))


@bp.route("/my/")
@login_required
def dashboard():
    data = services.dashboard(current_user, utcnow())
    notices = recent_for(current_user)
    page = render_template(
        "enrolment/dashboard.html", data=data, notices=notices, cancel_form=CancelEnrolmentForm(),
        consents=participants.consents_of(current_user), confirm_form=ConfirmForm(),
        evaluations=open_invitations(current_user, utcnow()),
    )
    perform(lambda: mark_seen(notices))
    return page


# ---------------------------------------------------------------- administrators


def _roster_page(run: Run, **forms):
    roster, cancelled = services.roster_page(
        run, int_arg(request.args, "cancelled_page", 1), paging.PAGE_SIZE)
    move_form = MoveForm()
    # Trainees are moved out of a published run only (the page offers it nowhere else):
    # the other runs are not even looked for otherwise.
    move_form.run_id.choices = options(
        (r.id, f"{r.centre.city} · {format_day(r.first_date)} ({r.seats_left})")
        for r in services.other_runs_of_course(run, utcnow())
        if scoped_centre_id(current_user) in (None, r.centre_id)
    ) if run.status == RunStatus.PUBLISHED else []
    forms.setdefault("capacity_form", CapacityForm(data={"capacity": run.capacity}))
    forms.setdefault("enrol_form", EnrolOnBehalfForm())
    return render_template(
        "enrolment/roster.html",
        roster=roster,
        cancelled=cancelled,
        run=run,
        reason_form=ReasonForm(),
        move_form=move_form,
        **forms,
    )


def _enrolment_for_admin(enrolment_id: int) -> Enrolment:
    return db.get_or_404(Enrolment, enrolment_id)


def _back_to_roster(enrolment: Enrolment):
    return redirect(url_for("enrolment.roster", run_id=enrolment.run_id))


@bp.route("/manage/runs/<int:run_id>/roster")
@require(is_admin)
def roster(run_id: int):
    return _roster_page(db.get_or_404(Run, run_id))


@bp.route("/manage/runs/<int:run_id>/roster.csv")
@require(is_admin)
def roster_csv(run_id: int):
    run = db.get_or_404(Run, run_id)
    filename = f"roster-{run.course.code}-{run.id}.csv"
    perform(lambda: (record_event(EXPORT, "Run", run.id, filename),
                     record_access(people_of_run(run.id), filename, "Run", run.id)))
    roster = services.roster(run)
    header = [
        _("State"),
        _("Waitlist position"),
        _("Name"),
        _("E-mail"),
        _("Organisation"),
        _("Job title"),
        _("County or region"),
        _("Settlement"),
        _("Enrolled at"),
        _("Cancelled at"),
        _("Cancelled by"),
        _("Reason"),
    ]
    labels = state_labels()
    here = viewer_zone()  # the moments as the reader's clock showed them

    def moment(value) -> str:
        return value.astimezone(here).strftime("%Y-%m-%d %H:%M") if value else ""

    groups = [roster.enrolled, roster.pending, roster.waitlist, roster.cancelled]
    rows = (
        (
            labels[e.state],
            index if e.state == EnrolmentState.WAITLISTED else "",
            e.user.full_name,
            e.user.email,
            e.user.organisation,
            e.user.job_title,
            e.user.county,
            e.user.settlement,
            moment(e.created_at),
            moment(e.cancelled_at),
            e.cancelled_by.full_name if e.cancelled_by else "",
            e.cancel_reason,
        )
        for group in groups
        for index, e in enumerate(group, start=1)
    )
    return csv_download(filename, header, rows)


def state_labels() -> dict:
    return {
        EnrolmentState.ENROLLED: _("Enrolled"),
        EnrolmentState.PENDING: _("Pending"),
        EnrolmentState.WAITLISTED: _("Waitlisted"),
        EnrolmentState.CANCELLED: _("Cancelled"),
    }


@bp.route("/manage/runs/<int:run_id>/roster/enrol", methods=["POST"])
@require(is_admin)
def enrol_on_behalf(run_id: int):
    run = db.get_or_404(Run, run_id)
    form = EnrolOnBehalfForm()
    if form.validate_on_submit():
        trainee = find_user_by_email(form.email.data)
        if trainee is None or trainee.role != Role.TRAINEE:
            form.email.errors.append(_("No trainee account has this e-mail address."))
        else:
            done = perform(lambda: services.enrol(trainee, run, utcnow(), by=current_user), form)
            if done:
                flash(
                    _(
                        "%(name)s: %(state)s.",
                        name=trainee.full_name,
                        state=state_labels()[done.value.state],
                    ),
                    "success",
                )
                return redirect(url_for("enrolment.roster", run_id=run.id))
    return _roster_page(run, enrol_form=form)


@bp.route("/manage/runs/<int:run_id>/capacity", methods=["POST"])
@require(is_admin)
def capacity(run_id: int):
    run = db.get_or_404(Run, run_id)
    form = CapacityForm()
    if form.validate_on_submit():
        done = perform(lambda: services.change_capacity(run, form.capacity.data), form)
        if done:
            flash(
                _(
                    "Capacity is now %(capacity)d; %(count)d promoted from the waitlist.",
                    capacity=run.capacity,
                    count=len(done.value),
                ),
                "success",
            )
            return redirect(url_for("enrolment.roster", run_id=run.id))
    return _roster_page(run, capacity_form=form)


@bp.route("/manage/enrolments/<int:enrolment_id>/approve", methods=["POST"])
@require(is_admin)
def approve(enrolment_id: int):
    enrolment = _enrolment_for_admin(enrolment_id)
    if ConfirmForm().validate_on_submit() and perform(
        lambda: services.approve(enrolment, current_user)
    ):
        flash(_("%(name)s is enrolled; they are told by e-mail, with a calendar file.",
                name=enrolment.user.full_name), "success")
    return _back_to_roster(enrolment)


@bp.route("/manage/enrolments/<int:enrolment_id>/refuse", methods=["GET", "POST"])
@require(is_admin)
def refuse(enrolment_id: int):
    """GET: who is told and who gets the seat, the reason and the button; POST: refuse."""
    enrolment = _enrolment_for_admin(enrolment_id)
    form = ReasonForm()
    if request.method == "POST" and form.validate_on_submit():
        if perform(lambda: services.refuse(enrolment, current_user, form.reason.data,
                                           utcnow()), form):
            flash(_("The enrolment of %(name)s is refused; they are told by e-mail, with "
                    "your reason, and the seat goes to the waitlist.",
                    name=enrolment.user.full_name), "success")
            return _back_to_roster(enrolment)
    return render_template(
        "_confirm.html", form=form, fields=["reason"],
        heading=_("Refuse the enrolment of %(name)s", name=enrolment.user.full_name),
        subject=enrolment.run.course.title,
        back=url_for("enrolment.roster", run_id=enrolment.run_id),
        action=url_for("enrolment.refuse", enrolment_id=enrolment.id),
        button=_("Refuse the enrolment"), button_class="button-danger", warnings=[], names=[],
        effects=confirmations.refuse_effects(enrolment),
        blocked=None if enrolment.state == EnrolmentState.PENDING
        else _("Only a pending enrolment can be refused."))


@bp.route("/manage/enrolments/<int:enrolment_id>/cancel", methods=["GET", "POST"])
@require(is_admin)
def cancel_for_trainee(enrolment_id: int):
    """GET: what cancelling will do (who is told, who gets the seat), the reason and the
    button; POST: cancel."""
    enrolment = _enrolment_for_admin(enrolment_id)
    form = ReasonForm()
    if request.method == "POST":
        if form.validate_on_submit() and perform(
            lambda: services.cancel_enrolment(enrolment, current_user, utcnow(),
                                              form.reason.data, CancelKind.BY_ADMIN), form
        ):
            flash(_("The enrolment of %(name)s is cancelled; they are told by e-mail.",
                    name=enrolment.user.full_name), "success")
            return _back_to_roster(enrolment)
    waitlisted = enrolment.state == EnrolmentState.WAITLISTED
    return render_template(
        "_confirm.html", form=form, fields=["reason"],
        heading=_("Remove %(name)s from the waitlist", name=enrolment.user.full_name)
        if waitlisted else _("Cancel the enrolment of %(name)s", name=enrolment.user.full_name),
        subject=enrolment.run.course.title,
        back=url_for("enrolment.roster", run_id=enrolment.run_id),
        action=url_for("enrolment.cancel_for_trainee", enrolment_id=enrolment.id),
        button=_("Cancel the enrolment"), button_class="button-danger", warnings=[], names=[],
        effects=confirmations.cancel_enrolment_effects(enrolment, by_trainee=False),
        blocked=None if enrolment.state != EnrolmentState.CANCELLED
        else _("This enrolment is already cancelled."))


@bp.route("/manage/enrolments/<int:enrolment_id>/move", methods=["GET", "POST"])
@require(is_admin)
def move(enrolment_id: int):
    """GET (the run chosen on the roster): what moving changes in both runs, and the
    button; POST: move."""
    enrolment = _enrolment_for_admin(enrolment_id)
    form = MoveForm(request.args, meta={"csrf": False}) if request.method == "GET" \
        else MoveForm()
    form.run_id.choices = options(
        (r.id, str(r.id))
        for r in services.other_runs_of_course(enrolment.run, utcnow())
        if scoped_centre_id(current_user) in (None, r.centre_id)
    )
    valid = form.validate() if request.method == "GET" else form.validate_on_submit()
    if not valid:
        flash(_("Choose another run of the same course."), "error")
        return _back_to_roster(enrolment)
    target = db.get_or_404(Run, form.run_id.data)
    source_id = enrolment.run_id
    if request.method == "GET":
        return render_template(
            "_confirm.html", form=ConfirmForm(), hidden={"run_id": target.id},
            heading=_("Move %(name)s to another run", name=enrolment.user.full_name),
            subject=enrolment.run.course.title, back=url_for("enrolment.roster", run_id=source_id),
            action=url_for("enrolment.move", enrolment_id=enrolment.id),
            button=_("Move them"), warnings=[], names=[],
            effects=confirmations.move_effects(enrolment, target),
            blocked=None if enrolment.state in SEAT_STATES
            else _("Only a trainee with a place can be moved."))
    if perform(lambda: services.move_enrolment(enrolment, target, current_user, utcnow())):
        flash(
            _(
                "%(name)s is moved to %(city)s, %(day)s.",
                name=enrolment.user.full_name,
                city=target.centre.city,
                day=format_day(target.first_date),
            ),
            "success",
        )
    return redirect(url_for("enrolment.roster", run_id=source_id))

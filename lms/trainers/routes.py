"""Administrators put trainers on runs."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms.auth.models import Role, User
from lms.auth.permissions import is_admin, require
from lms.courses.forms import ConfirmForm
from lms.courses.models import Run, RunStatus, Session
from lms.extensions import db
from lms.formtools import options
from lms.i18n import gettext as _
from lms.i18n import ngettext
from lms.pipeline import perform
from lms.templating import format_clock, format_day
from lms.trainers import bp, services
from lms.trainers.forms import AssignTrainerForm
from lms.trainers.models import TrainerAssignment, TrainerRole


def _assign_form(run: Run) -> AssignTrainerForm:
    form = AssignTrainerForm()
    trainers = db.session.scalars(
        sa.select(User).where(User.role == Role.TRAINER, User.active.is_(True))
        .order_by(User.full_name)
    )
    form.trainer_id.choices = options((t.id, t.full_name) for t in trainers)
    form.sessions.choices = options(
        (s.id, f"{format_day(s.date)} {format_clock(s.starts_at)}–{format_clock(s.ends_at)}"
         + (f" {s.topic}" if s.topic else ""))
        for s in run.sessions
    )
    return form


@bp.route("/manage/runs/<int:run_id>/trainers", methods=["GET", "POST"])
@require(is_admin)
def assignments(run_id: int):
    run = db.get_or_404(Run, run_id)
    form = _assign_form(run)
    if form.validate_on_submit():
        trainer = db.get_or_404(User, form.trainer_id.data)
        chosen = [db.get_or_404(Session, sid) for sid in form.sessions.data or []]
        if perform(lambda: services.assign_trainer(run, trainer, TrainerRole(form.role.data),
                                                   chosen), form):
            flash(_("%(name)s is assigned to the run; its sessions are now on their My "
                    "sessions page, where they mark attendance.", name=trainer.full_name),
                  "success")
            return redirect(url_for("trainers.assignments", run_id=run.id))
    return render_template("trainers/assignments.html", run=run, form=form,
                           assignments=services.run_assignments(run),
                           removed=services.run_assignments(run, removed=True),
                           confirm_form=ConfirmForm())


@bp.route("/manage/assignments/<int:assignment_id>/remove", methods=["GET", "POST"])
@require(is_admin)
def remove(assignment_id: int):
    """GET: which sessions lose the trainer, and the button; POST: take them off."""
    assignment = db.get_or_404(TrainerAssignment, assignment_id)
    if assignment.removed_at is not None:
        abort(404)
    run = assignment.run
    if request.method == "POST":
        if ConfirmForm().validate_on_submit():
            if perform(lambda: services.remove_assignment(assignment, current_user)):
                flash(_("%(name)s is taken off the run; their marks keep their name.",
                        name=assignment.trainer.full_name), "success")
        return redirect(url_for("trainers.assignments", run_id=run.id))
    name = assignment.trainer.full_name
    sessions = assignment.sessions or run.sessions
    current = services.run_assignments(run)
    alone = [s for s in sessions  # whom nobody else trains
             if [a.id for a in current if not a.sessions or s in a.sessions] == [assignment.id]]
    return render_template(
        "_confirm.html", heading=_("Take %(name)s off the run", name=name),
        subject=run.course.title, back=url_for("trainers.assignments", run_id=run.id),
        action=url_for("trainers.remove", assignment_id=assignment.id), form=ConfirmForm(),
        button=_("Take them off the run"), button_class="button-danger", names=[],
        effects=[
            ngettext("%(name)s no longer trains %(num)d session of this run and cannot mark it.",
                     "%(name)s no longer trains %(num)d sessions of this run and cannot mark "
                     "them.", len(sessions), name=name),
            _("The attendance marks they made keep their name; the assignment stays on "
              "record as removed."),
        ],
        warnings=[ngettext("%(num)d session is then left without a trainer.",
                           "%(num)d sessions are then left without a trainer.", len(alone))]
        if alone else [],
        blocked=_("A closed run cannot change.") if run.status == RunStatus.CLOSED else None)

"""Back-office views for runs and their sessions."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from lms import paging
from lms.access import only_visible_runs, scoped_centre_id
from lms.clock import utcnow
from lms.courses import services
from lms.courses.forms import CancelRunForm, ConfirmForm, RunForm, SessionForm
from lms.courses.models import (
    Centre,
    Course,
    CourseStatus,
    Run,
    RunStatus,
    Session,
    minutes_to_hours,
)
from lms.enrolment import confirmations
from lms.enrolment import services as enrolments
from lms.extensions import db
from lms.formtools import YEAR_MAX, YEAR_MIN, int_arg, options
from lms.i18n import gettext as _
from lms.i18n import ngettext
from lms.manage import bp
from lms.pipeline import perform
from lms.programmes.services import programmes
from lms.surveys import evaluations
from lms.templating import format_day, format_hours
from lms.trainers import services as trainers


def _run_form(run: Run | None) -> RunForm:
    form = RunForm(obj=run)
    courses = db.session.scalars(
        sa.select(Course).where(Course.status != CourseStatus.ARCHIVED).order_by(Course.title)
    )
    form.course_id.choices = options(
        (c.id, f"{c.code} – {c.title} ({c.total_hours} h)") for c in courses
    )
    centres = sa.select(Centre).order_by(Centre.city, Centre.name)
    if scoped_centre_id(current_user) is not None:  # runs of their own centre only
        centres = centres.where(Centre.id == scoped_centre_id(current_user))
    centres = db.session.scalars(centres)
    form.centre_id.choices = options((c.id, f"{c.city} – {c.name}") for c in centres)
    # Active programmes, and the run's own even if it has ended since.
    form.programme_id.choices = options(
        [(0, _("None"))] + [(p.id, f"{p.code} – {p.name}") for p in programmes()
                            if p.active or (run is not None and run.programme_id == p.id)])
    if form.programme_id.data is None:  # the run has none, or the form sent no choice
        form.programme_id.data = 0
    if request.method == "GET" and run is None:
        course_id = int_arg(request.args, "course")
        if course_id:
            form.course_id.data = course_id
    if request.method == "GET" and run is not None:
        form.certificate_style.data = run.certificate_style.value
    return form


@dataclass
class RunLine:
    """A run in the back-office list, with its schedule summed up in SQL."""

    run: Run
    first_date: date | None
    last_date: date | None
    scheduled_hours: Decimal


def _run_filters() -> dict:
    """The runs list's filters from the query string; unreadable ones are dropped."""
    status = request.args.get("status", "")
    centre_id = int_arg(request.args, "centre")
    if scoped_centre_id(current_user) is not None:  # their own centre's runs only anyway
        centre_id = None
    return {
        "status": status if status in RunStatus._value2member_map_ else "",
        "centre": centre_id,
        "year": int_arg(request.args, "year", low=YEAR_MIN, high=YEAR_MAX),
    }


@bp.route("/runs/")
def runs():
    filters = _run_filters()
    stmt = (
        sa.select(Run)
        .options(joinedload(Run.course), joinedload(Run.centre))
        .order_by(Run.id.desc())
    )
    if filters["status"]:
        stmt = stmt.where(Run.status == filters["status"])
    if filters["centre"]:
        stmt = stmt.where(Run.centre_id == filters["centre"])
    if filters["year"]:
        year = filters["year"]
        stmt = stmt.where(Run.id.in_(
            sa.select(Session.run_id).where(Session.date >= date(year, 1, 1),
                                            Session.date <= date(year, 12, 31))))
    page = paging.paginate(only_visible_runs(stmt, current_user),
                           *paging.page_args(request.args))
    # First and last day and hours scheduled of the page's runs only: one grouped query.
    schedule = {
        run_id: (first, last, minutes)
        for run_id, first, last, minutes in db.session.execute(
            sa.select(Session.run_id, sa.func.min(Session.date), sa.func.max(Session.date),
                      sa.func.sum(Session.minutes))
            .where(Session.run_id.in_([r.id for r in page.items]))
            .group_by(Session.run_id))
    }
    lines = []
    for run in page.items:
        first, last, minutes = schedule.get(run.id, (None, None, 0))
        lines.append(RunLine(run, first, last, minutes_to_hours(minutes or 0)))
    centres = db.session.scalars(sa.select(Centre).order_by(Centre.city, Centre.name)) \
        if scoped_centre_id(current_user) is None else []
    return render_template("manage/runs.html", page=page, lines=lines, filters=filters,
                           status=filters["status"], centres=list(centres))


@bp.route("/runs/new", methods=["GET", "POST"])
@bp.route("/runs/<int:run_id>/edit", methods=["GET", "POST"])
def edit_run(run_id: int | None = None):
    run = db.get_or_404(Run, run_id) if run_id else None
    form = _run_form(run)
    if form.validate_on_submit():
        course = db.get_or_404(Course, form.course_id.data)
        centre = db.get_or_404(Centre, form.centre_id.data)
        done = perform(
            lambda: enrolments.save_run_and_promote(
                run, course=course, centre=centre, **form.run_fields()
            ),
            form,
        )
        if done:
            flash(_("The run is saved."), "success")
            return redirect(url_for("manage.run", run_id=done.value.id))
    return render_template("manage/run_form.html", form=form, run=run)


@bp.route("/runs/<int:run_id>")
def run(run_id: int):
    run = db.get_or_404(Run, run_id)
    return _render_run(run, SessionForm(formdata=None))


def _render_run(run: Run, session_form: SessionForm):
    return render_template(
        "manage/run.html",
        run=run,
        session_form=session_form,
        confirm_form=ConfirmForm(),
        problems=services.publish_problems(run) if run.status == RunStatus.DRAFT else [],
        evaluation=evaluations.run_evaluation_row(run),
        now=utcnow(),
    )


def _session_fields(form: SessionForm) -> dict:
    return {
        "day": form.date.data,
        "starts_at": form.starts_at.data,
        "ends_at": form.ends_at.data,
        "minutes": services.minutes_from_hours(form.hours.data) if form.hours.data else None,
        "topic": form.topic.data or "",
        "room": form.room.data or "",
    }


@bp.route("/runs/<int:run_id>/sessions", methods=["POST"])
def add_session(run_id: int):
    run = db.get_or_404(Run, run_id)
    form = SessionForm()
    if form.validate_on_submit():
        if perform(lambda: trainers.save_session(run, None, **_session_fields(form)), form):
            flash(_("The session is added."), "success")
            return redirect(url_for("manage.run", run_id=run.id) + "#sessions")
    return _render_run(run, form)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def edit_session(session_id: int):
    session = db.get_or_404(Session, session_id)
    run = session.run
    form = SessionForm(obj=session)
    if request.method == "GET":
        form.hours.data = session.hours
    if form.validate_on_submit():
        was = (session.date, session.starts_at, session.ends_at)

        def operation():
            trainers.save_session(run, session, **_session_fields(form))
            return enrolments.tell_of_moved_session(session, was)

        outcome = perform(operation, form)
        if outcome:
            flash(_("The session is saved."), "success")
            if outcome.value:
                flash(
                    ngettext(
                        "%(num)d trainee was told of the new time.",
                        "%(num)d trainees were told of the new time.",
                        outcome.value,
                    ),
                    "info",
                )
            return redirect(url_for("manage.run", run_id=run.id) + "#sessions")
    return render_template("manage/session_form.html", form=form, session=session, run=run)


@bp.route("/sessions/<int:session_id>/remove", methods=["GET", "POST"])
def remove_session(session_id: int):
    """GET: what removing the session changes, in hours and trainers, and the button;
    POST: remove it."""
    session = db.get_or_404(Session, session_id)
    run = session.run
    back = url_for("manage.run", run_id=run.id) + "#sessions"
    if request.method == "POST":
        if ConfirmForm().validate_on_submit():
            if perform(lambda: trainers.remove_session(run, session, current_user)):
                flash(_("The session is removed."), "success")
        return redirect(back)
    narrowed = [a for a in trainers.run_assignments(run) if session in a.sessions]
    alone = [a for a in narrowed if len(a.sessions) == 1]
    left = run.scheduled_minutes - session.minutes
    effects = [
        _("The session of %(day)s, %(hours)s hours, is deleted.",
          day=format_day(session.date), hours=format_hours(session.hours)),
        ngettext("The run then has %(num)d session, %(hours)s of the course's %(total)d hours.",
                 "The run then has %(num)d sessions, %(hours)s of the course's %(total)d hours.",
                 len(run.sessions) - 1, hours=format_hours(minutes_to_hours(left)),
                 total=run.course.total_hours),
        ngettext("%(num)d trainer chosen for this session no longer trains it.",
                 "%(num)d trainers chosen for this session no longer train it.",
                 len(narrowed)),
    ]
    warnings = [ngettext(
        "%(num)d trainer was chosen for this session alone and is taken off the run (kept "
        "on record as removed).",
        "%(num)d trainers were chosen for this session alone and are taken off the run "
        "(kept on record as removed).", len(alone))] if alone else []
    return render_template(
        "_confirm.html", heading=_("Remove the session of %(day)s", day=format_day(session.date)),
        subject=run.course.title, back=back,
        action=url_for("manage.remove_session", session_id=session.id), form=ConfirmForm(),
        button=_("Remove the session"), button_class="button-danger", effects=effects,
        warnings=warnings, names=[a.trainer.full_name for a in narrowed],
        names_heading=_("Trainers chosen for this session"),
        blocked=None if run.status == RunStatus.DRAFT
        else _("Sessions can be removed only while the run is a draft."))


@bp.route("/runs/<int:run_id>/publish", methods=["POST"])
def publish_run(run_id: int):
    run = db.get_or_404(Run, run_id)
    if ConfirmForm().validate_on_submit():
        if perform(lambda: services.publish_run(run)):
            flash(_("The run is published and open in the catalogue."), "success")
    return redirect(url_for("manage.run", run_id=run.id))


@bp.route("/runs/<int:run_id>/cancel", methods=["GET", "POST"])
def cancel_run(run_id: int):
    """GET: who will be told, in numbers, the reason and the button; POST: cancel."""
    run = db.get_or_404(Run, run_id)
    form = CancelRunForm()
    if request.method == "POST" and form.validate_on_submit():
        if perform(
            lambda: enrolments.cancel_run_and_enrolments(
                run, current_user, form.reason.data, utcnow()
            ),
            form,
        ):
            flash(_("The run is cancelled. It stays on record with its enrolments; everyone "
                    "in it is told by e-mail on the mail worker's next pass."), "success")
            return redirect(url_for("manage.run", run_id=run.id))
    return render_template(
        "_confirm.html", heading=_("Cancel the run"), subject=run.course.title,
        back=url_for("manage.run", run_id=run.id),
        action=url_for("manage.cancel_run", run_id=run.id), form=form, fields=["reason"],
        button=_("Cancel the run"), button_class="button-danger", warnings=[], names=[],
        effects=confirmations.cancel_run_effects(run),
        blocked=None if run.status in (RunStatus.DRAFT, RunStatus.PUBLISHED)
        else _("Only a draft or published run can be cancelled."))

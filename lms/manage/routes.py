"""The administrators' back office: centres, courses and people."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms import paging
from lms.access import only_visible_runs
from lms.audit.services import record_access
from lms.auth import messages as account_messages
from lms.auth import services as accounts
from lms.auth.forms import EditUserForm, NewUserForm
from lms.auth.models import Role, User
from lms.auth.permissions import is_admin, require
from lms.courses import services
from lms.courses.forms import CentreForm, ConfirmForm, CourseForm
from lms.courses.models import Centre, Course, CourseStatus, Run, RunStatus
from lms.enrolment.models import Enrolment, EnrolmentState
from lms.extensions import db
from lms.formtools import options
from lms.i18n import gettext as _
from lms.i18n import ngettext
from lms.manage import audit as _audit  # noqa: F401  (the audit log)
from lms.manage import bp
from lms.manage import outbox as _outbox  # noqa: F401  (the e-mail outbox)
from lms.manage import runs as _runs  # noqa: F401  (run and session views)
from lms.pipeline import perform
from lms.surveys import evaluations


@bp.before_request
@require(is_admin)
def _admins_only():
    """Every page of the back office is for administrators only."""


@bp.route("/")
def dashboard():
    counts = {
        "centres": db.session.scalar(sa.select(sa.func.count(Centre.id))),
        "courses": db.session.scalar(sa.select(sa.func.count(Course.id))),
        "runs": db.session.scalar(only_visible_runs(sa.select(sa.func.count(Run.id)),
                                                    current_user)),
        "users": db.session.scalar(sa.select(sa.func.count(User.id))),
    }
    return render_template("manage/dashboard.html", counts=counts)


# ---------------------------------------------------------------- centres


@bp.route("/centres/")
def centres():
    stmt = sa.select(Centre).order_by(Centre.country, Centre.city, Centre.id)
    page = paging.paginate(stmt, *paging.page_args(request.args))
    return render_template("manage/centres.html", page=page, centres=page.items)


@bp.route("/centres/new", methods=["GET", "POST"])
@bp.route("/centres/<int:centre_id>/edit", methods=["GET", "POST"])
def edit_centre(centre_id: int | None = None):
    centre = db.get_or_404(Centre, centre_id) if centre_id else None
    form = CentreForm(obj=centre)
    if form.validate_on_submit():
        fields = {
            name: getattr(form, name).data
            for name in (
                "name",
                "city",
                "region",
                "country",
                "time_zone",
                "address",
                "signatory_name",
                "signatory_title",
                "organisation",
                "serial_prefix",
                "active",
            )
        }
        done = perform(lambda: services.save_centre(centre, **fields), form)
        if done:
            flash(_("The centre %(name)s is saved.", name=done.value.name), "success")
            return redirect(url_for("manage.centres"))
    return render_template("manage/centre_form.html", form=form, centre=centre)


# ---------------------------------------------------------------- courses


@bp.route("/courses/")
def courses():
    stmt = sa.select(Course).order_by(Course.total_hours.desc(), Course.title, Course.id)
    q = request.args.get("q", "")
    words = paging.search_words(q)
    if words:
        stmt = stmt.where(paging.matching_all(words, Course.code, Course.title))
    page = paging.paginate(stmt, *paging.page_args(request.args), searched=bool(words))
    # How many runs each course of the page has: one grouped count over those courses only.
    run_counts = dict(db.session.execute(
        sa.select(Run.course_id, sa.func.count(Run.id))
        .where(Run.course_id.in_([c.id for c in page.items]))
        .group_by(Run.course_id)
    ).all())
    return render_template("manage/courses.html", page=page, courses=page.items,
                           run_counts=run_counts, q=q[:200])


@bp.route("/courses/new", methods=["GET", "POST"])
@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
def edit_course(course_id: int | None = None):
    course = db.get_or_404(Course, course_id) if course_id else None
    form = CourseForm(obj=course)
    if request.method == "GET" and course is not None:
        while len(form.modules) > 0:
            form.modules.pop_entry()
        for module in course.modules:
            form.modules.append_entry({"title": module.title, "hours": module.hours})
        for _blank in range(3):
            form.modules.append_entry()
    if form.validate_on_submit():
        fields = {
            name: getattr(form, name).data
            for name in (
                "code",
                "title",
                "summary",
                "description",
                "total_hours",
                "target_group",
                "accreditation_number",
                "credit_points",
                "language",
            )
        }
        done = perform(lambda: services.save_course(course, form.module_rows(), **fields), form)
        if done:
            flash(_("The course %(code)s is saved.", code=done.value.code), "success")
            return redirect(url_for("manage.courses"))
    return render_template(
        "manage/course_form.html", form=form, course=course,
        evaluated=evaluations.course_summary(course.id) if course is not None else None)


def _archive_effects(course: Course) -> list[str]:
    """What archiving `course` changes, in runs and trainees."""
    runs = dict(db.session.execute(
        sa.select(Run.status, sa.func.count(Run.id)).where(Run.course_id == course.id)
        .group_by(Run.status)).all())
    enrolled = db.session.scalar(
        sa.select(sa.func.count(Enrolment.id)).join(Run, Run.id == Enrolment.run_id).where(
            Run.course_id == course.id, Run.status == RunStatus.PUBLISHED,
            Enrolment.state == EnrolmentState.ENROLLED))
    return [
        ngettext("The course leaves the catalogue with its %(num)d published run.",
                 "The course leaves the catalogue with its %(num)d published runs.",
                 runs.get(RunStatus.PUBLISHED, 0)),
        ngettext("%(num)d trainee enrolled in them keeps their place; the runs go on as "
                 "planned.",
                 "%(num)d trainees enrolled in them keep their places; the runs go on as "
                 "planned.", enrolled),
        ngettext("%(num)d draft run cannot be published, and no new run can be scheduled.",
                 "%(num)d draft runs cannot be published, and no new run can be scheduled.",
                 runs.get(RunStatus.DRAFT, 0)),
        _("Nothing is deleted: the course can be published again."),
    ]


@bp.route("/courses/<int:course_id>/status", methods=["GET", "POST"])
def course_status(course_id: int):
    """POST: publish or archive the course. GET: what archiving changes, in runs and
    trainees, and the button (publishing needs no confirmation: it hides nothing)."""
    course = db.get_or_404(Course, course_id)
    if request.method == "GET":
        return render_template(
            "_confirm.html", heading=_("Archive the course %(code)s", code=course.code),
            subject=course.title, back=url_for("manage.courses"),
            action=url_for("manage.course_status", course_id=course.id),
            hidden={"status": CourseStatus.ARCHIVED.value}, form=ConfirmForm(),
            button=_("Archive the course"), button_class="button-danger", warnings=[],
            names=[], effects=_archive_effects(course),
            blocked=None if course.status != CourseStatus.ARCHIVED
            else _("This course is already archived."))
    form = ConfirmForm()
    status = request.form.get("status", "")
    if form.validate_on_submit() and status in CourseStatus._value2member_map_:
        if perform(lambda: services.set_course_status(course, CourseStatus(status))):
            flash(
                _(
                    "The course %(code)s is now %(status)s.",
                    code=course.code,
                    status=course_status_label(course.status),
                ),
                "success",
            )
    else:
        flash(_("The status could not be changed."), "error")
    return redirect(url_for("manage.courses"))


def course_status_label(status: CourseStatus) -> str:
    return {
        CourseStatus.DRAFT: _("draft"),
        CourseStatus.PUBLISHED: _("published"),
        CourseStatus.ARCHIVED: _("archived"),
    }[status]


# ---------------------------------------------------------------- people


@bp.route("/users/")
def users():
    role = request.args.get("role", "")
    q = request.args.get("q", "")
    stmt = sa.select(User).order_by(User.full_name, User.id)
    if role in Role._value2member_map_:
        stmt = stmt.where(User.role == role)
    else:
        role = ""
    words = paging.search_words(q)
    if words:
        # Sorted by an expression, not the column: PostgreSQL then reads the matches
        # through the trigram index (ix_user_search_trgm) and sorts them, where the name
        # index tempts it to walk every account in name order testing each one.
        stmt = stmt.where(paging.matching_all(words, User.full_name, User.email,
                                              User.organisation))
        stmt = stmt.order_by(None).order_by(User.full_name + "", User.id)
    page = paging.paginate(stmt, *paging.page_args(request.args), searched=bool(words))
    return render_template("manage/users.html", page=page, users=page.items, role=role,
                           q=q[:200], confirm_form=ConfirmForm())


@bp.route("/users/<int:user_id>/confirm", methods=["POST"])
def confirm_user(user_id: int):
    """An administrator vouches for an address (e.g. confirmed by phone)."""
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit() and perform(lambda: accounts.confirm_email(user)):
        flash(_("The e-mail address of %(name)s is confirmed; they can log in.",
                name=user.full_name), "success")
    return redirect(url_for("manage.users"))


@bp.route("/users/<int:user_id>/reinvite", methods=["POST"])
def reinvite_user(user_id: int):
    """A new confirmation link for someone whose first one expired or went astray."""
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit() and perform(lambda: account_messages.reinvite(user)):
        flash(_("A new confirmation link is on its way to %(email)s.", email=user.email),
              "success")
    return redirect(url_for("manage.users"))


def _centre_choices(form) -> None:
    centres = db.session.scalars(sa.select(Centre).order_by(Centre.city, Centre.name))
    form.centre_id.choices = options([(0, _("The whole network")),
                                      *((c.id, f"{c.city} – {c.name}") for c in centres)])


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewUserForm()
    _centre_choices(form)
    if form.centre_id.data is None:
        form.centre_id.data = 0
    if form.validate_on_submit():
        done = perform(lambda: accounts.create_account(
            email=form.email.data, password=form.password.data, role=Role(form.role.data),
            centre_id=form.centre_id.data, **form.profile_data()), form)
        if done:
            flash(_("The account of %(name)s is created.", name=done.value.full_name),
                  "success")
            return redirect(url_for("manage.users"))
    return render_template("manage/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = EditUserForm(obj=user)
    _centre_choices(form)
    if form.centre_id.data is None:  # not sent: keep the account's scope
        form.centre_id.data = user.centre_id or 0
    if request.method == "GET":
        form.role.data = user.role.value
        perform(lambda: record_access([user.id], "manage/users/edit", "User", user.id))
    if form.validate_on_submit():
        if perform(lambda: accounts.edit_account(
                user, current_user, Role(form.role.data), form.active.data,
                form.centre_id.data, **form.profile_data()), form):
            flash(_("The account of %(name)s is saved.", name=user.full_name), "success")
            return redirect(url_for("manage.users"))
    return render_template("manage/user_form.html", form=form, user=user)

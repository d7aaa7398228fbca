from datetime import date

from flask import abort, render_template, request
from flask_login import current_user

from lms.auth.permissions import can_manage_catalogue
from lms.clock import utcnow
from lms.courses import bp, services
from lms.courses.forms import CatalogueFilterForm
from lms.courses.models import Course
from lms.extensions import db
from lms.formtools import options
from lms.i18n import gettext as _
from lms.programmes.services import runs_asking_participant_data


def _filter_form() -> tuple[CatalogueFilterForm, services.CatalogueFilters]:
    form = CatalogueFilterForm(request.args)
    form.centre.choices = options(
        [("", _("All centres"))]
        + [(str(c.id), f"{c.city} – {c.name}") for c in services.centres_for_filter()]
    )
    form.region.choices = options(
        [("", _("All regions"))] + [(r, r) for r in services.regions_for_filter()]
    )
    filters = services.CatalogueFilters()
    if form.validate():
        filters.format = form.format.data or ""
        filters.centre_id = int(form.centre.data) if form.centre.data else None
        filters.region = form.region.data or ""
        filters.q = form.q.data or ""
        if form.month.data:
            year, month = form.month.data.split("-")
            filters.month = date(int(year), int(month), 1)
    return form, filters


@bp.route("/courses/")
@bp.route("/")
def catalogue():
    form, filters = _filter_form()
    groups = services.catalogue(filters, utcnow())
    return render_template(
        "courses/catalogue.html",
        form=form,
        groups=groups,
        total=sum(len(entries) for entries in groups.values()),
        filtered=any(request.args.get(k) for k in ("q", "format", "centre", "region", "month")),
    )


@bp.route("/courses/<code>")
def course(code: str):
    course = services.published_course(code)
    preview = False
    if course is None and can_manage_catalogue(current_user):
        # Administrators may look at a draft or archived course as it would appear.
        course = db.first_or_404(db.select(Course).where(Course.code == code))
        preview = True
    if course is None:
        abort(404)
    runs = services.upcoming_runs(course, utcnow())
    return render_template("courses/course.html", course=course, runs=runs, preview=preview,
                           asking=runs_asking_participant_data(runs))

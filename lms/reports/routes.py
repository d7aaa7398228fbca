"""The indicator report of a programme, for administrators (one scoped to a centre
sees their centre's part of it only)."""

import sqlalchemy as sa
from flask import Response, abort, render_template, request
from flask_login import current_user
from sqlalchemy.orm import joinedload

from lms.access import scoped_centre_id
from lms.audit.services import DOWNLOAD, record_event
from lms.auth.permissions import is_admin, require
from lms.courses.models import Centre, Run
from lms.extensions import db
from lms.formtools import date_arg, int_arg
from lms.i18n import gettext as _
from lms.pipeline import perform
from lms.programmes.models import Programme
from lms.reports import bp
from lms.reports.accreditation import (
    accreditation_list,
    accreditation_pdf,
    accreditation_xlsx,
    is_accredited,
)
from lms.reports.exports import report_pdf, report_xlsx, summary_rows
from lms.reports.indicators import GENDERS, LONG_HOURS, SHORT_HOURS, Filters, indicator_report
from lms.templating import format_day


def _filters() -> tuple[Filters, list[str]]:
    """The report's filters from the query string; unreadable ones are named, not used."""
    problems = []
    since, ok = date_arg(request.args, "since")
    if not ok:
        problems.append(_("The start of the period is not a date; the report starts with "
                          "the programme."))
    until, ok = date_arg(request.args, "until")
    if not ok:
        problems.append(_("The end of the period is not a date; the report runs to today."))
    if since and until and until < since:
        problems.append(_("The period ends before it starts; the whole programme is shown."))
        since = until = None
    hours = int_arg(request.args, "format")
    county = request.args.get("county", "").strip()[:100] or None
    centre_id = scoped_centre_id(current_user) or int_arg(request.args, "centre")
    return Filters(since, until, centre_id, county,
                   hours if hours in (LONG_HOURS, SHORT_HOURS) else None), problems


def _scope(programme: Programme, filters: Filters, centres: dict[int, Centre]) -> str:
    parts = [f"{programme.code} – {programme.name}"]
    if filters.since or filters.until:
        parts.append(f"{format_day(filters.since) if filters.since else '…'} – "
                     f"{format_day(filters.until) if filters.until else '…'}")
    if filters.centre_id in centres:
        parts.append(centres[filters.centre_id].name)
    if filters.county:
        parts.append(filters.county)
    if filters.course_hours:
        parts.append(_("%(hours)d-hour trainings", hours=filters.course_hours))
    return " · ".join(parts)


def _report(programme_id: int):
    programme = db.get_or_404(Programme, programme_id)
    filters, problems = _filters()
    centres = {c.id: c for c in db.session.scalars(sa.select(Centre).order_by(Centre.name))}
    report = indicator_report(programme, filters)
    return programme, filters, problems, centres, report


@bp.route("/manage/programmes/<int:programme_id>/report")
@require(is_admin)
def indicator_page(programme_id: int):
    programme, filters, problems, centres, report = _report(programme_id)
    counties = sorted({c.region for c in centres.values() if c.region})
    return render_template("reports/indicators.html", programme=programme, filters=filters,
                           problems=problems, centres=centres, counties=counties,
                           report=report, summary=summary_rows(report), genders=GENDERS,
                           scope=_scope(programme, filters, centres),
                           scoped=scoped_centre_id(current_user) is not None)


def _name(programme: Programme) -> str:
    safe = "".join(c if c.isascii() and c.isalnum() else "-" for c in programme.code)
    return f"indicators-{safe.strip('-')}"


@bp.route("/manage/programmes/<int:programme_id>/report.xlsx")
@require(is_admin)
def indicator_xlsx(programme_id: int):
    programme, _filters_, _problems, _centres, report = _report(programme_id)
    return Response(report_xlsx(report),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition":
                             f'attachment; filename="{_name(programme)}.xlsx"'})


@bp.route("/manage/programmes/<int:programme_id>/report.pdf")
@require(is_admin)
def indicator_pdf(programme_id: int):
    programme, filters, _problems, centres, report = _report(programme_id)
    return Response(report_pdf(report, _scope(programme, filters, centres)),
                    mimetype="application/pdf",
                    headers={"Content-Disposition":
                             f'inline; filename="{_name(programme)}.pdf"'})


# ---------------------------------------------------------------- accredited trainings


def _accredited_run(run_id: int) -> Run:
    """The run (centre scope checked by lms.access), 404 unless its course is accredited."""
    run = db.session.scalar(sa.select(Run).where(Run.id == run_id)
                            .options(joinedload(Run.course), joinedload(Run.centre)))
    if run is None or not is_accredited(run):
        abort(404)
    return run


@bp.route("/manage/runs/<int:run_id>/accredited-participants.xlsx", defaults={"fmt": "xlsx"})
@bp.route("/manage/runs/<int:run_id>/accredited-participants.pdf", defaults={"fmt": "pdf"})
@require(is_admin)
def accreditation_export(run_id: int, fmt: str):
    """The participant list the accrediting authority's report asks for."""
    run = _accredited_run(run_id)
    safe = "".join(c if c.isascii() and c.isalnum() else "-" for c in run.course.code)
    filename = f"accredited-participants-{safe.strip('-')}-{run.id}.{fmt}"
    perform(lambda: record_event(DOWNLOAD, "Run", run.id, filename))
    data = accreditation_list(run)
    if fmt == "pdf":
        return Response(accreditation_pdf(data), mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{filename}"'})
    return Response(accreditation_xlsx(data),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})

"""The audit log, for administrators: filter by record type, person, record and dates,
read it page by page or take every matching change away as CSV."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_login import current_user

from lms.audit import labels, presentation, services
from lms.courses.forms import ConfirmForm
from lms.exports import csv_download
from lms.extensions import db
from lms.formtools import date_arg, int_arg
from lms.i18n import gettext as _
from lms.i18n import viewer_zone
from lms.manage import bp
from lms.pipeline import perform

ENTITIES = labels.KINDS


def _described(filters: dict) -> dict:
    """The filters of an export, as its event records them."""
    return {key: value for key, value in filters.items() if value and key != "where"}


def _filters() -> tuple[dict, dict]:
    """The filters of the query string, cleaned, and which dates were unreadable."""
    entity = request.args.get("entity", "")
    since, since_ok = date_arg(request.args, "since")
    until, until_ok = date_arg(request.args, "until")
    return {
        "entity": entity if entity in ENTITIES else "",
        "actor_email": request.args.get("actor", "").strip()[:254],
        "entity_id": int_arg(request.args, "id"),
        "since": since, "until": until, "where": viewer_zone(),
    }, {"since": not since_ok, "until": not until_ok}


@bp.route("/audit")
def audit_log():
    filters, bad_dates = _filters()
    found = services.search(**filters, after=request.args.get("after"),
                            before=request.args.get("before"))
    export_args = {k: v for k, v in request.args.items() if k not in ("page", "after", "before")}
    return render_template(
        "manage/audit.html", lines=presentation.present(found.items), slice=found,
        entities=ENTITIES, filters={"entity": filters["entity"], "actor": filters["actor_email"],
                                  "id": filters["entity_id"] or "",
                                  "since": request.args.get("since", ""),
                                  "until": request.args.get("until", "")},
        bad_dates=bad_dates, export_args=export_args, export_form=ConfirmForm(),
    )


@bp.route("/audit.csv")
def audit_csv():
    """Every change matching the filters, oldest first, a row per changed field, in the
    reader's language and zone; the last columns keep the stored names for filtering."""
    filters, _bad_dates = _filters()
    # Past a limit the file would take longer than a web worker may (gunicorn's 30 s):
    # the job worker makes it instead, from the page's "Export" button.
    limit = current_app.config["AUDIT_CSV_DIRECT_LIMIT"]
    if services.count_matching(**filters) > limit:
        flash(_("More than %(limit)s entries match: use Export, which prepares the file in "
                "the background, or narrow the filters.", limit=format_decimal(limit)),
              "warning")
        return redirect(url_for("manage.audit_log", **request.args))
    perform(lambda: services.record_event(services.EXPORT, label="forras-audit-log.csv",
                                          details=_described(filters)))
    where = filters["where"]
    # The rows are made after the view returns, when the request's database session is
    # gone: the reader (asked by the access table for each link) is read again now,
    # after the event's commit expired it, so it is whole without a session.
    db.session.refresh(current_user._get_current_object())
    return csv_download("forras-audit-log.csv", presentation.csv_header(where),
                        presentation.csv_rows(services.export(**filters), where))

"""The audit log, for administrators: filter by record type, person, record and dates,
read it page by page or take every matching change away as CSV."""

from flask import render_template, request

from lms.audit import services
from lms.exports import csv_download
from lms.formtools import date_arg, int_arg
from lms.i18n import gettext as _
from lms.i18n import lazy_gettext as _l
from lms.i18n import viewer_zone
from lms.manage import bp
from lms.pipeline import perform

ENTITIES = {
    "Run": _l("Run"), "Session": _l("Session"), "Enrolment": _l("Enrolment"),
    "AttendanceMark": _l("Attendance mark"), "Certificate": _l("Certificate"),
    "Course": _l("Course"), "CourseModule": _l("Course module"), "Centre": _l("Centre"),
    "TrainerAssignment": _l("Trainer assignment"), "User": _l("Person"),
    "Notification": _l("E-mail"), "SignedSheet": _l("Signed sign-in sheet"),
    "DocumentBlob": _l("Stored document"),
}
ACTIONS = {"create": _l("created"), "update": _l("changed"), "delete": _l("removed")}
EVENTS = {
    services.LOGIN: _l("logged in"), services.LOGIN_FAILED: _l("failed login"),
    services.LOGOUT: _l("logged out"), services.SESSIONS_ENDED: _l("sessions ended"),
    services.EXPORT: _l("exported"), services.DOWNLOAD: _l("downloaded"),
}


def what(entry) -> str:
    """What happened to the record: created, changed, removed, or the event."""
    if entry.action == "event":
        return str(EVENTS.get(entry.event, entry.event))
    return str(ACTIONS.get(entry.action, entry.action))


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
    page = int_arg(request.args, "page", 1, high=1_000_000)
    entries, more = services.search(**filters, page=page)
    export_args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "manage/audit.html", entries=entries, more=more, page=page, entities=ENTITIES,
        what=what, filters={"entity": filters["entity"], "actor": filters["actor_email"],
                                  "id": filters["entity_id"] or "",
                                  "since": request.args.get("since", ""),
                                  "until": request.args.get("until", "")},
        bad_dates=bad_dates, export_args=export_args,
    )


def _value(value) -> str:
    return "" if value is None else str(value)


@bp.route("/audit.csv")
def audit_csv():
    """Every change matching the filters, oldest first, a row per changed field."""
    filters, _bad_dates = _filters()
    perform(lambda: services.record_event(services.EXPORT, label="forras-audit-log.csv",
                                          details=_described(filters)))
    header = [_("When (UTC)"), _("Who"), _("E-mail"), _("Record"), _("Record number"),
              _("What"), _("Description"), _("Reason"), _("Field"), _("Before"), _("After")]

    def rows():
        for entry in services.export(**filters):
            who = (entry.actor.full_name, entry.actor.email) if entry.actor else (
                _("system or command line"), "")
            common = [entry.at.strftime("%Y-%m-%d %H:%M:%S"), *who,
                      str(ENTITIES.get(entry.entity, entry.entity)), _value(entry.entity_id),
                      what(entry), entry.label, entry.reason]
            for field, (before, after) in (entry.changes or {"": (None, None)}).items():
                yield [*common, field, _value(before), _value(after)]

    return csv_download("forras-audit-log.csv", header, rows())

"""The audit log, for administrators: filter by record type, person, record and dates."""

from datetime import date

from flask import render_template, request

from lms.audit import services
from lms.i18n import lazy_gettext as _l
from lms.manage import bp

ENTITIES = {
    "Run": _l("Run"), "Session": _l("Session"), "Enrolment": _l("Enrolment"),
    "AttendanceMark": _l("Attendance mark"), "Certificate": _l("Certificate"),
    "Course": _l("Course"), "CourseModule": _l("Course module"), "Centre": _l("Centre"),
    "TrainerAssignment": _l("Trainer assignment"), "User": _l("Person"),
}
ACTIONS = {"create": _l("created"), "update": _l("changed"), "delete": _l("removed")}


def _day(name: str) -> tuple[date | None, bool]:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None, True
    try:
        return date.fromisoformat(raw), True
    except ValueError:
        return None, False


@bp.route("/audit")
def audit_log():
    entity = request.args.get("entity", "")
    entity = entity if entity in ENTITIES else ""
    actor = request.args.get("actor", "").strip()[:254]
    entity_id = request.args.get("id", type=int)
    since, since_ok = _day("since")
    until, until_ok = _day("until")
    page = max(request.args.get("page", 1, type=int), 1)
    entries, more = services.search(entity, actor, entity_id, since, until, page)
    return render_template(
        "manage/audit.html", entries=entries, more=more, page=page, entities=ENTITIES,
        actions=ACTIONS, filters={"entity": entity, "actor": actor, "id": entity_id or "",
                                  "since": request.args.get("since", ""),
                                  "until": request.args.get("until", "")},
        bad_dates={"since": not since_ok, "until": not until_ok},
    )

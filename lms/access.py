"""Who may call what: the one access table every request is checked against.

Each endpoint names the roles that may call it (ANYONE includes visitors who are
not logged in) and, where a role only reaches some records, the scope that the
view then enforces on the record itself:

- OWN: a trainee reaches only their own enrolments and certificates (others: 404);
- OWN_SESSIONS: a trainer reaches only the sessions and runs they are assigned to
  (others: 403);
- OWN_CENTRE: an administrator scoped to one centre (user.centre_id) reaches only
  that centre's runs, sessions, rosters, registers and certificates (others: 404,
  checked here from the URL's record); lists show only that centre's runs;
- NETWORK: only a network administrator (no centre) manages the shared catalogue,
  the centres, the people and reads the audit log (a scoped one: 403).

A request for an endpoint that is not in the table is refused (deny by default),
and tests/test_access.py fails when a route is missing here, or when a route lets
in a role this table does not list.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, abort, has_request_context, request
from flask_login import current_user

from lms.certificates.models import Certificate
from lms.courses.models import Run, Session
from lms.enrolment.models import Enrolment
from lms.extensions import db, login_manager
from lms.notifications.models import Notification
from lms.surveys.models import Survey
from lms.trainers.models import TrainerAssignment
from lms.trainers.services import is_trainer_of, is_trainer_of_run

ANONYMOUS = "anonymous"
TRAINEE, TRAINER, ADMIN = "trainee", "trainer", "admin"
ANYONE = frozenset({ANONYMOUS, TRAINEE, TRAINER, ADMIN})
MEMBERS = frozenset({TRAINEE, TRAINER, ADMIN})
STAFF = frozenset({TRAINER, ADMIN})
ADMINS = frozenset({ADMIN})

OWN = "own records only"
OWN_SESSIONS = "own sessions only"
OWN_CENTRE = "own centre only"  # an administrator scoped to one centre
NETWORK = "network administrators only"  # not for one scoped to a centre


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    scope: dict[str, str] | None = None  # role -> OWN / OWN_SESSIONS


def _rule(roles, **scope) -> Rule:
    return Rule(frozenset(roles), scope or None)


ACCESS: dict[str, Rule] = {
    "static": _rule(ANYONE),
    # public
    "core.healthz": _rule(ANYONE),
    "core.favicon": _rule(ANYONE),
    "core.set_language": _rule(ANYONE),
    "courses.catalogue": _rule(ANYONE),
    "courses.course": _rule(ANYONE),
    "certificates.verify_form": _rule(ANYONE),
    "certificates.verify": _rule(ANYONE),
    "certificates.verify_short": _rule(ANYONE),
    # calendars: a draft or cancelled run's only for its administrators (checked by the
    # view: 404 to others); a personal feed opened by its secret address alone
    "calendars.run_calendar": _rule(ANYONE),
    "calendars.feed": _rule(ANYONE),
    # a published survey's public page, opened by its address (drafts: 404)
    "surveys.answer": _rule(ANYONE),
    "surveys.thanks": _rule(ANYONE),
    # a trainee's run evaluation, opened by their personal link alone (unknown key: 404)
    "surveys.evaluate": _rule(ANYONE),
    # the privacy notice (docs/privacy.md in the reader's language)
    "privacy.notice": _rule(ANYONE),
    # accounts
    "auth.login": _rule(ANYONE),
    "auth.register": _rule(ANYONE),
    "auth.check_inbox": _rule(ANYONE),
    "auth.confirm_email": _rule(ANYONE),
    "auth.forgot_password": _rule(ANYONE),
    "auth.reset_password": _rule(ANYONE),
    "auth.confirm_email_change": _rule(ANYONE),  # the link may open in another browser
    "auth.logout": _rule(MEMBERS),
    "auth.profile": _rule(MEMBERS, trainee=OWN, trainer=OWN, admin=OWN),
    # one's own data, downloaded (GDPR Art. 15, 20)
    "privacy.my_data_json": _rule(MEMBERS, trainee=OWN, trainer=OWN, admin=OWN),
    "privacy.my_data_pdf": _rule(MEMBERS, trainee=OWN, trainer=OWN, admin=OWN),
    "privacy.my_requests": _rule(MEMBERS, trainee=OWN, trainer=OWN, admin=OWN),
    # one's own calendar feed; an administrator has no sessions to put in one
    "calendars.start_feed": _rule({TRAINEE, TRAINER}, trainee=OWN, trainer=OWN),
    "calendars.stop_feed": _rule({TRAINEE, TRAINER}, trainee=OWN, trainer=OWN),
    # a person's own trainings
    "enrolment.dashboard": _rule(MEMBERS, trainee=OWN, trainer=OWN, admin=OWN),
    "enrolment.enrol": _rule(MEMBERS),
    "enrolment.cancel": _rule(MEMBERS, trainee=OWN, trainer=OWN, admin=OWN),
    "programmes.withdraw_consent": _rule(MEMBERS, trainee=OWN, trainer=OWN, admin=OWN),
    "certificates.download": _rule(MEMBERS, trainee=OWN, trainer=OWN, admin=OWN_CENTRE),
    # one's own transcripts (issued, listed, downloaded); a network administrator may
    # download anyone's (checked by the view: a transcript spans centres, so one scoped
    # to a centre gets 404 for another person's)
    "certificates.transcripts": _rule(MEMBERS, trainee=OWN, trainer=OWN, admin=OWN),
    "certificates.issue_transcript": _rule(MEMBERS, trainee=OWN, trainer=OWN, admin=OWN),
    "certificates.transcript_download": _rule(MEMBERS, trainee=OWN, trainer=OWN, admin=OWN),
    # trainers
    "attendance.my_sessions": _rule({TRAINER}, trainer=OWN_SESSIONS),
    "attendance.my_runs": _rule({TRAINER}, trainer=OWN_SESSIONS),
    "attendance.mark": _rule(STAFF, trainer=OWN_SESSIONS, admin=OWN_CENTRE),
    "attendance.session_history": _rule(STAFF, trainer=OWN_SESSIONS, admin=OWN_CENTRE),
    "attendance.sign_in_sheet": _rule(STAFF, trainer=OWN_SESSIONS, admin=OWN_CENTRE),
    "attendance.upload_signed_sheet": _rule(STAFF, trainer=OWN_SESSIONS, admin=OWN_CENTRE),
    "attendance.signed_sheet": _rule(STAFF, trainer=OWN_SESSIONS, admin=OWN_CENTRE),
    "attendance.run_register": _rule(STAFF, trainer=OWN_SESSIONS, admin=OWN_CENTRE),
    "attendance.register_export": _rule(STAFF, trainer=OWN_SESSIONS, admin=OWN_CENTRE),
    # course evaluations: a trainer reads their own runs' only (and each run's results
    # only once closed with at least five answers: checked by the view)
    "surveys.run_report": _rule(STAFF, trainer=OWN_SESSIONS, admin=OWN_CENTRE),
    "surveys.run_text_answers": _rule(STAFF, trainer=OWN_SESSIONS, admin=OWN_CENTRE),
    "surveys.trainer_report": _rule(STAFF, trainer=OWN, admin=OWN_CENTRE),
    # network administrators only: the shared catalogue, the centres, the people, the log
    **{endpoint: _rule(ADMINS, admin=NETWORK) for endpoint in (
        "manage.centres", "manage.edit_centre", "manage.courses", "manage.edit_course",
        "manage.course_status", "manage.users", "manage.new_user", "manage.edit_user",
        "manage.confirm_user", "manage.reinvite_user",
        "manage.audit_log", "manage.audit_csv", "programmes.edit_programme",
        "jobs.request_audit_log",
        # the evaluation templates are the network's
        "surveys.create_template",
        # personal-data requests: accounts span the centres
        "privacy.queue", "privacy.request_detail", "privacy.start_request",
        "privacy.erase",
    )},
    # administrators; one scoped to a centre reaches only that centre's records
    **{endpoint: _rule(ADMINS, admin=OWN_CENTRE) for endpoint in (
        "attendance.close",
        "certificates.bulk_print", "certificates.issue_all", "certificates.issue_one",
        "certificates.reissue", "certificates.revoke", "certificates.run_certificates",
        "enrolment.approve", "enrolment.cancel_for_trainee", "enrolment.capacity",
        "enrolment.enrol_on_behalf", "enrolment.move", "enrolment.refuse",
        "enrolment.roster", "enrolment.roster_csv", "evidence.evidence_pack",
        "manage.add_session", "manage.cancel_run", "manage.dashboard", "manage.edit_run",
        "manage.edit_session", "manage.publish_run", "manage.remove_session", "manage.run",
        "manage.runs",
        # the outbox: a scoped administrator sees and resends only news about their
        # centre's runs (lms.notifications.outbox; checked again by the view)
        "manage.outbox_list", "manage.resend_message", "manage.resend_failing",
        "trainers.assignments", "trainers.remove",
        # the programmes, to put a centre's runs in them and read their reports
        "programmes.programme_list",
        # a programme's indicator report; a scoped administrator's shows their centre only
        "reports.indicator_page", "reports.indicator_xlsx", "reports.indicator_pdf",
        # the participant list of an accredited run, for the accrediting authority
        "reports.accreditation_export",
        # exports made by the job worker: each administrator sees and downloads only
        # their own (lms.jobs; checked by the view), of the centres they reach
        "jobs.exports", "jobs.request_registers", "jobs.request_bulk_print", "jobs.download",
        "jobs.request_evidence_pack",
        # surveys: a scoped administrator builds and reads only their centre's (a
        # network survey, with no centre, is refused by the view: 404)
        "surveys.survey_list", "surveys.edit_survey", "surveys.survey", "surveys.edit_section",
        "surveys.move_section", "surveys.remove_section", "surveys.edit_question",
        "surveys.move_question", "surveys.remove_question", "surveys.publish_survey",
        "surveys.close_survey", "surveys.archive_survey",
        "surveys.new_version", "surveys.preview", "surveys.survey_results",
        "surveys.text_answers", "surveys.results_csv", "surveys.results_xlsx",
        "surveys.course_draft",
        # course evaluations (a scoped administrator's lists show their centre's runs)
        "surveys.evaluation_list", "surveys.course_report",
    )},
}


def role_of(user) -> str:
    return user.role.value if user and user.is_authenticated else ANONYMOUS


def scoped_centre_id(user) -> int | None:
    """The centre an administrator is limited to; None for a network administrator."""
    return user.centre_id if user and user.is_authenticated and user.is_admin else None


def only_visible_runs(stmt, user, run_class=Run):
    """`stmt` over runs, narrowed to the scoped administrator's centre (if any)."""
    centre_id = scoped_centre_id(user)
    if centre_id is None:
        return stmt
    return stmt.where(run_class.centre_id == centre_id)


# How to find the centre of the record a URL argument names (run, session, enrolment,
# certificate...); the first argument present decides.
_CENTRE_QUERIES = {
    "run_id": lambda id_: sa.select(Run.centre_id).where(Run.id == id_),
    "session_id": lambda id_: sa.select(Run.centre_id).join(Session, Session.run_id == Run.id)
    .where(Session.id == id_),
    "enrolment_id": lambda id_: sa.select(Run.centre_id)
    .join(Enrolment, Enrolment.run_id == Run.id).where(Enrolment.id == id_),
    "certificate_id": lambda id_: sa.select(Run.centre_id)
    .join(Enrolment, Enrolment.run_id == Run.id)
    .join(Certificate, Certificate.enrolment_id == Enrolment.id)
    .where(Certificate.id == id_),
    "assignment_id": lambda id_: sa.select(Run.centre_id)
    .join(TrainerAssignment, TrainerAssignment.run_id == Run.id)
    .where(TrainerAssignment.id == id_),
    # NULL for account messages: the Outbox view refuses those to a scoped admin.
    "notification_id": lambda id_: sa.select(Notification.centre_id)
    .where(Notification.id == id_),
    # NULL for a network survey: the view refuses those to a scoped administrator.
    "survey_id": lambda id_: sa.select(Survey.centre_id).where(Survey.id == id_),
}


def _centre_of(args: dict) -> int | None:
    """The centre whose record the URL names (run, session, enrolment, certificate...)."""
    for name, query in _CENTRE_QUERIES.items():
        if name in args:
            # Asked again by the page's links (`can`) after the request's own check:
            # looked up once per request (in its environ: `g` can outlive a request),
            # and its statement built only then (building one costs more than the lookup).
            known = (request.environ.setdefault("lms.centre_of", {})
                     if has_request_context() else {})
            key = (name, args[name])
            if key not in known:
                known[key] = db.session.scalar(query(args[name]))
            return known[key]
    return None


def remember_centres(name: str, centres: dict) -> None:
    """Tell `can` the centres of records a page has already loaded (`name` is the URL
    argument, e.g. "run_id"), so its links ask the database nothing more."""
    if has_request_context():
        known = request.environ.setdefault("lms.centre_of", {})
        known.update({(name, record_id): centre for record_id, centre in centres.items()})


LOG_IN = 401  # refused until the visitor logs in


def refusal(endpoint: str, user, args: dict) -> int | None:
    """Why `user` may not call `endpoint` on the records `args` names: LOG_IN, 403 or 404
    (another centre's record: not even its existence is told); None when allowed.

    Checks what the table says (roles, network-only, own centre). The narrower
    scopes (OWN, OWN_SESSIONS) are checked by the views on the loaded record, and by
    `can` for links.
    """
    rule = ACCESS.get(endpoint)
    if rule is None:
        return 404
    if rule.roles >= ANYONE:  # public: no need to look up who is asking
        return None
    role = role_of(user)
    if role not in rule.roles:
        return LOG_IN if role == ANONYMOUS else 403
    centre_id = scoped_centre_id(user)
    if centre_id is not None:
        scope = (rule.scope or {}).get(ADMIN)
        if scope == NETWORK:
            return 403
        if scope == OWN_CENTRE:
            record_centre = _centre_of(args)
            if record_centre is not None and record_centre != centre_id:
                return 404
    return None


def _is_own_session(user, args: dict) -> bool:
    """A trainer's own session or run (the OWN_SESSIONS scope), from a URL's ids."""
    if "session_id" in args:
        session = db.session.get(Session, args["session_id"])
        return session is not None and is_trainer_of(user, session)
    if "run_id" in args:
        run = db.session.get(Run, args["run_id"])
        return run is not None and is_trainer_of_run(user, run)
    return True


def can(endpoint: str, **args) -> bool:
    """Whether the current user may open `endpoint` on the records `args` name: the
    same table the requests are checked against, so a page shows no link that
    answers 403 or 404. Used by templates: `{% if can('manage.users') %}`."""
    # The user behind the proxy, once: a page asks for every row's links, and each
    # attribute read through `current_user` costs a lookup of the request's user.
    user = current_user._get_current_object()
    if refusal(endpoint, user, args) is not None:
        return False
    scope = (ACCESS[endpoint].scope or {}).get(role_of(user))
    if scope == OWN_SESSIONS:
        return _is_own_session(user, args)
    return True


def init_app(app: Flask) -> None:
    app.jinja_env.globals["can"] = can

    @app.before_request
    def _check_access():
        if request.endpoint is None:  # no such route: the 404 handler answers
            return None
        if request.endpoint not in ACCESS:
            app.logger.error("endpoint %s is not in the access table", request.endpoint)
        code = refusal(request.endpoint, current_user, request.view_args or {})
        if code == LOG_IN:
            return login_manager.unauthorized()
        if code is not None:
            abort(code)
        return None

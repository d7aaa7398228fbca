"""Every route, called by every role: who gets in, who is sent to log in, who gets 403.

The rules live in one table, `lms.access.ACCESS`, that every request is checked
against. ROUTES below calls each route with each role, with the role's own records
and with other people's (enrolments, certificates, sessions, registers), and says
what each must get. `test_routes_follow_the_access_table` derives from ACCESS what
each role may reach and fails when ROUTES lets in a role the table does not allow
(or shuts out one it allows), and a route missing from either table fails
`test_every_route_is_in_the_table`: a new page cannot ship without saying who may
see it.
"""

import re

import pytest

from lms.access import ACCESS, ANONYMOUS
from tests.conftest import CERTIFICATE_IDS, TRANSCRIPT_IDS

ROLES = ("anonymous", "trainee", "trainer", "admin")
LOGIN = "login"  # redirected to the login page

ADMIN_200, ADMIN_302 = (LOGIN, 403, 403, 200), (LOGIN, 403, 403, 302)  # administrators only

# method, url template, expected status for anonymous, trainee, trainer, admin
ROUTES = [
    ("GET", "/", (200, 200, 200, 200)),
    ("GET", "/courses/", (200, 200, 200, 200)),
    ("GET", "/privacy", (200, 200, 200, 200)),
    ("GET", "/courses/{course_code}", (200, 200, 200, 200)),
    ("GET", "/courses/{draft_course_code}", (404, 404, 404, 200)),
    ("GET", "/healthz", (200, 200, 200, 200)),
    ("GET", "/favicon.ico", (200, 200, 200, 200)),
    ("GET", "/runs/{published_run_id}/calendar.ics", (200, 200, 200, 200)),
    ("GET", "/runs/{run_id}/calendar.ics", (404, 404, 404, 200)),  # a draft run
    # a personal feed: its secret address is the key, whoever (or whatever) asks
    ("GET", "/calendar/{trainee_id}.{feed_token}.ics", (200, 200, 200, 200)),
    ("GET", "/calendar/{trainee_id}.{bad_token}.ics", (404, 404, 404, 404)),
    ("GET", "/login", (200, 302, 302, 302)),
    ("POST", "/login", (200, 302, 302, 302)),
    ("GET", "/register", (200, 302, 302, 302)),
    ("POST", "/register", (200, 302, 302, 302)),
    ("GET", "/register/check-your-inbox", (200, 200, 200, 200)),
    ("GET", "/register/confirm/{bad_token}", (404, 404, 404, 404)),
    ("GET", "/password/forgot", (200, 200, 200, 200)),
    ("POST", "/password/forgot", (200, 200, 200, 200)),
    ("GET", "/password/reset/{bad_token}", (404, 404, 404, 404)),
    ("POST", "/password/reset/{bad_token}", (404, 404, 404, 404)),
    ("GET", "/profile/email/confirm/{bad_token}", (404, 404, 404, 404)),
    ("POST", "/logout", (LOGIN, 302, 302, 302)),
    ("POST", "/language", (302, 302, 302, 302)),
    ("GET", "/profile", (LOGIN, 200, 200, 200)),
    ("GET", "/profile/my-data.json", (LOGIN, 200, 200, 200)),
    ("GET", "/profile/my-data.pdf", (LOGIN, 200, 200, 200)),
    ("GET", "/profile/requests", (LOGIN, 200, 200, 200)),
    ("POST", "/profile/requests", (LOGIN, 200, 200, 200)),
    # personal-data requests: network administrators only
    ("GET", "/manage/privacy-requests/", ADMIN_200),
    ("GET", "/manage/privacy-requests/{privacy_request_id}", ADMIN_200),
    ("POST", "/manage/privacy-requests/{privacy_request_id}", ADMIN_200),
    ("POST", "/manage/privacy-requests/{privacy_request_id}/start", ADMIN_302),
    # carrying out an erasure: its confirmation page, then the erasure (not for other kinds)
    ("GET", "/manage/privacy-requests/{erasure_request_id}/erase", ADMIN_200),
    ("POST", "/manage/privacy-requests/{erasure_request_id}/erase", ADMIN_302),
    ("GET", "/manage/privacy-requests/{privacy_request_id}/erase", (LOGIN, 403, 403, 404)),
    ("POST", "/profile", (LOGIN, 200, 200, 200)),
    # an administrator has no sessions of their own, so no feed
    ("POST", "/profile/calendar", (LOGIN, 302, 302, 403)),
    ("POST", "/profile/calendar/off", (LOGIN, 302, 302, 403)),
    # what a new address or turning it off changes (with no address yet: the profile)
    ("GET", "/profile/calendar", (LOGIN, 200, 302, 403)),
    ("GET", "/profile/calendar/off", (LOGIN, 200, 200, 403)),
    ("GET", "/manage/", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/programmes/", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/programmes/new", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/programmes/new", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/programmes/{programme_id}/edit", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/programmes/{programme_id}/report", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/programmes/{programme_id}/report.xlsx", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/programmes/{programme_id}/report.pdf", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/programmes/{programme_id}/edit", (LOGIN, 403, 403, 200)),
    # surveys: built and read by administrators (a centre's: tests/surveys/test_routes.py)
    ("GET", "/manage/surveys/", ADMIN_200),
    ("GET", "/manage/surveys/new", ADMIN_200),
    ("POST", "/manage/surveys/new", ADMIN_200),
    ("GET", "/manage/surveys/{survey_id}", ADMIN_200),
    ("GET", "/manage/surveys/{survey_id}/edit", ADMIN_200),
    ("POST", "/manage/surveys/{survey_id}/edit", ADMIN_200),
    ("GET", "/manage/surveys/{survey_id}/sections/new", ADMIN_200),
    ("POST", "/manage/surveys/{survey_id}/sections/new", ADMIN_200),
    ("GET", "/manage/surveys/{survey_id}/sections/{survey_section_id}/edit", ADMIN_200),
    ("POST", "/manage/surveys/{survey_id}/sections/{survey_section_id}/edit", ADMIN_200),
    ("POST", "/manage/surveys/{survey_id}/sections/{survey_section_id}/move", ADMIN_302),
    ("POST", "/manage/surveys/{survey_id}/sections/{survey_section_id}/remove", ADMIN_302),
    ("GET", "/manage/surveys/{survey_id}/sections/{survey_section_id}/remove", ADMIN_200),
    ("GET", "/manage/surveys/{survey_id}/questions/new", ADMIN_200),
    ("POST", "/manage/surveys/{survey_id}/questions/new", ADMIN_200),
    ("GET", "/manage/surveys/{survey_id}/questions/{survey_question_id}/edit", ADMIN_200),
    ("POST", "/manage/surveys/{survey_id}/questions/{survey_question_id}/edit", ADMIN_200),
    ("POST", "/manage/surveys/{survey_id}/questions/{survey_question_id}/move", ADMIN_302),
    ("POST", "/manage/surveys/{survey_id}/questions/{survey_question_id}/remove", ADMIN_302),
    ("GET", "/manage/surveys/{survey_id}/questions/{survey_question_id}/remove", ADMIN_200),
    ("POST", "/manage/surveys/{survey_id}/publish", ADMIN_302),
    ("POST", "/manage/surveys/{survey_id}/close", ADMIN_302),
    ("GET", "/manage/surveys/{survey_id}/close", ADMIN_200),
    ("POST", "/manage/surveys/{survey_id}/archive", ADMIN_302),
    ("GET", "/manage/surveys/{survey_id}/archive", ADMIN_200),
    ("POST", "/manage/surveys/{survey_id}/new-version", ADMIN_302),
    ("GET", "/manage/surveys/{survey_id}/new-version", ADMIN_200),
    ("GET", "/manage/surveys/{survey_id}/preview", ADMIN_200),
    ("GET", "/manage/surveys/{survey_id}/results", ADMIN_200),
    ("GET", "/manage/surveys/{survey_id}/questions/{text_question_id}/answers", ADMIN_200),
    ("GET", "/manage/surveys/{survey_id}/results.csv", ADMIN_200),
    ("GET", "/manage/surveys/{survey_id}/results.xlsx", ADMIN_200),
    ("GET", "/manage/surveys/{survey_id}/options/{survey_option_id}/course-draft", ADMIN_200),
    ("POST", "/manage/surveys/{survey_id}/options/{survey_option_id}/course-draft", ADMIN_200),
    # a survey's public page: anyone (an empty form is refused next to its fields)
    ("GET", "/s/{survey_token}", (200, 200, 200, 200)),
    ("POST", "/s/{survey_token}", (400, 400, 400, 400)),
    ("GET", "/s/{survey_token}/thanks", (200, 200, 200, 200)),
    ("GET", "/s/{draft_survey_token}", (404, 404, 404, 404)),
    # a run's evaluation: opened by the trainee's personal link alone (an empty answer
    # is refused beside its required questions); an unknown key is not found
    ("GET", "/e/{evaluation_key}", (200, 200, 200, 200)),
    ("POST", "/e/{evaluation_key}", (400, 400, 400, 400)),
    ("GET", "/e/{bad_token}", (404, 404, 404, 404)),
    # evaluation reports: administrators; a trainer their own runs' (another's: 403/404)
    ("GET", "/manage/evaluations/", ADMIN_200),
    ("POST", "/manage/evaluations/templates", ADMIN_302),  # no format: back to the list
    ("GET", "/manage/courses/{course_id}/evaluations", ADMIN_200),
    ("GET", "/evaluations/runs/{closed_run_id}", (LOGIN, 403, 403, 200)),
    ("GET", "/evaluations/runs/{closed_run_id}/questions/{evaluation_text_question_id}",
     (LOGIN, 403, 403, 200)),
    ("GET", "/evaluations/trainers/{trainer_id}", (LOGIN, 403, 200, 200)),
    ("GET", "/evaluations/trainers/{foreign_trainer_id}", (LOGIN, 403, 404, 200)),
    ("GET", "/manage/centres/", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/centres/new", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/centres/{centre_id}/edit", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/centres/new", (LOGIN, 403, 403, 200)),
    # An empty POST keeps an edited centre's values (a valid, unchanged save);
    # forms with numbers, dates and times say "Enter ..." and are shown again (200).
    ("POST", "/manage/centres/{centre_id}/edit", (LOGIN, 403, 403, 302)),
    ("GET", "/manage/courses/", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/courses/new", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/courses/new", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/courses/{course_id}/edit", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/courses/{course_id}/edit", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/courses/{course_id}/status", (LOGIN, 403, 403, 302)),
    ("GET", "/manage/courses/{course_id}/status", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/runs/", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/runs/new", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/runs/{run_id}", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/runs/new", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/runs/{run_id}/edit", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/runs/{run_id}/edit", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/runs/{run_id}/sessions", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/runs/{run_id}/publish", (LOGIN, 403, 403, 302)),
    ("POST", "/manage/runs/{run_id}/cancel", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/runs/{run_id}/cancel", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/sessions/{session_id}/edit", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/sessions/{session_id}/edit", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/sessions/{session_id}/remove", (LOGIN, 403, 403, 302)),
    ("GET", "/manage/sessions/{session_id}/remove", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/users/", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/audit", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/audit.csv", (LOGIN, 403, 403, 200)),
    ("GET", "/my/", (LOGIN, 200, 200, 200)),
    ("POST", "/runs/{published_run_id}/enrol", (LOGIN, 302, 302, 302)),
    # the questions of a programme's run; another run's enrol address leads back to it
    ("GET", "/runs/{published_run_id}/enrol", (LOGIN, 302, 302, 302)),
    ("POST", "/runs/{run_id}/enrol", (LOGIN, 404, 404, 404)),  # a draft run
    ("POST", "/enrolments/{own_enrolment_id}/cancel", (LOGIN, 302, 404, 404)),
    ("GET", "/enrolments/{own_enrolment_id}/cancel", (LOGIN, 200, 404, 404)),
    ("GET", "/enrolments/{other_enrolment_id}/cancel", (LOGIN, 404, 404, 404)),
    ("POST", "/my/answers/{participant_data_id}/withdraw-consent", (LOGIN, 404, 404, 404)),
    ("GET", "/my/answers/{participant_data_id}/withdraw-consent", (LOGIN, 404, 404, 404)),
    ("POST", "/enrolments/{other_enrolment_id}/cancel", (LOGIN, 404, 404, 404)),
    ("GET", "/manage/runs/{published_run_id}/roster", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/runs/{published_run_id}/roster.csv", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/runs/{published_run_id}/roster/enrol", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/runs/{published_run_id}/capacity", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/enrolments/{pending_enrolment_id}/approve", (LOGIN, 403, 403, 302)),
    ("GET", "/manage/enrolments/{pending_enrolment_id}/refuse", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/enrolments/{pending_enrolment_id}/refuse", (LOGIN, 403, 403, 200)),
    # no reason given: the confirmation page again, the error beside the field
    ("POST", "/manage/enrolments/{other_enrolment_id}/cancel", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/enrolments/{other_enrolment_id}/cancel", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/enrolments/{other_enrolment_id}/move", (LOGIN, 403, 403, 302)),
    # the run is chosen on the roster: without one, back to it
    ("GET", "/manage/enrolments/{other_enrolment_id}/move", (LOGIN, 403, 403, 302)),
    ("GET", "/trainer/sessions", (LOGIN, 403, 200, 403)),
    ("GET", "/trainer/runs", (LOGIN, 403, 200, 403)),
    ("GET", "/sessions/{published_session_id}/attendance", (LOGIN, 403, 200, 200)),
    ("POST", "/sessions/{published_session_id}/attendance", (LOGIN, 403, 200, 200)),
    ("GET", "/sessions/{published_session_id}/attendance/history", (LOGIN, 403, 200, 200)),
    ("GET", "/sessions/{published_session_id}/sign-in-sheet.pdf", (LOGIN, 403, 200, 200)),
    # an empty upload is refused next to the field (400); the world's sheet downloads
    ("POST", "/sessions/{published_session_id}/signed-sheet", (LOGIN, 403, 400, 400)),
    ("GET", "/sessions/{published_session_id}/signed-sheets/{signed_sheet_id}",
     (LOGIN, 403, 200, 200)),
    ("GET", "/runs/{published_run_id}/register", (LOGIN, 403, 200, 200)),
    ("GET", "/runs/{published_run_id}/register.csv", (LOGIN, 403, 200, 200)),
    ("GET", "/runs/{published_run_id}/register.xlsx", (LOGIN, 403, 200, 200)),
    ("GET", "/runs/{published_run_id}/register.pdf", (LOGIN, 403, 200, 200)),
    # another run's sessions and registers: not for a trainer who does not teach it
    ("GET", "/sessions/{foreign_session_id}/attendance", (LOGIN, 403, 403, 200)),
    ("POST", "/sessions/{foreign_session_id}/attendance", (LOGIN, 403, 403, 200)),
    ("GET", "/sessions/{foreign_session_id}/attendance/history", (LOGIN, 403, 403, 200)),
    ("GET", "/sessions/{foreign_session_id}/sign-in-sheet.pdf", (LOGIN, 403, 403, 200)),
    ("POST", "/sessions/{foreign_session_id}/signed-sheet", (LOGIN, 403, 403, 400)),
    # the world's sheet belongs to another session: not found through this one
    ("GET", "/sessions/{foreign_session_id}/signed-sheets/{signed_sheet_id}",
     (LOGIN, 403, 403, 404)),
    ("GET", "/runs/{foreign_run_id}/register", (LOGIN, 403, 403, 200)),
    ("GET", "/runs/{foreign_run_id}/register.csv", (LOGIN, 403, 403, 200)),
    ("GET", "/runs/{foreign_run_id}/register.xlsx", (LOGIN, 403, 403, 200)),
    ("GET", "/runs/{foreign_run_id}/register.pdf", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/runs/{published_run_id}/close", (LOGIN, 403, 403, 302)),
    ("GET", "/manage/runs/{published_run_id}/close", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/runs/{published_run_id}/trainers", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/runs/{published_run_id}/trainers", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/assignments/{assignment_id}/remove", (LOGIN, 403, 403, 302)),
    ("GET", "/manage/assignments/{assignment_id}/remove", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/runs/{published_run_id}/certificates", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/runs/{closed_run_id}/certificates/issue-all", (LOGIN, 403, 403, 302)),
    ("GET", "/manage/runs/{closed_run_id}/certificates/issue-all", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/enrolments/{other_completed_id}/certificate", (LOGIN, 403, 403, 302)),
    ("GET", "/manage/runs/{closed_run_id}/certificates.pdf", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/runs/{closed_run_id}/evidence-pack.zip", (LOGIN, 403, 403, 200)),
    # the participant list for the accrediting authority; a run not accredited has none
    ("GET", "/manage/runs/{closed_run_id}/accredited-participants.xlsx", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/runs/{closed_run_id}/accredited-participants.pdf", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/runs/{published_run_id}/accredited-participants.xlsx",
     (LOGIN, 403, 403, 404)),
    # a run not yet closed has no pack: back to the run's page, which says why
    ("GET", "/manage/runs/{published_run_id}/evidence-pack.zip", (LOGIN, 403, 403, 302)),
    ("POST", "/manage/certificates/{certificate_id}/revoke", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/certificates/{certificate_id}/revoke", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/certificates/{certificate_id}/reissue", (LOGIN, 403, 403, 302)),
    ("GET", "/manage/certificates/{certificate_id}/reissue", (LOGIN, 403, 403, 200)),
    ("GET", "/certificates/{certificate_id}.pdf", (LOGIN, 200, 404, 200)),
    ("GET", "/certificates/{other_certificate_id}.pdf", (LOGIN, 404, 404, 200)),
    ("GET", "/my/transcripts", (LOGIN, 200, 200, 200)),
    # none of them holds a certificate here: refused with a message, back to the list
    ("POST", "/my/transcripts", (LOGIN, 302, 302, 302)),
    ("GET", "/my/transcripts/{transcript_id}.pdf", (LOGIN, 200, 404, 200)),
    ("GET", "/my/transcripts/{other_transcript_id}.pdf", (LOGIN, 404, 404, 200)),
    ("GET", "/verify", (200, 200, 200, 200)),
    ("GET", "/verify/{certificate_code}", (200, 200, 200, 200)),
    ("GET", "/v/{certificate_code}", (200, 200, 200, 200)),
    ("GET", "/manage/users/new", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/users/new", (LOGIN, 403, 403, 200)),
    ("GET", "/manage/users/{trainee_id}/edit", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/users/{trainee_id}/edit", (LOGIN, 403, 403, 302)),
    ("POST", "/manage/users/{trainee_id}/confirm", (LOGIN, 403, 403, 302)),
    ("POST", "/manage/users/{trainee_id}/reinvite", (LOGIN, 403, 403, 302)),
    ("GET", "/manage/outbox", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/outbox/{notification_id}/resend", (LOGIN, 403, 403, 302)),
    ("POST", "/manage/outbox/resend-failing", (LOGIN, 403, 403, 302)),
    ("GET", "/manage/outbox/resend-failing", (LOGIN, 403, 403, 200)),
    # exports made by the job worker; the world's job is its administrator's, still queued
    ("GET", "/manage/exports/", (LOGIN, 403, 403, 200)),
    ("POST", "/manage/exports/audit-log", (LOGIN, 403, 403, 302)),
    ("POST", "/manage/exports/registers", (LOGIN, 403, 403, 200)),  # no year: said so
    ("POST", "/manage/runs/{closed_run_id}/certificates/print-job", (LOGIN, 403, 403, 302)),
    ("POST", "/manage/runs/{closed_run_id}/evidence-pack-job", (LOGIN, 403, 403, 302)),
    ("GET", "/manage/exports/{export_job_id}/download", (LOGIN, 403, 403, 302)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "method, template, expected", ROUTES, ids=[f"{m} {t}" for m, t, _e in ROUTES]
)
def test_route_access(request, client, auth, world, role, method, template, expected):
    if any(name in template for name in CERTIFICATE_IDS):
        request.getfixturevalue("certificate_world")
    if any(name in template for name in TRANSCRIPT_IDS):
        request.getfixturevalue("transcript_world")
    if role != "anonymous":
        auth.login(world["users"][role])
    url = template.format(**world["ids"])
    if method == "GET":
        response = client.get(url)
    else:
        response = client.submit(url, {}, page="/")
    want = expected[ROLES.index(role)]
    with response:  # a streamed download (the evidence pack) holds a file until closed
        if want == LOGIN:
            assert response.status_code == 302
            assert "/login" in response.headers["Location"]
        else:
            assert response.status_code == want, response.get_data(as_text=True)[:500]


def test_every_route_is_in_the_table(app):
    def shape(path: str) -> str:
        return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)

    listed = {(method, shape(template)) for method, template, _expected in ROUTES}
    served = {
        (method, shape(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served - listed == set(), "routes missing from the access table"
    assert listed - served == set(), "the access table lists routes that do not exist"


def _endpoint(app, method: str, template: str) -> str:
    path = re.sub(r"\{[^}]+\}", "1", template)
    path = re.sub(r"/(courses|verify|v)/1$", r"/\1/X", path)
    path = re.sub(r"/(confirm|reset)/1$", r"/\1/X", path)
    return app.url_map.bind("localhost").match(path, method=method)[0]


@pytest.mark.parametrize(
    "method, template, expected", ROUTES, ids=[f"{m} {t}" for m, t, _e in ROUTES]
)
def test_routes_follow_the_access_table(app, method, template, expected):
    rule = ACCESS[_endpoint(app, method, template)]
    for role, want in zip(ROLES, expected, strict=True):
        if role in rule.roles:
            # allowed in; a record outside the role's scope may still be refused
            assert want != LOGIN and (want != 403 or (rule.scope or {}).get(role)), role
        else:
            assert want == (LOGIN if role == ANONYMOUS else 403), role


def test_every_endpoint_is_in_the_access_table(app):
    served = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert served - set(ACCESS) == set(), "endpoints missing from lms.access.ACCESS"
    assert set(ACCESS) - served == set(), "lms.access.ACCESS lists endpoints that do not exist"

"""Every page type, in every language, checked by axe-core for WCAG 2.1 A/AA,
at 320 px without horizontal scrolling, and with a visible keyboard focus.

axe-core is vendored (tests/e2e/vendor/axe.min.js, MPL-2.0; `axe_violations` in
conftest.py): CI needs no network and every run checks with the same rules. The
pages forbid inline and foreign scripts (Content-Security-Policy), so the checking
contexts bypass the policy to inject it; nothing else about the pages changes. The
journeys (test_journeys.py) check every page they visit the same way.
"""

from dataclasses import dataclass, field
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from lms.attendance.models import AttendanceStatus
from lms.attendance.services import MarkInput, close_run, mark_session
from lms.certificates.services import issue_all, revoke
from lms.clock import today_at, utcnow
from lms.enrolment.services import enrol
from lms.surveys import evaluations
from lms.surveys import services as surveys
from lms.surveys.models import EvaluationInvitation, QuestionKind, SurveyAnswer
from lms.trainers.models import TrainerRole
from lms.trainers.services import assign_trainer
from tests.conftest import BUDAPEST, at
from tests.e2e.conftest import (
    LANGUAGES,
    axe_violations,
    describe_violations,
    login,
    screenshot,
    skip_without_browser,
)

skip_without_browser()

ROLES = ("anonymous", "trainee", "trainer", "admin")
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 320, "height": 800}
SCROLL_RULES = {"type": "rule", "values": ["scrollable-region-focusable"]}


@dataclass
class Site:
    """The pages to check, by who opens them."""

    anonymous: list[str] = field(default_factory=list)
    trainee: list[str] = field(default_factory=list)
    trainer: list[str] = field(default_factory=list)
    admin: list[str] = field(default_factory=list)
    emails: dict[str, str] = field(default_factory=dict)
    narrow_screenshot_run: int = 0


def _sessions(first_day, count, hours=6):
    return [
        (first_day + timedelta(days=i), time(9), time(9 + hours), hours * 60) for i in range(count)
    ]


def _evaluation_form(survey, rating: int, useful: str) -> dict[str, str]:
    """What a trainee sends from the evaluation form: every grid row and scale rated
    `rating`, the free-text questions answered with `useful`."""
    form: dict[str, str] = {}
    for question in survey.questions:
        if question.kind == QuestionKind.GRID:
            form.update({f"q{question.id}_{o.id}": str(rating) for o in question.options})
        elif question.kind == QuestionKind.SCALE:
            form[f"q{question.id}"] = str(rating)
        elif question.kind == QuestionKind.LONG_TEXT:
            form[f"q{question.id}"] = useful
    return form


@pytest.fixture
def site(db, make_user, make_centre, make_course, make_run, make_survey) -> Site:
    """A little of everything: an upcoming run with a waitlist, a run on today with
    a trainer, a closed run with certificates (one revoked)."""
    today = today_at(utcnow(), BUDAPEST)
    admin = make_user(role="admin", full_name="Kovács Anna")
    trainer = make_user(role="trainer", full_name="Петър Николов")
    trainee = make_user(full_name="Szőke Tünde", organisation="Családsegítő Szolgálat")
    others = [make_user(full_name=n) for n in ("Мария Петрова", "Nagy Péter", "Иван Георгиев")]
    centre = make_centre(
        name="Ресурсен център Разград", city="Разград", serial_prefix="RAZ", country="BG"
    )
    course = make_course(
        total_hours=24,
        title="Közösségfejlesztés a gyakorlatban",
        description="Első.\n\nMásodik.",
        target_group="Szociális munkások",
        accreditation_number="KÉP-2026/042",
        credit_points=12,
        modules=[("Helyzetfeltárás", 12), ("Közösségi tervezés", 12)],
    )
    before = at(today - timedelta(days=20), time(8))

    upcoming = make_run(course=course, centre=centre, capacity=2)
    for person in (trainee, *others[:2]):  # two places and one on the waitlist
        enrol(person, upcoming, before)

    current = make_run(
        course=course,
        centre=centre,
        sessions=_sessions(today, 4),
        enrolment_closes=today - timedelta(days=2),
    )
    assign_trainer(current, trainer, TrainerRole.LEAD)
    in_current = [enrol(person, current, before, by=admin) for person in others]
    mark_session(
        current.sessions[0],
        [MarkInput(e.id, AttendanceStatus.PRESENT) for e in in_current],
        trainer,
        at(today),
    )

    first_day = today - timedelta(days=10)
    closed = make_run(
        course=course,
        centre=centre,
        sessions=_sessions(first_day, 4),
        enrolment_closes=first_day - timedelta(days=2),
        certificate_style="razgrad",
        language="bg",
    )
    assign_trainer(closed, trainer, TrainerRole.LEAD)
    enrolments = [enrol(p, closed, before, by=admin) for p in (trainee, *others)]
    for session in closed.sessions:
        mark_session(
            session,
            [MarkInput(e.id, AttendanceStatus.PRESENT) for e in enrolments[:-1]]
            + [MarkInput(enrolments[-1].id, AttendanceStatus.ABSENT)],
            admin,
            session.ends,
        )
    close_run(closed, admin)
    certificates = issue_all(closed, admin, today)
    revoke(certificates[-1], admin, "Elírt név")
    db.session.commit()

    # Closing invited those who attended to evaluate the run (issue 15): two have
    # answered, the trainee's own form is still open.
    evaluation = surveys.survey_with_questions(evaluations.evaluation_of(closed).id)
    keys = dict(db.session.execute(
        sa.select(EvaluationInvitation.enrolment_id, EvaluationInvitation.answer_key)
        .where(EvaluationInvitation.survey_id == evaluation.id)).all())
    text_question = next(q for q in evaluation.questions if q.kind == QuestionKind.LONG_TEXT)
    for number, enrolment in enumerate(enrolments[1:3]):
        invitation = evaluations.find_invitation(keys[enrolment.id])
        answers, errors = surveys.read_answers(evaluation, _evaluation_form(
            evaluation, 4 + number, "Sok gyakorlati példa, jó csoport."))
        assert not errors, errors
        evaluations.submit_evaluation(invitation, answers, language="hu", signed=number == 0,
                                      now=utcnow())
    # A needs survey with one answer, and a draft being written.
    needs = make_survey(languages=("en", "hu", "bg"))
    single = next(q for q in needs.questions if q.kind == QuestionKind.SINGLE)
    topics = next(q for q in needs.questions if q.topics)
    surveys.submit_response(
        needs, [SurveyAnswer(question_id=single.id, option_id=single.options[0].id),
                SurveyAnswer(question_id=topics.id, option_id=topics.options[1].id)],
        surveys.Respondent(organisation_type="ngo", county="Pest"), language="hu",
        now=utcnow(), browser_key="site")
    draft = make_survey(publish=False, languages=("en", "hu", "bg"))
    needs_text = next(q for q in needs.questions if q.kind == QuestionKind.LONG_TEXT)
    db.session.commit()

    mark = f"/sessions/{current.sessions[0].id}/attendance"
    return Site(
        anonymous=[
            "/",
            f"/courses/{course.code}",
            "/login",
            "/register",
            "/register/check-your-inbox",
            "/password/forgot",
            "/verify",
            f"/verify/{certificates[0].verification_code}",
            f"/verify/{certificates[-1].verification_code}",
            "/verify/no-such-code",
            "/no-such-page",
            f"/s/{needs.token}",
            f"/s/{needs.token}/thanks",
            f"/e/{keys[enrolments[1].id]}",  # answered: the thanks
        ],
        trainee=["/my/", "/profile", f"/courses/{course.code}", "/profile/calendar/off",
                 f"/e/{keys[enrolments[0].id]}"],
        trainer=[
            "/trainer/sessions",
            "/trainer/runs",
            mark,
            f"{mark}?all=present",
            f"{mark}/history",
            f"/runs/{current.id}/register",
            f"/evaluations/trainers/{trainer.id}",
            f"/evaluations/runs/{closed.id}",
        ],
        admin=[
            "/manage/",
            "/manage/centres/",
            f"/manage/centres/{centre.id}/edit",
            "/manage/courses/",
            f"/manage/courses/{course.id}/edit",
            "/manage/runs/",
            "/manage/runs/new",
            f"/manage/runs/{upcoming.id}/edit",
            f"/manage/runs/{upcoming.id}",
            f"/manage/runs/{upcoming.id}/roster",
            f"/manage/runs/{current.id}/trainers",
            f"/manage/sessions/{upcoming.sessions[0].id}/edit",
            "/manage/users/",
            "/manage/users/new",
            f"/manage/users/{trainee.id}/edit",
            f"/runs/{current.id}/register",
            mark,
            f"/runs/{closed.id}/register",
            f"/manage/runs/{closed.id}/certificates",
            # confirmation pages: one with a hidden choice, one that acts, one refused
            f"/manage/courses/{course.id}/status",
            f"/manage/certificates/{certificates[-1].id}/reissue",
            f"/manage/sessions/{upcoming.sessions[0].id}/remove",
            "/manage/audit",
            "/manage/evaluations/",
            f"/manage/courses/{course.id}/evaluations",
            f"/evaluations/runs/{closed.id}",
            f"/evaluations/runs/{closed.id}/questions/{text_question.id}",
            f"/evaluations/trainers/{trainer.id}",
            "/manage/surveys/",
            "/manage/surveys/new",
            f"/manage/surveys/{needs.id}",
            f"/manage/surveys/{needs.id}/preview",
            f"/manage/surveys/{needs.id}/results",
            f"/manage/surveys/{needs.id}/questions/{needs_text.id}/answers",
            f"/manage/surveys/{needs.id}/options/{topics.options[1].id}/course-draft",
            f"/manage/surveys/{draft.id}",
            f"/manage/surveys/{draft.id}/edit",
            f"/manage/surveys/{draft.id}/sections/new",
            f"/manage/surveys/{draft.id}/sections/{draft.sections[0].id}/edit",
            f"/manage/surveys/{draft.id}/questions/new",
            f"/manage/surveys/{draft.id}/questions/{draft.questions[0].id}/edit",
        ],
        emails={"trainee": trainee.email, "trainer": trainer.email, "admin": admin.email},
        narrow_screenshot_run=closed.id,
    )


# The outermost elements sticking out past the right edge, to say what to fix.
WIDEST = """limit => {
  const sticksOut = el => el && el.getBoundingClientRect().right > limit + 0.5;
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + [...el.classList].map(c => '.' + c).join('');
  return [...document.body.querySelectorAll('*')]
    .filter(el => sticksOut(el) && !sticksOut(el.parentElement))
    .slice(0, 5)
    .map(el => name(el) + ' ' + Math.round(el.getBoundingClientRect().right) + 'px');
}"""


def _pages_by_role(site: Site, new_context, language: str, **options):
    """(page, url) for every page to check, each role logged in once."""
    for role in ROLES:
        page = new_context(language, **options).new_page()
        if role != "anonymous":
            login(page, site.emails[role])
        for url in getattr(site, role):
            response = page.goto(url)
            assert response is not None
            expected = 404 if "no-such" in url else 200
            assert response.status == expected, f"{role} {url}: HTTP {response.status}"
            assert page.locator("html").get_attribute("lang") == language, url
            yield role, page, url


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_type_passes_axe_and_fits_320_pixels(language, site, new_context):
    """axe-core finds no WCAG 2.1 A/AA violation on any page; at 320 px no page
    scrolls sideways (WCAG 1.4.10) and a wide table scrolls in its own box, which
    the keyboard can reach (axe: scrollable-region-focusable)."""
    problems: dict[str, list[dict]] = {}
    too_wide: dict[str, tuple[int, list[str]]] = {}
    checked = 0
    for role, page, url in _pages_by_role(
        site, new_context, language, viewport=WIDE, bypass_csp=True
    ):
        if violations := axe_violations(page):
            problems[f"{role} {url}"] = violations
        page.set_viewport_size(NARROW)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > NARROW["width"]:
            too_wide[f"{role} {url}"] = (width, page.evaluate(WIDEST, NARROW["width"]))
        if violations := axe_violations(page, SCROLL_RULES):
            problems[f"{role} {url} at 320 px"] = violations
        if url == f"/runs/{site.narrow_screenshot_run}/register":
            screenshot(page, f"register-320px-{language}")
        page.set_viewport_size(WIDE)
        checked += 1
        if url == "/register" and role == "anonymous":
            # The same form again, with its error summary and messages.
            with page.expect_navigation():
                page.locator("main form[method=post] button[type=submit]").click()
            assert page.locator("#error-summary").count() == 1
            if violations := axe_violations(page):
                problems["anonymous /register (with errors)"] = violations
    assert checked == sum(len(getattr(site, r)) for r in ROLES)
    assert not problems, f"WCAG 2.1 A/AA violations ({language}):\n{describe_violations(problems)}"
    assert not too_wide, f"wider than 320 px ({language}):\n" + "\n".join(
        f"{url}: {width} px; {', '.join(culprits)}" for url, (width, culprits) in too_wide.items()
    )


def test_keyboard_focus_is_visible(site, new_page):
    page = new_page("hu")
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.className")
    assert focused == "skip-link"
    for _ in range(12):  # the skip link, the brand, the menu, the language picker ...
        style = page.evaluate(
            """() => { const el = document.activeElement, s = getComputedStyle(el);
                       return {tag: el.tagName, visible: el.matches(':focus-visible'),
                               outline: s.outlineStyle, width: parseFloat(s.outlineWidth),
                               shadow: s.boxShadow}; }"""
        )
        assert style["visible"], style
        assert style["outline"] != "none" and style["width"] >= 2, style
        page.keyboard.press("Tab")
    # The skip link leads to the content.
    page.goto("/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

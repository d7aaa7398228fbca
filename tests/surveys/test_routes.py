"""Surveys through the browser: the builder, the public page, the results."""

import csv
import io
import itertools

import sqlalchemy as sa
import time_machine
from openpyxl import load_workbook

from lms.audit.models import AuditEntry
from lms.auth.models import Role
from lms.clock import utcnow
from lms.courses.models import Course
from lms.extensions import db as _db
from lms.surveys import services as surveys
from lms.surveys.models import (
    QuestionKind,
    Survey,
    SurveyKind,
    SurveyQuestion,
    SurveyResponse,
    SurveySection,
    SurveyStatus,
)
from tests.conftest import survey_texts

_address = itertools.count(1)


def browser(app):
    """A client from its own address, so the answer limit of one test is its own."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"198.51.100.{next(_address) % 250 + 1}"
    return client


def q(survey, kind):
    return next(question for question in survey.questions if question.kind == kind)


def form(survey, **changes):
    single, grid = q(survey, QuestionKind.SINGLE), q(survey, QuestionKind.GRID)
    data = {"organisation_name": "Family Help Ltd", "organisation_type": "ngo",
            "county": "Разград", "settlement": "Razgrad", "team_roles": ["social_worker"],
            f"q{single.id}": str(single.options[1].id),
            f"q{q(survey, QuestionKind.MULTIPLE).id}": [
                str(o.id) for o in q(survey, QuestionKind.MULTIPLE).options[:2]],
            f"q{q(survey, QuestionKind.SCALE).id}": "3",
            f"q{grid.id}_{grid.options[0].id}": "4",
            f"q{q(survey, QuestionKind.LONG_TEXT).id}": "=HYPERLINK(\"x\")"}
    data.update(changes)
    return data


def responses(db):
    return db.session.scalar(sa.select(sa.func.count(SurveyResponse.id)))


def test_anyone_answers_once_per_browser_in_their_language(app, db, make_survey):
    survey = make_survey()
    client = browser(app)
    page = client.get(f"/s/{survey.token}?lang=hu")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Size of your team [hu]" in html and "Válaszaim elküldése" in html
    assert "<legend>" in html and 'for="q' in html
    sent = client.submit(f"/s/{survey.token}?lang=hu", form(survey))
    assert sent.status_code == 302 and "/thanks" in sent.headers["Location"]
    assert responses(db) == 1
    stored = db.session.scalar(sa.select(SurveyResponse))
    assert stored.language == "hu" and stored.county == "Разград" and stored.user_id is None
    again = client.get(f"/s/{survey.token}")
    assert "already answered" in again.get_data(as_text=True)
    # another browser (no cookie) may answer: it is another organisation
    other = browser(app)
    assert other.submit(f"/s/{survey.token}", form(survey)).status_code == 302
    assert responses(db) == 2


def test_a_logged_in_user_answers_once(app, db, client, auth, make_user, make_survey):
    survey = make_survey()
    user = make_user(county="Pest")
    auth.login(user)
    assert 'value="Pest"' in client.get(f"/s/{survey.token}").get_data(as_text=True)
    assert client.submit(f"/s/{survey.token}", form(survey)).status_code == 302
    assert "already answered" in client.get(f"/s/{survey.token}").get_data(as_text=True)
    assert db.session.scalar(sa.select(SurveyResponse.user_id)) == user.id


def test_errors_are_named_next_to_their_field_and_nothing_is_kept(app, db, make_survey):
    survey = make_survey()
    client = browser(app)
    single, multiple = q(survey, QuestionKind.SINGLE), q(survey, QuestionKind.MULTIPLE)
    bad = form(survey, organisation_type="", **{
        f"q{single.id}": str(multiple.options[0].id),  # an option of another question
        f"q{q(survey, QuestionKind.LONG_TEXT).id}": "x" * 100_000,
        f"q{q(survey, QuestionKind.SHORT_TEXT).id}": "nul\x00byte",
        f"q{q(survey, QuestionKind.SCALE).id}": "99"})
    page = client.submit(f"/s/{survey.token}", bad)
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert 'class="error-summary"' in html
    assert f'id="q{single.id}-error"' in html and "Choose among the options given." in html
    assert "Choose the type of your organisation." in html
    assert "Write at most 5000 characters" in html and "control characters" in html
    assert responses(db) == 0
    # what was typed is kept on the page
    assert "Family Help Ltd" in html


def test_drafts_and_unknown_surveys_are_not_found(app, make_survey):
    draft = make_survey(publish=False)
    client = browser(app)
    assert client.get(f"/s/{draft.token}").status_code == 404
    assert client.get("/s/" + "x" * 500).status_code == 404


def test_a_closed_survey_says_so(app, db, make_survey):
    survey = make_survey()
    survey.status = SurveyStatus.CLOSED
    db.session.commit()
    page = browser(app).get(f"/s/{survey.token}")
    assert page.status_code == 410 and "not taking answers" in page.get_data(as_text=True)


def test_answers_from_one_address_are_rate_limited(app, make_survey):
    survey = make_survey()
    app.config["SURVEY_ANSWER_LIMIT"] = "2 per minute"
    client = browser(app)
    token = client.csrf_token(f"/s/{survey.token}")
    statuses = [client.post(f"/s/{survey.token}", data={"csrf_token": token}).status_code
                for _ in range(3)]
    assert statuses == [400, 400, 429]


def test_a_per_centre_link_counts_the_answer_for_that_centre(app, db, make_survey, make_centre):
    survey = make_survey()
    centre = make_centre(name="Razgrad resource centre", country="BG")
    client = browser(app)
    url = f"/s/{survey.token}?centre={centre.id}"
    assert "Razgrad resource centre" in client.get(url).get_data(as_text=True)
    assert client.submit(url, form(survey)).status_code == 302
    assert db.session.scalar(sa.select(SurveyResponse.centre_id)) == centre.id


def test_an_administrator_builds_previews_and_publishes(client, auth, db, make_user):
    auth.login(make_user(role=Role.ADMIN))
    made = client.submit("/manage/surveys/new", {
        "kind": "needs", "languages": ["en", "bg"], "title_en": "Needs 2027",
        "title_bg": "Нужди 2027", "opens_on": "2026-01-01", "closes_on": "2030-12-31",
        "centre": "0"})
    assert made.status_code == 302
    survey = db.session.scalar(sa.select(Survey))
    refused = client.submit(f"/manage/surveys/{survey.id}/questions/new", {
        "section": survey.sections[0].id, "kind": "single", "text_en": "Team size",
        "text_bg": "", "options_en": "small\nlarge", "options_bg": "малък\nголям"})
    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    assert 'id="text_bg-error"' in html and "missing: BG" in html
    for text in ("Team size", "Region"):
        assert client.submit(f"/manage/surveys/{survey.id}/questions/new", {
            "section": survey.sections[0].id, "kind": "single", "text_en": text,
            "text_bg": text + " bg", "options_en": "a\nb", "options_bg": "а\nб",
            "required": "y"}).status_code == 302
    second = db.session.scalar(sa.select(Survey)).questions[1]
    page = f"/manage/surveys/{survey.id}"
    client.submit(f"{page}/questions/{second.id}/move", {"direction": "up"}, page=page)
    db.session.expire_all()
    assert db.session.scalar(sa.select(Survey)).questions[0].id == second.id
    preview = client.get(f"{page}/preview?lang=bg").get_data(as_text=True)
    assert "Region bg" in preview and "disabled" in preview
    assert client.submit(f"{page}/publish", page=page).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(Survey)).status == SurveyStatus.PUBLISHED
    assert f"http://localhost/s/{survey.token}" in client.get(page).get_data(as_text=True)


def test_a_survey_with_answers_offers_a_new_version(app, client, auth, db, make_user,
                                                    make_survey):
    survey = make_survey()
    browser(app).submit(f"/s/{survey.token}", form(survey))
    auth.login(make_user(role=Role.ADMIN))
    page = f"/manage/surveys/{survey.id}"
    html = client.get(page).get_data(as_text=True)
    assert "Make a new version" in html and f"{page}/questions/new" not in html
    question = survey.questions[0]
    edit = client.submit(f"{page}/questions/{question.id}/edit", {
        "section": question.section_id, "kind": "single", "text_en": "x", "text_hu": "x",
        "options_en": "a\nb", "options_hu": "a\nb"})
    assert "new version" in edit.get_data(as_text=True)
    assert f'href="{page}/new-version"' in html
    confirm = client.get(f"{page}/new-version").get_data(as_text=True)
    assert "Version 2 is made as a draft" in confirm
    assert "The copy has 1 section." in confirm
    assert "The copy has 6 questions, with their answer options." in confirm
    assert "This version closes now" in confirm
    assert "This version keeps its 1 answer, as given, for its results." in confirm
    assert db.session.scalar(sa.select(sa.func.count(Survey.id))) == 1  # nothing made yet
    made = client.submit(f"{page}/new-version", page=page)
    copy = db.session.scalar(sa.select(Survey).where(Survey.version == 2))
    assert made.headers["Location"].endswith(f"/manage/surveys/{copy.id}")
    db.session.expire_all()
    assert db.session.get(Survey, survey.id).status == SurveyStatus.CLOSED


def test_a_centre_administrator_reaches_only_their_centres_surveys(client, auth, db, make_user,
                                                                   make_centre, make_survey):
    own, other = make_centre(), make_centre()
    mine, theirs, network = make_survey(centre=own), make_survey(centre=other), make_survey()
    scoped = make_user(role=Role.ADMIN)
    scoped.centre_id = own.id
    db.session.commit()
    auth.login(scoped)
    listed = client.get("/manage/surveys/").get_data(as_text=True)
    assert f"/manage/surveys/{mine.id}\"" in listed
    assert f"/manage/surveys/{theirs.id}\"" not in listed
    assert f"/manage/surveys/{network.id}\"" not in listed
    assert client.get(f"/manage/surveys/{mine.id}/results").status_code == 200
    for survey in (theirs, network):
        assert client.get(f"/manage/surveys/{survey.id}").status_code == 404
        assert client.get(f"/manage/surveys/{survey.id}/results.csv").status_code == 404
    # the centre field offers their centre only
    new = client.get("/manage/surveys/new").get_data(as_text=True)
    assert other.name not in new


def test_results_show_charts_tables_text_and_export(app, client, auth, db, make_user,
                                                    make_survey):
    survey = make_survey()
    browser(app).submit(f"/s/{survey.token}", form(survey))
    browser(app).submit(f"/s/{survey.token}", form(survey, county="Pest",
                                                     organisation_type="municipality"))
    auth.login(make_user(role=Role.ADMIN))
    page = client.get(f"/manage/surveys/{survey.id}/results")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "2 responses" in html
    single = q(survey, QuestionKind.SINGLE)
    assert f'aria-labelledby="table-{single.id}"' in html and f'id="table-{single.id}"' in html
    assert "100 %" in html and "Topics ranked by demand" in html
    grid = q(survey, QuestionKind.GRID)
    assert f'aria-labelledby="means-{grid.id} table-{grid.id}"' in html
    assert "=HYPERLINK" in html  # the free text, escaped by the page
    # Percentages and averages in the reader's language (decimal marks: test_languages).
    bulgarian = client.get(f"/manage/surveys/{survey.id}/results",
                           headers={"Accept-Language": "bg"}).get_data(as_text=True)
    assert "100 %" in bulgarian and "средно 3" in bulgarian
    filtered = client.get(f"/manage/surveys/{survey.id}/results?county=Pest").get_data(
        as_text=True)
    assert "1 response" in filtered
    exported = client.get(f"/manage/surveys/{survey.id}/results.csv?county=Pest")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 2 and rows[0][6] == "County" and rows[1][6] == "Pest"
    assert "'=HYPERLINK(\"x\")" in rows[1]  # a formula never reaches a spreadsheet as one
    assert "Rate these formats [en] – 60-hour [en]" in rows[0]
    book = load_workbook(io.BytesIO(client.get(
        f"/manage/surveys/{survey.id}/results.xlsx").data))
    assert book.active.max_row == 3


def test_a_topic_becomes_a_course_draft_from_the_results(client, auth, db, make_user,
                                                         make_survey):
    survey = make_survey()
    auth.login(make_user(role=Role.ADMIN))
    option = q(survey, QuestionKind.MULTIPLE).options[1]
    url = f"/manage/surveys/{survey.id}/options/{option.id}/course-draft"
    assert url in client.get(f"/manage/surveys/{survey.id}/results").get_data(as_text=True)
    done = client.submit(url, {"code": "CASE-24", "total_hours": "24", "language": "en"})
    assert done.status_code == 302
    course = db.session.scalar(sa.select(Course).where(Course.code == "CASE-24"))
    assert course.title == "Case work [en]" and course.status.value == "draft"
    clash = client.submit(url, {"code": "CASE-24", "total_hours": "24", "language": "en"})
    assert "Another course already has this code." in clash.get_data(as_text=True)


def test_an_evaluation_asks_nothing_about_the_organisation(app, db, make_survey):
    survey = make_survey(kind=SurveyKind.EVALUATION)
    client = browser(app)
    assert "About your organisation" not in client.get(f"/s/{survey.token}").get_data(
        as_text=True)
    single = q(survey, QuestionKind.SINGLE)
    sent = client.submit(f"/s/{survey.token}", {f"q{single.id}": str(single.options[0].id)})
    assert sent.status_code == 302
    assert db.session.scalar(sa.select(SurveyResponse.organisation_type)) is None


def test_the_results_cost_the_same_queries_for_few_or_many_answers(
        app, client, auth, db, make_user, make_survey, query_counter):
    survey = make_survey()
    browser(app).submit(f"/s/{survey.token}", form(survey))
    auth.login(make_user(role=Role.ADMIN))
    url = f"/manage/surveys/{survey.id}/results"
    with query_counter() as few:
        assert client.get(url).status_code == 200
    for _ in range(4):
        browser(app).submit(f"/s/{survey.token}", form(survey))
    with query_counter() as many:
        assert "5 responses" in client.get(url).get_data(as_text=True)
    assert len(many) == len(few)


def test_a_centre_administrator_makes_surveys_of_their_centre_only(client, auth, db, make_user,
                                                                   make_centre):
    own, other = make_centre(), make_centre()
    scoped = make_user(role=Role.ADMIN)
    scoped.centre_id = own.id
    db.session.commit()
    auth.login(scoped)
    fields = {"kind": "needs", "languages": ["en"], "title_en": "Ours",
              "opens_on": "2026-01-01", "closes_on": "2030-12-31"}
    refused = client.submit("/manage/surveys/new", {**fields, "centre": str(other.id)})
    assert refused.status_code == 200 and db.session.scalar(sa.select(Survey)) is None
    assert 'id="centre-error"' in refused.get_data(as_text=True)
    assert client.submit("/manage/surveys/new", {**fields, "centre": str(own.id)}
                         ).status_code == 302
    assert db.session.scalar(sa.select(Survey.centre_id)) == own.id


def _audited(entity: str, entity_id: int, action: str) -> int:
    return _db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.entity == entity, AuditEntry.entity_id == entity_id,
        AuditEntry.action == action))


def test_removing_a_question_or_section_first_says_what_goes(app, client, auth, db, make_user,
                                                             make_survey):
    survey = make_survey(publish=False)
    extra = surveys.save_section(survey, None, survey_texts("Spare"))
    db.session.commit()
    question = q(survey, QuestionKind.SINGLE)
    question_id, extra_id = question.id, extra.id
    page = f"/manage/surveys/{survey.id}"
    remove_q = f"{page}/questions/{question_id}/remove"
    remove_s = f"{page}/sections/{extra_id}/remove"
    auth.login(make_user(role="trainer"))
    assert client.get(remove_q).status_code == 403 and client.get(remove_s).status_code == 403
    auth.logout()
    auth.login(make_user(role="admin"))
    listing = client.get(page).get_data(as_text=True)
    assert f'href="{remove_q}"' in listing and f'href="{remove_s}"' in listing
    confirm = client.get(remove_q).get_data(as_text=True)
    assert "The question and its 3 answer options are deleted." in confirm
    assert "The survey then has 5 questions." in confirm
    assert _db.session.scalar(sa.select(sa.func.count(SurveyQuestion.id))) == 6  # unchanged
    _db.session.expire_all()
    client.submit(remove_q, page=remove_q)
    assert _db.session.scalar(sa.select(sa.func.count(SurveyQuestion.id))) == 5
    assert _audited("SurveyQuestion", question_id, "delete") == 1
    confirm = client.get(remove_s).get_data(as_text=True)
    assert "The section is deleted; it has 0 questions." in confirm
    assert "The survey then has 1 section." in confirm
    client.submit(remove_s, page=remove_s)
    assert _audited("SurveySection", extra_id, "delete") == 1
    # the last section stays: the page says why and offers no button
    last = _db.session.scalar(sa.select(SurveySection.id))
    refused = client.get(f"{page}/sections/{last}/remove").get_data(as_text=True)
    assert "Move or remove this section&#39;s questions first." in refused
    assert 'action="' + f"{page}/sections/{last}/remove" not in refused


def test_closing_and_archiving_first_say_what_happens_to_the_answers(
        app, client, auth, db, make_user, make_survey):
    with time_machine.travel(utcnow(), tick=False):
        survey = make_survey()
        assert browser(app).submit(f"/s/{survey.token}", form(survey)).status_code == 302
        page = f"/manage/surveys/{survey.id}"
        auth.login(make_user(role="trainee"))
        assert client.get(f"{page}/close").status_code == 403
        auth.logout()
        auth.login(make_user(role="admin"))
        listing = client.get(page).get_data(as_text=True)
        assert f'href="{page}/close"' in listing and f'href="{page}/archive"' in listing
        confirm = client.get(f"{page}/close").get_data(as_text=True)
        assert "That is 30 days earlier than planned." in confirm
        assert "The 1 answer already given is kept for the results." in confirm
        assert db.session.get(Survey, survey.id).status == SurveyStatus.PUBLISHED
        client.submit(f"{page}/close", page=f"{page}/close")
        db.session.expire_all()
        assert db.session.get(Survey, survey.id).status == SurveyStatus.CLOSED
        assert "Only a published survey can be closed." in client.get(f"{page}/close").get_data(
            as_text=True)
        confirm = client.get(f"{page}/archive").get_data(as_text=True)
        assert "Its 1 answer stays for its results." in confirm
        client.submit(f"{page}/archive", page=f"{page}/archive")
        db.session.expire_all()
        assert db.session.get(Survey, survey.id).status == SurveyStatus.ARCHIVED
        assert _audited("Survey", survey.id, "update") == 3  # published, closed, archived
        assert "This survey is already archived." in client.get(f"{page}/archive").get_data(
            as_text=True)

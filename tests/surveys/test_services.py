"""The survey builder's rules, answering and results, without a request."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.courses.models import Course, CourseStatus
from lms.errors import DomainError
from lms.surveys import results
from lms.surveys import services as surveys
from lms.surveys.models import (
    QuestionKind,
    SurveyAnswer,
    SurveyKind,
    SurveyResponse,
    SurveyStatus,
)
from tests.conftest import survey_texts


def q(survey, kind):
    return next(question for question in survey.questions if question.kind == kind)


def full_answers(survey, **extra):
    single, multiple = q(survey, QuestionKind.SINGLE), q(survey, QuestionKind.MULTIPLE)
    grid = q(survey, QuestionKind.GRID)
    data = MultiDict([(f"q{single.id}", str(single.options[0].id)),
                      (f"q{multiple.id}", str(multiple.options[0].id)),
                      (f"q{multiple.id}", str(multiple.options[2].id)),
                      (f"q{q(survey, QuestionKind.SCALE).id}", "4"),
                      (f"q{grid.id}_{grid.options[0].id}", "5"),
                      (f"q{grid.id}_{grid.options[1].id}", "2"),
                      (f"q{q(survey, QuestionKind.SHORT_TEXT).id}", "Autumn"),
                      (f"q{q(survey, QuestionKind.LONG_TEXT).id}", "More on debts")])
    for key, value in extra.items():
        data.setlist(key, value if isinstance(value, list) else [value])
    return data


def answer(db, survey, key="browser-1", user=None, **respondent):
    answers, errors = surveys.read_answers(survey, full_answers(survey))
    assert errors == {}
    response = surveys.submit_response(
        survey, answers, surveys.Respondent(**{"organisation_type": "ngo", "county": "Hajdú-Bihar",
                                               **respondent}),
        language="hu", now=utcnow(), user=user, browser_key=key)
    db.session.commit()
    return response


def test_every_offered_language_must_be_filled(db, make_survey):
    survey = make_survey(publish=False)
    with pytest.raises(DomainError) as refused:
        surveys.save_question(survey, None, section=survey.sections[0],
                              kind=QuestionKind.SHORT_TEXT, required=False, topics=False,
                              text={"en": "Only English"}, options={})
    assert refused.value.field == "text_hu"
    with pytest.raises(DomainError) as refused:
        surveys.save_question(survey, None, section=survey.sections[0],
                              kind=QuestionKind.SINGLE, required=False, topics=False,
                              text=survey_texts("Pick"),
                              options={"en": ["a", "b", "c"], "hu": ["a", "b"]})
    assert "same number" in refused.value.message
    with pytest.raises(DomainError) as refused:
        surveys.save_survey(survey, kind=SurveyKind.NEEDS, languages=["en", "hu"],
                            title={"en": "Needs", "hu": " "}, intro={},
                            opens_at=survey.opens_at, closes_at=survey.closes_at, centre=None)
    assert refused.value.field == "title_hu"


def test_a_language_cannot_be_added_while_questions_lack_it(db, make_survey):
    survey = make_survey(publish=False)
    with pytest.raises(DomainError) as refused:
        surveys.save_survey(survey, kind=SurveyKind.NEEDS, languages=["en", "hu", "bg"],
                            title=survey_texts("T", ("en", "hu", "bg")), intro={},
                            opens_at=survey.opens_at, closes_at=survey.closes_at, centre=None)
    assert refused.value.field == "languages"


def test_questions_move_up_and_down_across_sections(db, make_survey):
    survey = make_survey(publish=False)
    first, second = survey.questions[0], survey.questions[1]
    surveys.move_question(survey, second, "up")
    db.session.commit()
    assert [x.id for x in survey.sections[0].questions][:2] == [second.id, first.id]
    new = surveys.save_section(survey, None, survey_texts("Part two"))
    db.session.commit()
    last = survey.sections[0].questions[-1]
    surveys.move_question(survey, last, "down")
    db.session.commit()
    assert last.section_id == new.id and last.position == 0
    surveys.move_section(survey, new, "up")
    db.session.commit()
    assert survey.sections[0].id == new.id


def test_a_survey_with_answers_is_frozen_and_changes_by_a_new_version(db, make_survey, make_user):
    survey = make_survey()
    answer(db, survey)
    question = survey.questions[0]
    for change in (
        lambda: surveys.save_question(survey, question, section=question.section,
                                      kind=question.kind, required=False, topics=False,
                                      text=survey_texts("Reworded"),
                                      options={"en": ["x", "y"], "hu": ["x", "y"]}),
        lambda: surveys.remove_question(survey, question),
        lambda: surveys.move_question(survey, survey.questions[1], "up"),
        lambda: surveys.save_section(survey, None, survey_texts("More")),
        lambda: surveys.save_survey(survey, kind=SurveyKind.NEEDS, languages=["en"],
                                    title=survey_texts("T"), intro={}, opens_at=survey.opens_at,
                                    closes_at=survey.closes_at, centre=None),
    ):
        with pytest.raises(DomainError, match="new version"):
            change()
        db.session.rollback()
    assert db.session.get(type(question), question.id).text["en"].startswith("Size")
    copy = surveys.new_version(survey, make_user(role="admin"))
    db.session.commit()
    assert copy.version == 2 and copy.previous_id == survey.id
    assert copy.status == SurveyStatus.DRAFT and survey.status == SurveyStatus.CLOSED
    assert [x.text for x in copy.questions] == [x.text for x in survey.questions]
    assert copy.token != survey.token
    # the copy changes freely; the old one keeps its answer and its questions
    surveys.remove_question(copy, copy.questions[0])
    db.session.commit()
    assert len(copy.questions) == len(survey.questions) - 1
    assert surveys.response_count(survey) == 1


def test_archiving_keeps_the_survey_and_its_answers(db, make_survey):
    survey = make_survey()
    answer(db, survey)
    surveys.archive_survey(survey)
    db.session.commit()
    assert survey.status == SurveyStatus.ARCHIVED and surveys.response_count(survey) == 1
    with pytest.raises(DomainError):
        surveys.new_version(survey)


@pytest.mark.parametrize("field, value, message", [
    ("single", "OTHER_QUESTION_OPTION", "Choose among the options given."),
    ("single", "999999999999", "Choose among the options given."),
    ("single", "not-a-number", "Choose among the options given."),
    ("scale", "6", "Choose a value from 1 to 5."),
    ("scale", "\x00", "Choose a value from 1 to 5."),
    ("long", "a" * 100_000, "at most 5000 characters"),
    ("short", "Spring\x00", "control characters"),
])
def test_hostile_answers_are_refused_next_to_their_question(db, make_survey, field, value,
                                                             message):
    survey = make_survey()
    kinds = {"single": QuestionKind.SINGLE, "scale": QuestionKind.SCALE,
             "long": QuestionKind.LONG_TEXT, "short": QuestionKind.SHORT_TEXT}
    question = q(survey, kinds[field])
    if value == "OTHER_QUESTION_OPTION":
        value = str(q(survey, QuestionKind.MULTIPLE).options[0].id)
    _answers, errors = surveys.read_answers(survey, full_answers(survey, **{
        f"q{question.id}": value}))
    assert list(errors) == [question.id] and message in errors[question.id]


def test_required_questions_must_be_answered(db, make_survey):
    survey = make_survey()
    single = q(survey, QuestionKind.SINGLE)
    _answers, errors = surveys.read_answers(survey, MultiDict())
    assert errors == {single.id: "Answer this question."}


def test_one_response_per_browser_and_per_user(db, make_survey, make_user):
    survey = make_survey()
    answer(db, survey, key="k1")
    with pytest.raises(DomainError, match="already answered"):
        answer(db, survey, key="k1")
    db.session.rollback()
    answer(db, survey, key="k2")
    user = make_user()
    answer(db, survey, user=user)
    with pytest.raises(DomainError, match="already answered"):
        answer(db, survey, key="k3", user=user)
    db.session.rollback()
    assert surveys.response_count(survey) == 3


def test_a_survey_answers_only_while_open(db, make_survey):
    survey = make_survey(opens_at=utcnow() + timedelta(days=1),
                         closes_at=utcnow() + timedelta(days=2))
    with pytest.raises(DomainError, match="not taking answers"):
        answer(db, survey)


def test_the_log_says_answered_and_nothing_of_the_answers(db, make_survey):
    survey = make_survey()
    answer(db, survey, organisation_name="Secret Org")
    entries = list(db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.event == "answered")))
    assert len(entries) == 1 and entries[0].entity == "Survey"
    assert entries[0].entity_id == survey.id and entries[0].actor_id is None
    logged = " ".join(str(e.changes) + e.label for e in db.session.scalars(sa.select(AuditEntry)))
    assert "More on debts" not in logged and "Secret Org" not in logged
    assert not any(e.entity in ("SurveyResponse", "SurveyAnswer")
                   for e in db.session.scalars(sa.select(AuditEntry)))


def test_builder_changes_are_in_the_log(db, make_survey):
    survey = make_survey()
    kinds = set(db.session.scalars(sa.select(AuditEntry.entity).where(
        AuditEntry.action == "create")))
    assert {"Survey", "SurveySection", "SurveyQuestion", "SurveyOption"} <= kinds
    surveys.close_survey(survey)
    db.session.commit()
    assert db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.entity == "Survey", AuditEntry.action == "update",
        AuditEntry.entity_id == survey.id).order_by(AuditEntry.id.desc()).limit(1)
    ).changes["status"] == ["published", "closed"]


def test_results_count_filter_and_rank_topics(db, make_survey, make_centre):
    survey = make_survey()
    answer(db, survey, key="a", county="Hajdú-Bihar")
    answer(db, survey, key="b", county="Razgrad", organisation_type="municipality")
    multiple = q(survey, QuestionKind.MULTIPLE)
    # a third asks for "Community work" only
    answers, errors = surveys.read_answers(survey, full_answers(survey, **{
        f"q{multiple.id}": [str(multiple.options[2].id)]}))
    surveys.submit_response(survey, answers, surveys.Respondent(organisation_type="ngo",
                                                                county="Razgrad"),
                            language="en", now=utcnow(), browser_key="c")
    db.session.commit()
    every = results.question_results(survey, results.Filters(), "en")
    topics = every[1].bars
    assert [(bar.label, bar.total) for bar in topics] == [
        ("Debt advice [en]", 2), ("Case work [en]", 0), ("Community work [en]", 3)]
    assert topics[0].percent == 66.7
    ranked = results.topics_ranked(every)[0][1]
    assert ranked[0].label == "Community work [en]"
    scale = every[2]
    assert scale.mean == 4.0 and scale.bars[3].total == 3
    razgrad = results.question_results(survey, results.Filters(county="Razgrad"), "hu")
    assert razgrad[0].answered == 2 and razgrad[0].bars[0].label == "1-5 [hu]"
    municipal = results.Filters(organisation_type="municipality")
    assert results.respondents(survey, municipal) == 1
    page = results.text_answers(survey, q(survey, QuestionKind.LONG_TEXT), results.Filters(),
                                1, 2)
    assert page.total == 3 and page.items == ["More on debts"] * 2


def test_a_topic_becomes_a_course_draft(db, make_survey):
    survey = make_survey()
    option = q(survey, QuestionKind.MULTIPLE).options[0]
    course = surveys.create_course_draft(option, code="deb-24", total_hours=24, language="hu")
    db.session.commit()
    saved = db.session.get(Course, course.id)
    assert saved.title == "Debt advice [hu]" and saved.status == CourseStatus.DRAFT
    assert saved.code == "DEB-24"


def test_answers_are_kept_per_question(db, make_survey):
    survey = make_survey()
    response = answer(db, survey)
    stored = db.session.scalars(sa.select(SurveyAnswer).where(
        SurveyAnswer.response_id == response.id)).all()
    assert len(stored) == 8  # single, two topics, scale, two grid rows, two texts
    assert db.session.get(SurveyResponse, response.id).browser_key != "browser-1"

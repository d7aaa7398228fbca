"""Building surveys, answering them and reading their results.

The rule that keeps answers meaningful: once a survey has a response, its sections,
questions and options cannot change (`_editable` refuses); the administrator makes a
new version instead (`new_version`: a draft copy; the old one closes). Every change
here is audited by the session's hooks (lms/audit/services.py); an answer is logged
only as the event "answered", never its content.
"""

import hashlib
import secrets
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from lms.audit.services import record_event
from lms.clock import instant_at
from lms.courses.models import Centre, Course, CourseStatus
from lms.courses.services import save_course
from lms.errors import DomainError
from lms.extensions import db
from lms.formtools import has_control_characters
from lms.i18n import gettext as _
from lms.surveys.models import (
    CHOICE_KINDS,
    LANGUAGES,
    SCALE_VALUES,
    OrganisationType,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyKind,
    SurveyOption,
    SurveyQuestion,
    SurveyResponse,
    SurveySection,
    SurveyStatus,
    TeamRole,
)

ANSWERED = "answered"
SHORT_TEXT_MAX = 300
LONG_TEXT_MAX = 5000


# ---------------------------------------------------------------- reading


def has_responses(survey: Survey) -> bool:
    """Whether anyone has answered `survey` (its questions are then frozen)."""
    return db.session.scalar(
        sa.select(sa.func.count(SurveyResponse.id)).where(SurveyResponse.survey_id == survey.id)
    ) > 0


def response_count(survey: Survey) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(SurveyResponse.id)).where(SurveyResponse.survey_id == survey.id))


def surveys_for(centre_id: int | None, archived: bool = False) -> sa.Select:
    """The surveys an administrator manages (a scoped one: their centre's), newest first."""
    stmt = sa.select(Survey).order_by(Survey.created_at.desc(), Survey.id.desc())
    if centre_id is not None:
        stmt = stmt.where(Survey.centre_id == centre_id)
    status = Survey.status == SurveyStatus.ARCHIVED
    return stmt.where(status if archived else ~status)


def survey_with_questions(survey_id: int) -> Survey | None:
    """A survey with its sections, questions and options loaded in a fixed few queries."""
    return db.session.scalar(
        sa.select(Survey).where(Survey.id == survey_id).options(
            selectinload(Survey.sections).selectinload(SurveySection.questions)
            .selectinload(SurveyQuestion.options)))


def find_by_token(token: str) -> Survey | None:
    if not token or len(token) > 40:
        return None
    return db.session.scalar(sa.select(Survey).where(Survey.token == token))


def is_open(survey: Survey, now: datetime) -> bool:
    """Whether `survey` takes answers at `now`."""
    return (survey.status == SurveyStatus.PUBLISHED
            and survey.opens_at <= now < survey.closes_at)


def opening_instants(opens_on: date, closes_on: date, where) -> tuple[datetime, datetime]:
    """A survey opens at the start of `opens_on` and closes at the end of `closes_on`,
    both days at the wall clock of `where` (the network's zone)."""
    return (instant_at(opens_on, time(0), where),
            instant_at(closes_on + timedelta(days=1), time(0), where))


def answered_by_browser(survey: Survey, key: str | None) -> bool:
    if not key or len(key) > 100:
        return False
    return db.session.scalar(sa.select(SurveyResponse.id).where(
        SurveyResponse.survey_id == survey.id,
        SurveyResponse.browser_key == _hash(key))) is not None


def answered_by_user(survey: Survey, user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(sa.select(SurveyResponse.id).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.user_id == user.id)) is not None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# ---------------------------------------------------------------- building


def _texts(values: Mapping[str, str], languages: list[str], field: str, missing,
           limit: int = 1000) -> dict:
    """The texts of `values` in the offered `languages`, each required and clean;
    `missing(language)` says which one is missing."""
    texts = {}
    for language in languages:
        text = (values.get(language) or "").strip()
        if not text:
            raise DomainError(missing(language.upper()), f"{field}_{language}")
        if len(text) > limit or has_control_characters(text):
            raise DomainError(_("This text is too long or holds control characters."),
                              f"{field}_{language}")
        texts[language] = text
    return texts


def _editable(survey: Survey) -> None:
    if survey.status == SurveyStatus.ARCHIVED:
        raise DomainError(_("This survey is archived: it cannot change."))
    if has_responses(survey):
        raise DomainError(_("This survey has answers: its questions cannot change. Make a "
                            "new version to change them."))


def save_survey(survey: Survey | None, *, kind: SurveyKind, languages: list[str],
                title: Mapping[str, str], intro: Mapping[str, str], opens_at: datetime,
                closes_at: datetime, centre: Centre | None, by=None) -> Survey:
    """Create or change a survey's kind, languages, texts, dates and centre. Its
    languages and kind cannot change once it has answers."""
    languages = [code for code in LANGUAGES if code in languages]
    if not languages:
        raise DomainError(_("Choose at least one language."), "languages")
    if closes_at <= opens_at:
        raise DomainError(_("The survey must close after it opens."), "closes_on")
    titles = _texts(title, languages, "title", lambda code: _(
        "Enter the title in every language the survey is offered in (missing: %(language)s).",
        language=code), 300)
    intros = {code: (intro.get(code) or "").strip() for code in languages}
    for code, text in intros.items():
        if len(text) > 5000 or has_control_characters(text):
            raise DomainError(_("This text is too long or holds control characters."),
                              f"intro_{code}")
    if survey is not None and survey.status == SurveyStatus.ARCHIVED:
        raise DomainError(_("This survey is archived: it cannot change."))
    if survey is not None and survey.template_for and kind != SurveyKind.EVALUATION:
        raise DomainError(_("An evaluation template stays a course evaluation."), "kind")
    if survey is not None and (survey.kind != kind or survey.language_list != languages) \
            and has_responses(survey):
        raise DomainError(_("This survey has answers: its kind and languages cannot change. "
                            "Make a new version to change them."), "languages")
    if survey is not None and survey.language_list != languages:
        _check_texts_complete(survey, languages)
    if survey is None:
        survey = Survey(token=secrets.token_urlsafe(12), created_by_id=getattr(by, "id", None))
        db.session.add(survey)
        survey.sections = [SurveySection(position=0, title={code: titles[code]
                                                            for code in languages})]
    survey.kind, survey.languages = kind, ",".join(languages)
    survey.title, survey.intro = titles, intros
    survey.opens_at, survey.closes_at = opens_at, closes_at
    survey.centre_id = centre.id if centre else None
    db.session.flush()
    return survey


def _check_texts_complete(survey: Survey, languages: list[str]) -> None:
    for section in survey.sections:
        for question in section.questions:
            texts = [question.text, *(option.label for option in question.options)]
            if any(not (text or {}).get(code) for text in texts for code in languages):
                raise DomainError(_("Some questions or options have no text in a language "
                                    "you added: give their texts first, or add the language "
                                    "after translating them."), "languages")
        if any(not section.title.get(code) for code in languages):
            raise DomainError(_("A section has no heading in a language you added."),
                              "languages")


def save_section(survey: Survey, section: SurveySection | None,
                 title: Mapping[str, str]) -> SurveySection:
    """Add a section at the end of the survey, or rename one."""
    _editable(survey)
    texts = _texts(title, survey.language_list, "title", lambda code: _(
        "Enter the heading in every language the survey is offered in (missing: "
        "%(language)s).", language=code), 300)
    if section is None:
        section = SurveySection(survey=survey, position=len(survey.sections))
        db.session.add(section)
    section.title = texts
    db.session.flush()
    return section


def remove_section(survey: Survey, section: SurveySection) -> None:
    """Remove an empty section (a survey not yet answered keeps at least one)."""
    _editable(survey)
    if section.questions:
        raise DomainError(_("Move or remove this section's questions first."))
    if len(survey.sections) <= 1:
        raise DomainError(_("A survey keeps at least one section."))
    survey.sections.remove(section)
    db.session.delete(section)
    _renumber(survey.sections)
    db.session.flush()


def _renumber(items) -> None:
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position


def _move(items: list, item, direction: str) -> None:
    index = items.index(item)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    _renumber(items)


def move_section(survey: Survey, section: SurveySection, direction: str) -> None:
    """Move a section one place up or down."""
    _editable(survey)
    _move(list(survey.sections), section, direction)
    db.session.flush()


def move_question(survey: Survey, question: SurveyQuestion, direction: str) -> None:
    """Move a question one place up or down in its section; past the section's edge
    into the end (or start) of the neighbouring section."""
    _editable(survey)
    questions = list(question.section.questions)
    index = questions.index(question)
    sections = list(survey.sections)
    place = sections.index(question.section)
    if direction == "up" and index == 0 and place > 0:
        target = sections[place - 1]
        question.section = target
        question.position = len(target.questions)
        _renumber([q for q in questions if q is not question])
    elif direction == "down" and index == len(questions) - 1 and place < len(sections) - 1:
        target = sections[place + 1]
        rest = [q for q in target.questions if q is not question]
        question.section = target
        _renumber([question, *rest])
        _renumber([q for q in questions if q is not question])
    else:
        _move(questions, question, direction)
    db.session.flush()


def save_question(survey: Survey, question: SurveyQuestion | None, *, section: SurveySection,
                  kind: QuestionKind, required: bool, topics: bool,
                  text: Mapping[str, str], options: Mapping[str, list[str]]) -> SurveyQuestion:
    """Add or change a question: its text and, for a choice question or a grid, its
    options (or rows), each in every offered language, the same number in each."""
    _editable(survey)
    if section.survey_id != survey.id:
        raise DomainError(_("Choose a section of this survey."), "section")
    languages = survey.language_list
    texts = _texts(text, languages, "text", lambda code: _(
        "Enter the question in every language the survey is offered in (missing: "
        "%(language)s).", language=code), 1000)
    labels: list[dict] = []
    if kind in (*CHOICE_KINDS, QuestionKind.GRID):
        lists = {code: [line.strip() for line in options.get(code, []) if line.strip()]
                 for code in languages}
        counts = {len(lines) for lines in lists.values()}
        wanted = 1 if kind == QuestionKind.GRID else 2
        first = f"options_{languages[0]}"
        if len(counts) != 1:
            raise DomainError(_("Give the same number of options in every language, one a "
                                "line."), first)
        count = counts.pop()
        if count < wanted:
            raise DomainError(_("Give at least two options, one a line.") if wanted == 2
                              else _("Give at least one row, one a line."), first)
        if count > 60:
            raise DomainError(_("Give at most 60 options."), first)
        for code, lines in lists.items():
            if any(len(line) > 300 or has_control_characters(line) for line in lines):
                raise DomainError(_("This text is too long or holds control characters."),
                                  f"options_{code}")
        labels = [{code: lists[code][n] for code in languages} for n in range(count)]
    if topics and kind != QuestionKind.MULTIPLE:
        raise DomainError(_("Only a multiple-choice question can list the topics."), "topics")
    if question is None:
        question = SurveyQuestion(survey=survey, section=section,
                                  position=len(section.questions))
        db.session.add(question)
    elif question.section is not section:
        old = [q for q in question.section.questions if q is not question]
        question.section, question.position = section, len(section.questions)
        _renumber(old)
    question.kind, question.required, question.topics = kind, required, topics
    question.text = texts
    existing = list(question.options)
    for position, label in enumerate(labels):
        if position < len(existing):
            existing[position].label = label
        else:
            db.session.add(SurveyOption(question=question, position=position, label=label))
    for option in existing[len(labels):]:
        question.options.remove(option)
        db.session.delete(option)
    db.session.flush()
    return question


def remove_question(survey: Survey, question: SurveyQuestion) -> None:
    """Remove a question of a survey nobody has answered yet."""
    _editable(survey)
    section = question.section
    # Not flushed half way: loading survey.questions must not first write the question
    # out of its section (its section is required).
    with db.session.no_autoflush:
        for option in list(question.options):
            db.session.delete(option)
        section.questions.remove(question)
        survey.questions.remove(question)
        db.session.delete(question)
    _renumber(section.questions)
    db.session.flush()


def publish_survey(survey: Survey) -> Survey:
    """Make a draft answerable between its dates (it needs a question)."""
    if survey.status != SurveyStatus.DRAFT:
        raise DomainError(_("Only a draft can be published."))
    if survey.template_for:
        raise DomainError(_("An evaluation template is never answered itself: each run's "
                            "evaluation is a copy of it, sent when the run closes."))
    if not survey.questions:
        raise DomainError(_("Add a question before publishing the survey."))
    _check_texts_complete(survey, survey.language_list)
    survey.status = SurveyStatus.PUBLISHED
    db.session.flush()
    return survey


def close_survey(survey: Survey) -> Survey:
    """Stop taking answers now, whatever its closing date."""
    if survey.status != SurveyStatus.PUBLISHED:
        raise DomainError(_("Only a published survey can be closed."))
    survey.status = SurveyStatus.CLOSED
    db.session.flush()
    return survey


def archive_survey(survey: Survey) -> Survey:
    """Put a survey away (it is never deleted: its answers stay for its results)."""
    if survey.status == SurveyStatus.ARCHIVED:
        raise DomainError(_("This survey is already archived."))
    survey.status = SurveyStatus.ARCHIVED
    db.session.flush()
    return survey


def new_version(survey: Survey, by=None) -> Survey:
    """A draft copy of `survey` (texts, sections, questions, options) to change; the
    old one closes, keeping its answers as given."""
    if survey.status == SurveyStatus.ARCHIVED:
        raise DomainError(_("This survey is archived: it cannot change."))
    copy = Survey(token=secrets.token_urlsafe(12), kind=survey.kind, title=dict(survey.title),
                  intro=dict(survey.intro), languages=survey.languages,
                  opens_at=survey.opens_at, closes_at=survey.closes_at,
                  centre_id=survey.centre_id, run_id=survey.run_id,
                  version=survey.version + 1, previous_id=survey.id,
                  created_by_id=getattr(by, "id", None))
    db.session.add(copy)
    copy_questions(survey, copy)
    if survey.status == SurveyStatus.PUBLISHED:
        survey.status = SurveyStatus.CLOSED
    db.session.flush()
    return copy


def copy_questions(survey: Survey, copy: Survey) -> None:
    """Copy the sections, questions and options of `survey` into `copy` (a new version,
    or a run's evaluation made from its template): answers to the copy never touch the
    original, and editing the original never changes the copy."""
    sections = [(section, list(section.questions)) for section in survey.sections]
    options = {question.id: list(question.options) for question in survey.questions}
    for section, questions in sections:
        new_section = SurveySection(survey=copy, position=section.position,
                                    title=dict(section.title))
        db.session.add(new_section)
        for question in questions:
            new_question = SurveyQuestion(
                survey=copy, section=new_section, position=question.position,
                kind=question.kind, text=dict(question.text), required=question.required,
                topics=question.topics)
            db.session.add(new_question)
            for option in options[question.id]:
                db.session.add(SurveyOption(question=new_question, position=option.position,
                                            label=dict(option.label)))
    db.session.flush()


def create_course_draft(option: SurveyOption, *, code: str, total_hours: int,
                        language: str) -> Course:
    """A draft catalogue entry for a topic respondents asked for, titled as the option
    (in `language`), for the catalogue's administrators to complete."""
    title = option.label_in(language)
    return save_course(None, [], code=code, title=title[:300],
                       summary=_("Asked for in the survey: %(survey)s",
                                 survey=option.question.survey.title_in(language))[:1000],
                       description="", total_hours=total_hours, target_group="",
                       accreditation_number="", credit_points=None, language=language,
                       status=CourseStatus.DRAFT)


# ---------------------------------------------------------------- answering


class Respondent:
    """Who answers, as far as a needs survey asks: the organisation and the team."""

    def __init__(self, organisation_name: str = "", organisation_type: str | None = None,
                 settlement: str = "", county: str = "", team_roles: list[str] | None = None):
        self.organisation_name = organisation_name
        self.organisation_type = organisation_type
        self.settlement = settlement
        self.county = county
        self.team_roles = team_roles or []


def read_answers(survey: Survey, form: Mapping) -> tuple[list[SurveyAnswer], dict[int, str]]:
    """The answers in a submitted form (fields `q<id>`, `q<id>_<row id>`) and, per
    question, what is wrong. Anything forged (an option of another question, a value
    off the scale, a text too long) is refused next to its question, never stored."""
    answers: list[SurveyAnswer] = []
    errors: dict[int, str] = {}

    def values(name: str) -> list[str]:
        getter = getattr(form, "getlist", None)
        raw = getter(name) if getter else ([form[name]] if name in form else [])
        return [str(value) for value in raw][:100]

    for question in survey.questions:
        name = f"q{question.id}"
        options = {str(option.id): option for option in question.options}
        given: list[SurveyAnswer] = []
        problem = None
        if question.kind in CHOICE_KINDS:
            chosen = [value for value in values(name) if value.strip()]
            if any(value not in options for value in chosen):
                problem = _("Choose among the options given.")
            elif question.kind == QuestionKind.SINGLE and len(chosen) > 1:
                problem = _("Choose one option.")
            else:
                given = [SurveyAnswer(question_id=question.id, option_id=options[value].id)
                         for value in dict.fromkeys(chosen)]
        elif question.kind == QuestionKind.SCALE:
            chosen = [value for value in values(name) if value.strip()]
            if chosen and (len(chosen) > 1 or chosen[0] not in {str(v) for v in SCALE_VALUES}):
                problem = _("Choose a value from 1 to 5.")
            elif chosen:
                given = [SurveyAnswer(question_id=question.id, value=int(chosen[0]))]
        elif question.kind == QuestionKind.GRID:
            missing = False
            for option in question.options:
                chosen = [value for value in values(f"{name}_{option.id}") if value.strip()]
                if chosen and (len(chosen) > 1
                               or chosen[0] not in {str(v) for v in SCALE_VALUES}):
                    problem = _("Choose a value from 1 to 5 in each row.")
                elif chosen:
                    given.append(SurveyAnswer(question_id=question.id, option_id=option.id,
                                              value=int(chosen[0])))
                else:
                    missing = True
            if problem is None and question.required and missing:
                problem = _("Answer every row.")
        else:
            text = "".join(values(name)[:1]).replace("\r\n", "\n").strip()
            limit = SHORT_TEXT_MAX if question.kind == QuestionKind.SHORT_TEXT else LONG_TEXT_MAX
            if has_control_characters(text):
                problem = _("Remove the control characters (such as NUL) from this field.")
            elif len(text) > limit:
                problem = _("Write at most %(limit)d characters (this has %(length)d).",
                            limit=limit, length=len(text))
            elif text:
                given = [SurveyAnswer(question_id=question.id, text=text)]
        if problem is None and question.required and not given:
            problem = _("Answer this question.")
        if problem:
            errors[question.id] = problem
        else:
            answers.extend(given)
    return answers, errors


def submit_response(survey: Survey, answers: list[SurveyAnswer], respondent: Respondent, *,
                    language: str, now: datetime, user=None, browser_key: str | None = None,
                    centre: Centre | None = None) -> SurveyResponse:
    """Record one response: once per logged-in user, else once per browser (the hash of
    the key its cookie holds). The log says "answered", nothing of what was said."""
    if not is_open(survey, now):
        raise DomainError(_("This survey is not taking answers."))
    user_id = user.id if user is not None and getattr(user, "is_authenticated", False) else None
    if user_id is None and not browser_key:
        raise DomainError(_("Your browser did not keep our cookie: allow cookies for this "
                            "site and send the form again."))
    if answered_by_user(survey, user) or answered_by_browser(survey, browser_key):
        raise DomainError(_("You have already answered this survey. Thank you!"))
    if language not in survey.language_list:
        language = survey.language_list[0]
    kind = respondent.organisation_type
    roles = [role for role in respondent.team_roles if role in {r.value for r in TeamRole}]
    response = SurveyResponse(
        survey_id=survey.id, submitted_at=now, language=language, user_id=user_id,
        browser_key=None if user_id else _hash(browser_key or ""),
        centre_id=centre.id if centre else survey.centre_id,
        organisation_name=respondent.organisation_name.strip()[:300],
        organisation_type=OrganisationType(kind) if kind in {t.value for t in OrganisationType}
        else None,
        settlement=respondent.settlement.strip()[:100], county=respondent.county.strip()[:100],
        team_roles=",".join(dict.fromkeys(roles)))
    db.session.add(response)
    for answer in answers:
        answer.response = response
        db.session.add(answer)
    db.session.flush()
    record_event(ANSWERED, "Survey", survey.id, survey.title_in("en")[:300], actor_id=user_id)
    return response

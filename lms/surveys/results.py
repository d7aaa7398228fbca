"""A survey's results: counts per option and scale value, the free-text answers, the
topics ranked by demand, and the rows of its export. Each reads with a fixed number
of grouped queries, whatever the number of responses."""

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from lms.courses.models import Centre
from lms.extensions import db
from lms.paging import Page, paginate
from lms.surveys.models import (
    CHOICE_KINDS,
    SCALE_VALUES,
    TEXT_KINDS,
    OrganisationType,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyKind,
    SurveyQuestion,
    SurveyResponse,
)


@dataclass(frozen=True)
class Filters:
    county: str | None = None
    organisation_type: str | None = None
    centre_id: int | None = None

    def apply(self, stmt):
        if self.county:
            stmt = stmt.where(SurveyResponse.county == self.county)
        if self.organisation_type in {t.value for t in OrganisationType}:
            stmt = stmt.where(SurveyResponse.organisation_type == self.organisation_type)
        if self.centre_id:
            stmt = stmt.where(SurveyResponse.centre_id == self.centre_id)
        return stmt


@dataclass
class Bar:
    label: str
    total: int
    percent: float
    option_id: int | None = None


@dataclass
class QuestionResult:
    question: SurveyQuestion
    answered: int = 0  # respondents who answered it
    bars: list[Bar] = field(default_factory=list)  # options or scale values
    rows: list[tuple[str, list[Bar], float | None]] = field(default_factory=list)  # grid
    mean: float | None = None
    texts: int = 0

    @property
    def row_means(self) -> list[Bar]:
        """A grid's rows by their average (0 when unanswered), for its chart."""
        return [Bar(label, mean or 0, 0.0) for label, _bars, mean in self.rows]


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def respondents(survey: Survey, filters: Filters) -> int:
    return db.session.scalar(filters.apply(
        sa.select(sa.func.count(SurveyResponse.id)).where(SurveyResponse.survey_id == survey.id)))


def question_results(survey: Survey, filters: Filters, language: str) -> list[QuestionResult]:
    """Per question: how many answered, and per option (or scale value, or grid row and
    value) how many chose it, with the percentage of those who answered the question."""
    base = filters.apply(sa.select().select_from(SurveyAnswer).join(SurveyAnswer.response)
                         .where(SurveyResponse.survey_id == survey.id))
    counts = db.session.execute(base.add_columns(
        SurveyAnswer.question_id, SurveyAnswer.option_id, SurveyAnswer.value,
        sa.func.count(SurveyAnswer.id)).group_by(
        SurveyAnswer.question_id, SurveyAnswer.option_id, SurveyAnswer.value)).all()
    answered = dict(db.session.execute(base.add_columns(
        SurveyAnswer.question_id, sa.func.count(sa.distinct(SurveyAnswer.response_id)))
        .group_by(SurveyAnswer.question_id)).all())
    by_question: dict[int, dict[tuple, int]] = defaultdict(dict)
    for question_id, option_id, value, count in counts:
        key = (option_id, value)
        by_question[question_id][key] = by_question[question_id].get(key, 0) + count
    results = []
    for question in survey.questions:
        seen = by_question.get(question.id, {})
        result = QuestionResult(question, answered=answered.get(question.id, 0))
        whole = result.answered
        if question.kind in CHOICE_KINDS:
            result.bars = [Bar(option.label_in(language), seen.get((option.id, None), 0),
                               _percent(seen.get((option.id, None), 0), whole), option.id)
                           for option in question.options]
        elif question.kind == QuestionKind.SCALE:
            result.bars = [Bar(str(v), seen.get((None, v), 0),
                               _percent(seen.get((None, v), 0), whole)) for v in SCALE_VALUES]
            result.mean = _mean({v: seen.get((None, v), 0) for v in SCALE_VALUES})
        elif question.kind == QuestionKind.GRID:
            for option in question.options:
                row = {v: seen.get((option.id, v), 0) for v in SCALE_VALUES}
                total = sum(row.values())
                result.rows.append((option.label_in(language),
                                    [Bar(str(v), row[v], _percent(row[v], total))
                                     for v in SCALE_VALUES], _mean(row)))
        else:
            result.texts = sum(seen.values())
        results.append(result)
    return results


def _mean(counts: dict[int, int]) -> float | None:
    total = sum(counts.values())
    return round(sum(v * n for v, n in counts.items()) / total, 2) if total else None


def topics_ranked(results: list[QuestionResult]) -> list[tuple[QuestionResult, list[Bar]]]:
    """The options of each "topics" question, most asked for first."""
    return [(result, sorted(result.bars, key=lambda bar: (-bar.total, bar.label)))
            for result in results if result.question.topics]


def text_answers(survey: Survey, question: SurveyQuestion, filters: Filters,
                 number: int, size: int) -> Page:
    """One page of the free-text answers to `question`: newest first, but a course
    evaluation's in the order of their texts (the order of answering is not to be told:
    the log says who answered when)."""
    stmt = filters.apply(
        sa.select(SurveyAnswer.text, SurveyResponse.submitted_at, SurveyAnswer.id)
        .join(SurveyAnswer.response)
        .where(SurveyResponse.survey_id == survey.id, SurveyAnswer.question_id == question.id,
               SurveyAnswer.text.is_not(None)))
    if survey.kind == SurveyKind.EVALUATION:
        stmt = stmt.order_by(SurveyAnswer.text, SurveyAnswer.id)
    else:
        stmt = stmt.order_by(SurveyResponse.submitted_at.desc(), SurveyAnswer.id.desc())
    page = paginate(stmt, number, size)
    return page


def text_questions(survey: Survey) -> list[SurveyQuestion]:
    return [q for q in survey.questions if q.kind in TEXT_KINDS]


def counties(survey: Survey) -> list[str]:
    return sorted(db.session.scalars(
        sa.select(SurveyResponse.county).distinct().where(
            SurveyResponse.survey_id == survey.id, SurveyResponse.county != "")))


def centres(survey: Survey) -> list[Centre]:
    return list(db.session.scalars(
        sa.select(Centre).where(Centre.id.in_(
            sa.select(SurveyResponse.centre_id).where(SurveyResponse.survey_id == survey.id)))
        .order_by(Centre.name)))


def export_rows(survey: Survey, filters: Filters, language: str, labels: dict):
    """The header and one row per response: when, language, centre, the respondent's
    organisation, then each question (a grid: a column a row). Read in batches."""
    questions = list(survey.questions)
    header = list(labels["header"])
    columns: list[tuple[int, int | None]] = []
    for question in questions:
        if question.kind == QuestionKind.GRID:
            for option in question.options:
                header.append(f"{question.text_in(language)} – {option.label_in(language)}")
                columns.append((question.id, option.id))
        else:
            header.append(question.text_in(language))
            columns.append((question.id, None))
    options = {option.id: option.label_in(language)
               for question in questions for option in question.options}
    kinds = {question.id: question.kind for question in questions}
    centre_names = dict(db.session.execute(sa.select(Centre.id, Centre.name)).all())

    anonymous = survey.kind == SurveyKind.EVALUATION

    def rows():
        ids = export_order(survey, list(db.session.scalars(filters.apply(
            sa.select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id)
            .order_by(SurveyResponse.id)))))
        batch = 500
        for start in range(0, len(ids), batch):
            wanted = ids[start:start + batch]
            loaded = {response.id: response for response in db.session.scalars(
                sa.select(SurveyResponse).where(SurveyResponse.id.in_(wanted)))}
            chunk = [loaded[id_] for id_ in wanted]
            answers: dict[int, list[SurveyAnswer]] = defaultdict(list)
            for answer in db.session.scalars(sa.select(SurveyAnswer).where(
                    SurveyAnswer.response_id.in_([r.id for r in chunk]))
                    .order_by(SurveyAnswer.id)):
                answers[answer.response_id].append(answer)
            for response in chunk:
                cells: dict[tuple[int, int | None], list[str]] = defaultdict(list)
                for answer in answers[response.id]:
                    kind = kinds.get(answer.question_id)
                    if kind == QuestionKind.GRID:
                        cells[(answer.question_id, answer.option_id)].append(str(answer.value))
                    elif kind in CHOICE_KINDS:
                        cells[(answer.question_id, None)].append(
                            options.get(answer.option_id, ""))
                    elif kind == QuestionKind.SCALE:
                        cells[(answer.question_id, None)].append(str(answer.value))
                    else:
                        cells[(answer.question_id, None)].append(answer.text or "")
                # an unsigned evaluation: neither its time nor its language, which
                # could single out its trainee
                unsigned = anonymous and response.user_id is None
                yield ["" if unsigned else labels["when"](response.submitted_at),
                       "" if unsigned else response.language,
                       centre_names.get(response.centre_id, ""),
                       labels["types"].get(response.organisation_type.value, "")
                       if response.organisation_type else "",
                       response.organisation_name, response.settlement, response.county,
                       ", ".join(labels["roles"].get(r, r)
                                 for r in response.team_roles.split(",") if r),
                       *("; ".join(cells.get(column, [])) for column in columns)]

    return header, rows()


def export_order(survey: Survey, ids: list[int]) -> list[int]:
    """The order of a survey's responses in its exports: a needs survey's as they came
    (each row says when); a course evaluation's by a keyed hash of each id, the same
    at every download and unrelated to the order of answering, which the log tells."""
    if survey.kind != SurveyKind.EVALUATION:
        return ids
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return sorted(ids, key=lambda id_: hmac.new(
        secret, f"{survey.id}:{id_}".encode(), hashlib.sha256).digest())

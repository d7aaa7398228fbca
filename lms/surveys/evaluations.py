"""Course evaluations: when a run closes, the trainees who attended it are invited to
answer a copy of the evaluation template of the course's format; one response per
enrolment, anonymous unless the trainee signs it; one reminder; a closing date.

Anonymity: an unsigned response keeps no user, no enrolment and no time (the
evaluation's opening stands for it); the invitation says only that its trainee
answered. The log says who answered when, so nothing shown or exported follows the
order of answering: free-text answers are listed by their text, exports in an order
keyed by the application's secret (lms.surveys.results). Trainers read
their runs' results only once the evaluation has closed and at least MIN_ANSWERS
trainees answered, so that no one is recognised by their answers.
"""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from lms.audit.services import record_event
from lms.auth.models import User
from lms.clock import instant_at
from lms.courses.models import Course, Run
from lms.enrolment.models import Enrolment
from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import gettext as _
from lms.i18n import ngettext
from lms.notifications.services import notify
from lms.paging import Page, paginate
from lms.surveys.models import (
    LANGUAGES,
    EvaluationInvitation,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyKind,
    SurveyOption,
    SurveyQuestion,
    SurveyResponse,
    SurveySection,
    SurveyStatus,
)
from lms.surveys.results import Bar
from lms.surveys.services import ANSWERED, copy_questions, is_open
from lms.templating import format_day
from lms.trainers.models import TrainerAssignment
from lms.urls import public_url

FORMATS = ("long", "short")
MIN_ANSWERS = 5  # fewer answers are not shown to trainers (someone could be recognised)
SCALE_KINDS = (QuestionKind.SCALE, QuestionKind.GRID)


def format_of(course: Course) -> str:
    """A course's evaluation format: "short" up to 24 hours (the short standard format),
    "long" above (the 60-hour courses and any longer one)."""
    return "short" if course.total_hours <= 24 else "long"


# ---------------------------------------------------------------- templates


def _t(en: str, hu: str, bg: str) -> dict:
    return {"en": en, "hu": hu, "bg": bg}


DEFAULT_TITLE = _t("Course evaluation", "A képzés értékelése", "Оценка на обучението")
DEFAULT_INTRO = _t(
    "Thank you for taking part. Your answers are anonymous: trainers and reports never "
    "show your name, unless you choose to sign your answers.",
    "Köszönjük, hogy részt vett a képzésen. Válaszai névtelenek: a trénerek és a "
    "kimutatások sosem mutatják a nevét, hacsak Ön nem dönt úgy, hogy aláírja őket.",
    "Благодарим Ви за участието. Отговорите Ви са анонимни: обучителите и отчетите "
    "никога не показват името Ви, освен ако не решите да ги подпишете.")
ROWS = [
    _t("The content of the training", "A képzés tartalma", "Съдържанието на обучението"),
    _t("Its use in your work", "Hasznosíthatósága a munkájában",
       "Полезността му за работата Ви"),
    _t("The trainers' preparation", "A trénerek felkészültsége",
       "Подготовката на обучителите"),
    _t("The organisation and the venue", "A szervezés és a helyszín",
       "Организацията и мястото"),
    _t("The materials", "A képzési anyagok", "Учебните материали"),
]
LONG_ROWS = [_t("The balance of theory and practice", "Az elmélet és a gyakorlat aránya",
                "Съотношението между теория и практика")]


def default_questions(fmt: str) -> list[tuple[dict, list[tuple]]]:
    """The sections and questions of the default template of a format: (heading,
    [(kind, required, text, rows or options)])."""
    rows = ROWS + (LONG_ROWS if fmt == "long" else [])
    training = [
        (QuestionKind.GRID, True, _t("How satisfied are you with the following?",
                                     "Mennyire elégedett a következőkkel?",
                                     "Доколко сте удовлетворени от следното?"), rows),
        (QuestionKind.SCALE, True, _t("Overall, how would you rate the training?",
                                      "Összességében hogyan értékeli a képzést?",
                                      "Как оценявате обучението като цяло?"), []),
        (QuestionKind.SINGLE, False, _t("Would you recommend it to a colleague?",
                                        "Ajánlaná egy kollégájának?",
                                        "Бихте ли го препоръчали на колега?"),
         [_t("Yes", "Igen", "Да"), _t("Maybe", "Talán", "Може би"), _t("No", "Nem", "Не")]),
    ]
    comments = [
        (QuestionKind.LONG_TEXT, False, _t("What was the most useful?",
                                           "Mi volt a leghasznosabb?",
                                           "Кое беше най-полезно?"), []),
        (QuestionKind.LONG_TEXT, False, _t("What should we change?", "Min változtatna?",
                                           "Какво бихте променили?"), []),
    ]
    if fmt == "long":
        comments.append((QuestionKind.LONG_TEXT, False, _t(
            "On which topics would you like a follow-up training?",
            "Milyen témákban venne részt továbbképzésen?",
            "По кои теми бихте искали последващо обучение?"), []))
    return [(_t("The training", "A képzés", "Обучението"), training),
            (_t("Your comments", "Az Ön véleménye", "Вашите коментари"), comments)]


def templates() -> dict[str, Survey]:
    """The evaluation template of each format that has one (the newest not archived)."""
    found: dict[str, Survey] = {}
    for survey in db.session.scalars(
            sa.select(Survey).where(Survey.template_for.in_(FORMATS),
                                    Survey.status != SurveyStatus.ARCHIVED)
            .order_by(Survey.id.desc())):
        found.setdefault(survey.template_for, survey)
    return found


def create_template(fmt: str, now: datetime, by=None) -> Survey:
    """The default evaluation template of `fmt` ("long" or "short"), in English,
    Hungarian and Bulgarian, for administrators to change as they see fit."""
    if fmt not in FORMATS:
        raise DomainError(_("There is no such course format."))
    if fmt in templates():
        raise DomainError(_("This format has an evaluation template already."))
    survey = Survey(token=secrets.token_urlsafe(12), kind=SurveyKind.EVALUATION,
                    status=SurveyStatus.DRAFT, title=dict(DEFAULT_TITLE),
                    intro=dict(DEFAULT_INTRO), languages=",".join(LANGUAGES),
                    opens_at=now, closes_at=now + timedelta(days=1), template_for=fmt,
                    created_by_id=getattr(by, "id", None))
    db.session.add(survey)
    for position, (heading, questions) in enumerate(default_questions(fmt)):
        section = SurveySection(survey=survey, position=position, title=dict(heading))
        db.session.add(section)
        for number, (kind, required, text, options) in enumerate(questions):
            question = SurveyQuestion(survey=survey, section=section, position=number,
                                      kind=kind, required=required, text=dict(text))
            db.session.add(question)
            for index, label in enumerate(options):
                db.session.add(SurveyOption(question=question, position=index,
                                            label=dict(label)))
    db.session.flush()
    return survey


# ---------------------------------------------------------------- inviting


def evaluation_of(run: Run) -> Survey | None:
    """The run's evaluation (the newest version, if an administrator made another)."""
    return db.session.scalar(
        sa.select(Survey).where(Survey.run_id == run.id, Survey.kind == SurveyKind.EVALUATION)
        .order_by(Survey.id.desc()).limit(1))


def closing_instant(run: Run, now: datetime) -> datetime:
    """The end of the day EVALUATION_DAYS after `now`, at the run's centre."""
    closes_on = run.today(now) + timedelta(days=current_app.config["EVALUATION_DAYS"])
    return instant_at(closes_on + timedelta(days=1), time(0), run.zone)


def open_evaluation(run: Run, attendees: Iterable[Enrolment], now: datetime) -> Survey | None:
    """Make the run's evaluation (a copy of its format's template, open from `now`) and
    invite each trainee who attended, by e-mail and on their "My trainings" page. Once
    per run: a run with an evaluation, or with nobody who attended, gets none."""
    attendees = list(attendees)
    if not attendees or evaluation_of(run) is not None:
        return None
    fmt = format_of(run.course)
    template = templates().get(fmt) or create_template(fmt, now)
    survey = Survey(
        token=secrets.token_urlsafe(12), kind=SurveyKind.EVALUATION,
        status=SurveyStatus.PUBLISHED, languages=template.languages,
        title={code: f"{text}: {run.course.title}"[:300] for code, text in
               template.title.items()},
        intro=dict(template.intro), opens_at=now, closes_at=closing_instant(run, now),
        centre_id=run.centre_id, run_id=run.id, previous_id=template.id)
    db.session.add(survey)
    db.session.flush()
    copy_questions(template, survey)
    for enrolment in attendees:
        invitation = EvaluationInvitation(survey=survey, enrolment=enrolment,
                                          answer_key=secrets.token_urlsafe(24),
                                          invited_at=now, answered=False)
        db.session.add(invitation)
        db.session.flush()
        _tell(invitation, reminder=False)
    return survey


def _tell(invitation, reminder: bool) -> None:
    enrolment = invitation.enrolment
    run = enrolment.run
    survey = invitation.survey
    link = public_url("surveys.evaluate", key=invitation.answer_key)
    closing = last_day(survey, run)

    def render():
        facts = {"course": run.course.title, "centre": run.centre.name,
                 "day": format_day(closing), "link": link}
        subject = (_("Reminder: please evaluate %(course)s", **facts) if reminder
                   else _("Please evaluate %(course)s", **facts))
        opening = (_("You have not yet told us what you thought of %(course)s at "
                     "%(centre)s. The evaluation closes on %(day)s.", **facts) if reminder
                   else _("%(course)s at %(centre)s has ended. Please tell us what you "
                          "thought of it: your answers help the centre improve its "
                          "trainings. You can answer until %(day)s.", **facts))
        body = "\n\n".join([
            opening,
            _("Your answers are anonymous: trainers and reports never show your name, "
              "unless you choose to sign your answers."),
            _("Answer here (a few minutes): %(link)s", **facts),
        ])
        return subject, body

    notify(enrolment.user, "evaluation_reminder" if reminder else "evaluation_invitation",
           render, language=run.language, centre_id=run.centre_id)


def send_reminders(now: datetime) -> int:
    """Remind once, EVALUATION_REMINDER_DAYS before closing, each invited trainee who
    has not answered an open evaluation (invited at least a day before). Claimed with
    a conditional UPDATE, so two runs of the command never remind anyone twice."""
    days = current_app.config["EVALUATION_REMINDER_DAYS"]
    due = db.session.scalars(
        sa.select(EvaluationInvitation).join(EvaluationInvitation.survey).where(
            Survey.status == SurveyStatus.PUBLISHED, Survey.closes_at > now,
            Survey.closes_at <= now + timedelta(days=days),
            EvaluationInvitation.invited_at <= now - timedelta(days=1),
            EvaluationInvitation.answered.is_(False),
            EvaluationInvitation.reminded_at.is_(None))
        .options(joinedload(EvaluationInvitation.enrolment).joinedload(Enrolment.user))
        .order_by(EvaluationInvitation.id)).all()
    sent = 0
    for invitation in due:
        claimed = db.session.execute(
            sa.update(EvaluationInvitation).where(
                EvaluationInvitation.id == invitation.id,
                EvaluationInvitation.reminded_at.is_(None),
                EvaluationInvitation.answered.is_(False)).values(reminded_at=now)
            .execution_options(synchronize_session=False))
        if claimed.rowcount == 1:
            _tell(invitation, reminder=True)
            sent += 1
    db.session.flush()
    return sent


def close_due(now: datetime) -> int:
    """Close the evaluations whose closing date has passed (audited as a change)."""
    due = db.session.scalars(sa.select(Survey).where(
        Survey.kind == SurveyKind.EVALUATION, Survey.run_id.is_not(None),
        Survey.status == SurveyStatus.PUBLISHED, Survey.closes_at <= now)).all()
    for survey in due:
        survey.status = SurveyStatus.CLOSED
    db.session.flush()
    return len(due)


# ---------------------------------------------------------------- answering


def find_invitation(key: str):
    if not key or len(key) > 64:
        return None
    return db.session.scalar(
        sa.select(EvaluationInvitation).where(EvaluationInvitation.answer_key == key)
        .options(joinedload(EvaluationInvitation.enrolment).joinedload(Enrolment.run)))


def open_invitations(user: User, now: datetime) -> list:
    """The evaluations `user` is invited to and may still answer, for "My trainings"."""
    return list(db.session.scalars(
        sa.select(EvaluationInvitation).join(EvaluationInvitation.enrolment)
        .join(EvaluationInvitation.survey).where(
            Enrolment.user_id == user.id, EvaluationInvitation.answered.is_(False),
            Survey.status == SurveyStatus.PUBLISHED, Survey.opens_at <= now,
            Survey.closes_at > now)
        .options(joinedload(EvaluationInvitation.survey),
                 joinedload(EvaluationInvitation.enrolment).joinedload(Enrolment.run)
                 .joinedload(Run.course))
        .order_by(Survey.closes_at)))


def submit_evaluation(invitation, answers: list[SurveyAnswer], *, language: str,
                      signed: bool, now: datetime) -> SurveyResponse:
    """Record the trainee's one response. Unsigned, it keeps neither who answered nor
    when (the evaluation's opening stands for the time); the invitation is marked
    answered by a conditional UPDATE, so a second submission (even at the same instant)
    is refused. The log says only "answered"."""
    survey = invitation.survey
    if not is_open(survey, now):
        raise DomainError(_("This evaluation is not taking answers."))
    enrolment = invitation.enrolment
    claimed = db.session.execute(
        sa.update(EvaluationInvitation).where(
            EvaluationInvitation.id == invitation.id,
            EvaluationInvitation.answered.is_(False)).values(answered=True)
        .execution_options(synchronize_session=False, audit_actor_id=enrolment.user_id))
    if claimed.rowcount != 1:
        raise DomainError(_("You have already answered this survey. Thank you!"))
    if language not in survey.language_list:
        language = survey.language_list[0]
    # Unsigned, not even the day: the log says when each trainee answered, so a day
    # on which one answered would name them. The evaluation's opening stands instead.
    submitted = now if signed else survey.opens_at
    response = SurveyResponse(
        survey_id=survey.id, submitted_at=submitted, language=language,
        user_id=enrolment.user_id if signed else None,
        enrolment_id=enrolment.id if signed else None, centre_id=survey.centre_id)
    db.session.add(response)
    for answer in answers:
        answer.response = response
        db.session.add(answer)
    db.session.flush()
    record_event(ANSWERED, "Survey", survey.id, survey.title_in("en")[:300],
                 actor_id=enrolment.user_id)
    return response


# ---------------------------------------------------------------- reports


@dataclass
class Responses:
    """Trainees invited, how many answered, and the average of their 1–5 answers."""

    invited: int
    answered: int
    mean: float | None

    @property
    def rate(self) -> float:
        return round(100 * self.answered / self.invited, 1) if self.invited else 0.0


@dataclass
class EvaluationRow(Responses):
    """One run's evaluation in a report: response rate and average satisfaction."""

    survey: Survey
    run: Run

    def closed(self, now: datetime) -> bool:
        return is_closed(self.survey, now)

    @property
    def last_day(self):
        return last_day(self.survey, self.run)

    @property
    def chart_bar(self) -> Bar:
        """The run's average as a bar of a chart of satisfaction over time."""
        return Bar(f"{format_day(self.run.last_day)} · {self.run.course.title}"[:90],
                   self.mean or 0, 0.0)


def is_closed(survey: Survey, now: datetime) -> bool:
    return survey.status in (SurveyStatus.CLOSED, SurveyStatus.ARCHIVED) \
        or now >= survey.closes_at


def last_day(survey: Survey, run: Run):
    """The last day an evaluation takes answers, at the run's centre."""
    return (survey.closes_at - timedelta(seconds=1)).astimezone(run.zone).date()


def hidden_from_trainers(survey: Survey, run: Run, answered: int,
                         now: datetime) -> str | None:
    """Why a trainer may not read this evaluation's results yet; None when they may."""
    if not is_closed(survey, now):
        return _("The results are shown to trainers once the evaluation closes: its last "
                 "day is %(day)s.", day=format_day(last_day(survey, run)))
    if answered < MIN_ANSWERS:
        return ngettext("Only %(num)d trainee answered; results are shown to trainers from "
                        "%(min)d answers, so that no one can be recognised by their answers.",
                        "Only %(num)d trainees answered; results are shown to trainers from "
                        "%(min)d answers, so that no one can be recognised by their answers.",
                        answered, min=MIN_ANSWERS)
    return None


def evaluations_query(centre_id: int | None = None, course_id: int | None = None,
                      trainer_id: int | None = None) -> sa.Select:
    """The runs' evaluations (newest run first), narrowed to a centre, a course or the
    runs a trainer was assigned to."""
    stmt = (sa.select(Survey).join(Run, Run.id == Survey.run_id)
            .where(Survey.kind == SurveyKind.EVALUATION,
                   Survey.status != SurveyStatus.DRAFT)
            .order_by(Run.last_day.desc(), Survey.id.desc()))
    if centre_id is not None:
        stmt = stmt.where(Run.centre_id == centre_id)
    if course_id is not None:
        stmt = stmt.where(Run.course_id == course_id)
    if trainer_id is not None:
        stmt = stmt.where(Run.id.in_(sa.select(TrainerAssignment.run_id).where(
            TrainerAssignment.trainer_id == trainer_id)))
    return stmt


@dataclass
class CourseSummary(Responses):
    """A course's evaluations in all: how many runs were evaluated, and their answers."""

    runs: int


def run_evaluation_row(run: Run) -> EvaluationRow | None:
    """The run's evaluation with its response count and rate; None when it has none."""
    survey = evaluation_of(run)
    return evaluation_rows([survey])[0] if survey is not None else None


def course_summary(course_id: int, centre_id: int | None = None) -> CourseSummary:
    """A course's evaluated runs (those of `centre_id` when given): how many, invited,
    answered and the average of their 1–5 answers."""
    stmt = evaluations_query(centre_id, course_id=course_id)
    runs = db.session.scalar(sa.select(sa.func.count()).select_from(
        stmt.order_by(None).subquery())) or 0
    if not runs:
        return CourseSummary(invited=0, answered=0, mean=None, runs=0)
    invited, answered, mean = totals(stmt)
    return CourseSummary(invited=invited, answered=answered, mean=mean, runs=runs)


def evaluation_rows(surveys: list[Survey]) -> list[EvaluationRow]:
    """Rows for `surveys` (a page of them), in four queries whatever their number."""
    if not surveys:
        return []
    ids = [survey.id for survey in surveys]
    runs = {run.id: run for run in db.session.scalars(
        sa.select(Run).where(Run.id.in_([s.run_id for s in surveys]))
        .options(joinedload(Run.course), joinedload(Run.centre)))}
    invited = dict(db.session.execute(
        sa.select(EvaluationInvitation.survey_id, sa.func.count())
        .where(EvaluationInvitation.survey_id.in_(ids))
        .group_by(EvaluationInvitation.survey_id)).all())
    answered = dict(db.session.execute(
        sa.select(SurveyResponse.survey_id, sa.func.count())
        .where(SurveyResponse.survey_id.in_(ids)).group_by(SurveyResponse.survey_id)).all())
    means = satisfaction(ids)
    return [EvaluationRow(survey=survey, run=runs[survey.run_id],
                          invited=invited.get(survey.id, 0),
                          answered=answered.get(survey.id, 0), mean=means.get(survey.id))
            for survey in surveys]


def satisfaction(survey_ids: list[int]) -> dict[int, float]:
    """Per evaluation, the average of all its 1–5 answers (scales and grid rows)."""
    if not survey_ids:
        return {}
    rows = db.session.execute(
        sa.select(SurveyResponse.survey_id, sa.func.avg(SurveyAnswer.value))
        .join(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .where(SurveyResponse.survey_id.in_(survey_ids), SurveyAnswer.value.is_not(None),
               SurveyQuestion.kind.in_(SCALE_KINDS))
        .group_by(SurveyResponse.survey_id)).all()
    return {survey_id: round(float(mean), 2) for survey_id, mean in rows if mean is not None}


def totals(stmt: sa.Select) -> tuple[int, int, float | None]:
    """Across the evaluations `stmt` selects: invited, answered, and the average of all
    their 1–5 answers (three queries, whatever their number)."""
    ids = sa.select(stmt.order_by(None).subquery().c.id)
    invited = db.session.scalar(sa.select(sa.func.count(EvaluationInvitation.id)).where(
        EvaluationInvitation.survey_id.in_(ids)))
    answered = db.session.scalar(sa.select(sa.func.count(SurveyResponse.id)).where(
        SurveyResponse.survey_id.in_(ids)))
    mean = db.session.scalar(
        sa.select(sa.func.avg(SurveyAnswer.value))
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .where(SurveyResponse.survey_id.in_(ids), SurveyAnswer.value.is_not(None),
               SurveyQuestion.kind.in_(SCALE_KINDS)))
    return invited or 0, answered or 0, round(float(mean), 2) if mean is not None else None


def text_answers(survey: Survey, question: SurveyQuestion, number: int,
                 size: int) -> tuple[Page, dict[int, str]]:
    """A page of free-text answers (in the order of their texts: never the order they
    were given in, which the log could put names to) and, for signed responses only,
    the signer's name by answer id: an anonymous answer has no name to show."""
    page = paginate(
        sa.select(SurveyAnswer).join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey.id, SurveyAnswer.question_id == question.id,
               SurveyAnswer.text.is_not(None))
        .order_by(SurveyAnswer.text, SurveyAnswer.id), number, size)
    names = dict(db.session.execute(
        sa.select(SurveyAnswer.id, User.full_name)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(User, User.id == SurveyResponse.user_id)
        .where(SurveyAnswer.id.in_([answer.id for answer in page.items]))).all()) \
        if page.items else {}
    return page, names


def trainers_of(run_ids: list[int]) -> dict[int, list[User]]:
    """The trainers assigned to each run (in one query)."""
    found: dict[int, list[User]] = {}
    if not run_ids:
        return found
    for assignment in db.session.scalars(
            sa.select(TrainerAssignment).where(TrainerAssignment.run_id.in_(run_ids))
            .options(joinedload(TrainerAssignment.trainer)).order_by(TrainerAssignment.id)):
        found.setdefault(assignment.run_id, []).append(assignment.trainer)
    return found


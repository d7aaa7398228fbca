"""Surveys: training-needs surveys answered by provider organisations (public link), and
later course evaluations (a survey attached to a run, answered per enrolment).

A survey's texts (title, intro, sections, questions, options) are data in each
language it is offered in, kept as {"en": ..., "hu": ..., "bg": ...}. Once a survey has
a response its questions and options are frozen: a change is a new version (a copy as
a draft; the old one closes), so no answer ever points to a question reworded after it
was given. Surveys are archived, never deleted.
"""

import enum
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.db import str_enum
from lms.extensions import db

LANGUAGES = ("en", "hu", "bg")


class SurveyKind(enum.StrEnum):
    NEEDS = "needs"  # a training-needs survey, public
    EVALUATION = "evaluation"  # a course evaluation, for a run's trainees


class SurveyStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"  # answerable between its opening and closing
    CLOSED = "closed"
    ARCHIVED = "archived"


class QuestionKind(enum.StrEnum):
    SINGLE = "single"  # one option
    MULTIPLE = "multiple"  # any options
    SCALE = "scale"  # 1 to 5
    GRID = "grid"  # a 1-5 scale for each row (its options)
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"


CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
TEXT_KINDS = (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT)
SCALE_VALUES = (1, 2, 3, 4, 5)


class OrganisationType(enum.StrEnum):
    """The kinds of provider organisation a needs survey asks about (a fixed list, so
    that the results can be filtered by it)."""

    MUNICIPALITY = "municipality"
    STATE = "state"
    NGO = "ngo"
    CHURCH = "church"
    PRIVATE = "private"
    OTHER = "other"


class TeamRole(enum.StrEnum):
    SOCIAL_WORKER = "social_worker"
    CARER = "carer"
    PSYCHOLOGIST = "psychologist"
    EDUCATOR = "educator"
    MANAGER = "manager"
    VOLUNTEER = "volunteer"
    OTHER = "other"


def in_language(texts: dict | None, language: str) -> str:
    """A text in `language`, else in English, else in any language it has."""
    texts = texts or {}
    return texts.get(language) or texts.get("en") or next(
        (value for value in texts.values() if value), "")


class Survey(db.Model):
    """A survey: its kind, texts per offered language, when it is open (instants, from
    days at the network's wall clock), an optional centre and an optional run (a course
    evaluation). `token` makes its public address; `version` counts the copies made
    once it had answers (`previous_id` points to the one it replaced)."""

    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SurveyKind] = mapped_column(str_enum(SurveyKind, "survey_kind"), nullable=False)
    status: Mapped[SurveyStatus] = mapped_column(
        str_enum(SurveyStatus, "survey_status"), nullable=False, default=SurveyStatus.DRAFT)
    title: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    intro: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    # The languages it is offered in, e.g. "hu,en": each text must be given in each.
    languages: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="en")
    opens_at: Mapped[datetime] = mapped_column(nullable=False)
    closes_at: Mapped[datetime] = mapped_column(nullable=False)
    centre_id: Mapped[int | None] = mapped_column(sa.ForeignKey("centre.id"), nullable=True,
                                                  index=True)
    # A course evaluation's run; NULL for a needs survey.
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("run.id"), nullable=True,
                                               index=True)
    token: Mapped[str] = mapped_column(sa.String(40), nullable=False, unique=True)
    version: Mapped[int] = mapped_column(nullable=False, default=1)
    # The course format ("long" or "short") this evaluation is the template of: never
    # answered itself; each run's evaluation is a copy made when the run closes.
    template_for: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    previous_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey.id"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    centre: Mapped["Centre | None"] = relationship()  # noqa: F821
    sections: Mapped[list["SurveySection"]] = relationship(
        back_populates="survey", order_by="SurveySection.position")
    questions: Mapped[list["SurveyQuestion"]] = relationship(
        back_populates="survey", order_by="SurveyQuestion.position")

    @property
    def language_list(self) -> list[str]:
        return [code for code in self.languages.split(",") if code in LANGUAGES]

    def title_in(self, language: str) -> str:
        return in_language(self.title, language)

    def intro_in(self, language: str) -> str:
        return in_language(self.intro, language)

    def __repr__(self) -> str:
        return f"<Survey {self.id} v{self.version}>"


class SurveySection(db.Model):
    """A part of a survey with a heading; its questions are asked in their order."""

    __tablename__ = "survey_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id"), nullable=False,
                                           index=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    title: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)

    survey: Mapped[Survey] = relationship(back_populates="sections")
    questions: Mapped[list["SurveyQuestion"]] = relationship(
        back_populates="section", order_by="SurveyQuestion.position")

    def title_in(self, language: str) -> str:
        return in_language(self.title, language)


class SurveyQuestion(db.Model):
    """A question: its kind, text per language, whether it must be answered; the
    options of a choice question or the rows of a grid are its `options`. `topics`
    marks the multiple-choice question whose options are ranked by demand."""

    __tablename__ = "survey_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id"), nullable=False,
                                           index=True)
    section_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_section.id"), nullable=False,
                                            index=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    kind: Mapped[QuestionKind] = mapped_column(str_enum(QuestionKind, "question_kind"),
                                               nullable=False)
    text: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    required: Mapped[bool] = mapped_column(nullable=False, default=False)
    topics: Mapped[bool] = mapped_column(nullable=False, default=False)

    survey: Mapped[Survey] = relationship(back_populates="questions")
    section: Mapped[SurveySection] = relationship(back_populates="questions")
    options: Mapped[list["SurveyOption"]] = relationship(
        back_populates="question", order_by="SurveyOption.position")

    def text_in(self, language: str) -> str:
        return in_language(self.text, language)


class SurveyOption(db.Model):
    """An option of a choice question, or a row of a grid of scales."""

    __tablename__ = "survey_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_question.id"),
                                             nullable=False, index=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    label: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)

    question: Mapped[SurveyQuestion] = relationship(back_populates="options")

    def label_in(self, language: str) -> str:
        return in_language(self.label, language)


class SurveyResponse(db.Model):
    """One respondent's answers. Who answered is kept only as far as the survey needs:
    the organisation's name, type, settlement, county and the team's roles for a needs
    survey; the user (one response each) when logged in, else a hash of a random key
    held in the browser's cookie (one response per browser). Never an address."""

    __tablename__ = "survey_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id"), nullable=False,
                                           index=True)
    submitted_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    language: Mapped[str] = mapped_column(sa.String(5), nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), nullable=True)
    # A course evaluation's respondent (one response per enrolment); NULL otherwise.
    enrolment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrolment.id"),
                                                     nullable=True, unique=True)
    browser_key: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    centre_id: Mapped[int | None] = mapped_column(sa.ForeignKey("centre.id"), nullable=True)
    organisation_name: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    organisation_type: Mapped[OrganisationType | None] = mapped_column(
        str_enum(OrganisationType, "organisation_type"), nullable=True)
    settlement: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    county: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    team_roles: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")

    answers: Mapped[list["SurveyAnswer"]] = relationship(back_populates="response")

    __table_args__ = (
        sa.UniqueConstraint("survey_id", "user_id", name="uq_survey_response_survey_id_user_id"),
        sa.UniqueConstraint("survey_id", "browser_key",
                            name="uq_survey_response_survey_id_browser_key"),
    )


class SurveyAnswer(db.Model):
    """One answer: a chosen option (one row per option of a multiple choice), a scale
    value (with the row's option in a grid), or a text."""

    __tablename__ = "survey_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_response.id"),
                                             nullable=False, index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_question.id"),
                                             nullable=False, index=True)
    option_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_option.id"),
                                                  nullable=True)
    value: Mapped[int | None] = mapped_column(nullable=True)
    text: Mapped[str | None] = mapped_column(sa.Text, nullable=True)

    response: Mapped[SurveyResponse] = relationship(back_populates="answers")

    __table_args__ = (
        sa.CheckConstraint("value IS NULL OR value BETWEEN 1 AND 5", name="scale_range"),
    )


class EvaluationInvitation(db.Model):
    """A trainee invited to their run's evaluation: one per enrolment. `answer_key` makes
    the personal link (/e/<key>); `answered` says only that they answered, never which
    response is theirs (an anonymous response keeps no user and no enrolment)."""

    __tablename__ = "evaluation_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id"), nullable=False,
                                           index=True)
    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolment.id"), nullable=False,
                                              unique=True)
    answer_key: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    invited_at: Mapped[datetime] = mapped_column(nullable=False)
    reminded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    answered: Mapped[bool] = mapped_column(nullable=False, default=False)

    survey: Mapped[Survey] = relationship()
    enrolment: Mapped["Enrolment"] = relationship()  # noqa: F821

    @property
    def last_day(self) -> date:
        """The last day it may be answered, at the run's centre."""
        return (self.survey.closes_at - timedelta(seconds=1)).astimezone(
            self.enrolment.run.zone).date()

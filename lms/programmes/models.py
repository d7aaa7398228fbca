"""Funding programmes (who pays for runs, what they print, what they expect back) and
the participant data they ask at enrolment."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from lms.clock import utcnow
from lms.db import str_enum
from lms.extensions import db


class Programme(db.Model):
    """A funding programme (ESF+, the Swiss-Bulgarian cooperation programme, a national
    one): its code and funder, its period, the acknowledgement its runs' certificates
    and sign-in sheets print in each language, and the targets its report is measured
    against. A run belongs to at most one programme. Never deleted: ended or wrongly
    made ones are marked inactive."""

    __tablename__ = "programme"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(60), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    funder: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    starts_on: Mapped[date] = mapped_column(nullable=False)
    ends_on: Mapped[date] = mapped_column(nullable=False)
    acknowledgement_hu: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")
    acknowledgement_bg: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")
    acknowledgement_en: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")
    # Whether enrolling in its runs asks the data the ESF+ common indicators need.
    asks_participant_data: Mapped[bool] = mapped_column(nullable=False, default=False)
    # Targets; NULL: the programme sets none.
    target_participants: Mapped[int | None] = mapped_column(nullable=True)
    target_completions: Mapped[int | None] = mapped_column(nullable=True)
    target_hours: Mapped[int | None] = mapped_column(nullable=True)
    target_long_runs: Mapped[int | None] = mapped_column(nullable=True)  # 60-hour trainings
    target_short_runs: Mapped[int | None] = mapped_column(nullable=True)  # 24-hour trainings
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    def acknowledgement(self, language: str) -> str:
        """The acknowledgement in `language`, else in English, else in any language given."""
        texts = {"hu": self.acknowledgement_hu, "bg": self.acknowledgement_bg,
                 "en": self.acknowledgement_en}
        return texts.get(language) or texts["en"] or texts["hu"] or texts["bg"]

    def __repr__(self) -> str:
        return f"<Programme {self.code}>"


class Gender(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"
    UNDISCLOSED = "undisclosed"  # "prefer not to say"


class LabourStatus(enum.StrEnum):
    """The ESF+ common output indicators' labour-market status at entry."""

    EMPLOYED = "employed"  # self-employed included
    UNEMPLOYED = "unemployed"
    LONG_TERM_UNEMPLOYED = "long_term_unemployed"
    INACTIVE = "inactive"


class Education(enum.StrEnum):
    """The highest education attained, in ISCED 2011 levels as the indicators group them."""

    ISCED_0_2 = "isced_0_2"
    ISCED_3_4 = "isced_3_4"
    ISCED_5_8 = "isced_5_8"


class Answer(enum.StrEnum):
    YES = "yes"
    NO = "no"
    UNDISCLOSED = "undisclosed"


# The optional, sensitive questions (special categories of personal data): asked only
# with an explicit consent, each with "prefer not to say".
SENSITIVE = ("disability", "foreign_background", "minority", "homeless", "rural")


class ParticipantData(db.Model):
    """What a trainee answered, at enrolment in a run of a programme that asks it, for
    the ESF+ common output indicators (Regulation (EU) 2021/1057, Annex I). One row per
    enrolment, as answered at entry; changed later only with a reason (the audit log
    keeps each version). The sensitive answers are NULL unless the consent was given;
    the consent's wording, language and moment are kept with them."""

    __tablename__ = "participant_data"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrolment.id"), unique=True, nullable=False
    )
    gender: Mapped[Gender] = mapped_column(str_enum(Gender, "participant_gender"),
                                           nullable=False)
    birth_year: Mapped[int] = mapped_column(nullable=False)
    labour_status: Mapped[LabourStatus] = mapped_column(
        str_enum(LabourStatus, "participant_labour_status"), nullable=False)
    education: Mapped[Education] = mapped_column(
        str_enum(Education, "participant_education"), nullable=False)
    sensitive_consent: Mapped[bool] = mapped_column(nullable=False, default=False)
    consent_text: Mapped[str] = mapped_column(sa.String(2000), nullable=False, default="")
    consent_language: Mapped[str] = mapped_column(sa.String(5), nullable=False, default="")
    consent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    disability: Mapped[Answer | None] = mapped_column(
        str_enum(Answer, "disability_answer"), nullable=True)
    foreign_background: Mapped[Answer | None] = mapped_column(
        str_enum(Answer, "foreign_background_answer"), nullable=True)
    minority: Mapped[Answer | None] = mapped_column(
        str_enum(Answer, "minority_answer"), nullable=True)
    homeless: Mapped[Answer | None] = mapped_column(
        str_enum(Answer, "homeless_answer"), nullable=True)
    rural: Mapped[Answer | None] = mapped_column(
        str_enum(Answer, "rural_answer"), nullable=True)
    answered_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(nullable=True)

    enrolment: Mapped["Enrolment"] = relationship(  # noqa: F821
        backref=backref("participant_data", uselist=False))

    __table_args__ = (
        sa.CheckConstraint("birth_year BETWEEN 1900 AND 2200", name="birth_year_range"),
    )

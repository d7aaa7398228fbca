"""The indicator report of a funding programme: who took part (the ESF+ common output
indicators, each broken down by gender), how many hours were delivered, how many
completed, against the programme's targets.

Counted from the registers, so the numbers reconcile with them: a participant is a
trainee holding a place (enrolled) in one of the programme's runs who attended at
least one minute of a session in the period; hours delivered are the minutes attended
in the period's sessions; completions are the enrolments of runs closed as completed,
among those runs whose last session falls in the period. A person is counted once,
however many trainings they took, with their first answers in the programme. A fixed
number of queries, whatever the programme holds.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from lms.attendance.models import AttendanceMark
from lms.certificates.models import Certificate, CertificateStatus
from lms.courses.models import Centre, Course, Run, RunStatus, Session, minutes_to_hours
from lms.enrolment.models import Enrolment, EnrolmentState, Outcome
from lms.extensions import db
from lms.i18n import lazy_gettext as _l
from lms.programmes.models import (
    SENSITIVE,
    Answer,
    Education,
    Gender,
    LabourStatus,
    ParticipantData,
    Programme,
)

GENDERS = [(Gender.FEMALE, _l("Women")), (Gender.MALE, _l("Men")),
           (Gender.NON_BINARY, _l("Non-binary")), (Gender.UNDISCLOSED, _l("Not told")),
           (None, _l("No answers"))]
LONG_HOURS, SHORT_HOURS = 60, 24


@dataclass(frozen=True)
class Filters:
    """What part of the programme the report covers; None: all of it."""

    since: date | None = None
    until: date | None = None
    centre_id: int | None = None
    county: str | None = None
    course_hours: int | None = None  # the course format: 60 or 24


@dataclass
class Row:
    """One value of an indicator: how many participants gave it, by gender."""

    label: str
    by_gender: dict[Gender | None, int]

    @property
    def total(self) -> int:
        return sum(self.by_gender.values())


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row]


@dataclass
class Target:
    label: str
    target: int | None
    actual: Decimal | int

    @property
    def percent(self) -> int | None:
        return int(Decimal(self.actual) * 100 / self.target) if self.target else None


@dataclass
class IndicatorReport:
    programme: Programme
    filters: Filters
    runs: int
    long_runs: int
    short_runs: int
    participants: Row
    sections: list[Section]
    hours_delivered: Decimal
    completions: int
    certificates: int
    targets: list[Target] = field(default_factory=list)

    @property
    def answered(self) -> int:
        """How many of the participants counted gave the programme's answers."""
        return self.participants.total - self.participants.by_gender.get(None, 0)


def _age_group(data: ParticipantData) -> str:
    """The age group at entry (when the answers were given), as the indicators count it."""
    age = data.answered_at.year - data.birth_year
    return "under_18" if age < 18 else "18_29" if age < 30 else "55_plus" if age >= 55 \
        else "30_54"


def _runs(programme: Programme, filters: Filters) -> list[tuple[int, int]]:
    """(run id, course hours) of the programme's runs in scope."""
    stmt = (sa.select(Run.id, Course.total_hours).join(Run.course).join(Run.centre)
            .where(Run.programme_id == programme.id,
                   Run.status.in_((RunStatus.PUBLISHED, RunStatus.CLOSED))))
    if filters.centre_id is not None:
        stmt = stmt.where(Run.centre_id == filters.centre_id)
    if filters.county:
        stmt = stmt.where(Centre.region == filters.county)
    if filters.course_hours is not None:
        stmt = stmt.where(Course.total_hours == filters.course_hours)
    sessions = sa.select(Session.id).where(Session.run_id == Run.id)
    if filters.since is not None:
        sessions = sessions.where(Session.date >= filters.since)
    if filters.until is not None:
        sessions = sessions.where(Session.date <= filters.until)
    return db.session.execute(stmt.where(sessions.exists()).order_by(Run.id)).all()


def _in_period(stmt, filters: Filters):
    if filters.since is not None:
        stmt = stmt.where(Session.date >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(Session.date <= filters.until)
    return stmt


def indicator_report(programme: Programme, filters: Filters) -> IndicatorReport:
    runs = _runs(programme, filters)
    run_ids = [run_id for run_id, _hours in runs]
    # Minutes attended in the period, per enrolment holding a place (as the register).
    attended = dict(db.session.execute(_in_period(
        sa.select(AttendanceMark.enrolment_id, sa.func.sum(AttendanceMark.minutes))
        .join(AttendanceMark.session).join(Enrolment, Enrolment.id == AttendanceMark.enrolment_id)
        .where(Session.run_id.in_(run_ids), Enrolment.state == EnrolmentState.ENROLLED)
        .group_by(AttendanceMark.enrolment_id), filters)).all())
    present = [enrolment_id for enrolment_id, minutes in attended.items() if minutes > 0]
    # Each participant once: their first answers in the programme (any of its runs).
    enrolments = db.session.execute(
        sa.select(Enrolment.id, Enrolment.user_id).where(Enrolment.id.in_(present))).all()
    users = {user_id for _id, user_id in enrolments}
    answers: dict[int, ParticipantData] = {}
    for data, user_id in db.session.execute(
            sa.select(ParticipantData, Enrolment.user_id).join(ParticipantData.enrolment)
            .join(Enrolment.run)
            .where(Run.programme_id == programme.id, Enrolment.user_id.in_(users))
            .order_by(ParticipantData.answered_at, ParticipantData.id)):
        answers.setdefault(user_id, data)
    completions = db.session.scalar(
        sa.select(sa.func.count(Enrolment.id)).join(Enrolment.run)
        .where(Enrolment.run_id.in_(_closed_in_period(run_ids, filters)),
               Enrolment.outcome == Outcome.COMPLETED)) or 0
    certificates = db.session.scalar(
        sa.select(sa.func.count(Certificate.id)).join(Certificate.enrolment)
        .where(Enrolment.run_id.in_(_closed_in_period(run_ids, filters)),
               Certificate.status == CertificateStatus.VALID)) or 0
    hours = minutes_to_hours(sum(attended.values()))
    everyone = Counter(answers[u].gender if u in answers else None for u in users)
    report = IndicatorReport(
        programme=programme, filters=filters, runs=len(runs),
        long_runs=sum(1 for _id, h in runs if h == LONG_HOURS),
        short_runs=sum(1 for _id, h in runs if h == SHORT_HOURS),
        participants=Row(str(_l("Participants")),
                         {gender: everyone[gender] for gender, _label in GENDERS}),
        sections=_sections(users, answers),
        hours_delivered=hours, completions=completions, certificates=certificates)
    report.targets = [
        Target(str(_l("Participants")), programme.target_participants, len(users)),
        Target(str(_l("Completions")), programme.target_completions, completions),
        Target(str(_l("Hours delivered")), programme.target_hours, hours),
        Target(str(_l("60-hour trainings")), programme.target_long_runs, report.long_runs),
        Target(str(_l("24-hour trainings")), programme.target_short_runs, report.short_runs),
    ]
    return report


def _closed_in_period(run_ids: list[int], filters: Filters):
    """The closed runs among `run_ids` whose last session falls in the period."""
    last = (sa.select(Session.run_id).where(Session.run_id.in_(run_ids))
            .group_by(Session.run_id))
    if filters.since is not None:
        last = last.having(sa.func.max(Session.date) >= filters.since)
    if filters.until is not None:
        last = last.having(sa.func.max(Session.date) <= filters.until)
    return sa.select(Run.id).where(Run.id.in_(last), Run.status == RunStatus.CLOSED)


def _count(users, answers, value_of) -> dict[str, dict[Gender | None, int]]:
    """value -> gender -> participants; those who gave no answers under "missing"."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for user_id in users:
        data = answers.get(user_id)
        value = value_of(data) if data is not None else "missing"
        counts[value][data.gender if data is not None else None] += 1
    return {value: {gender: counter[gender] for gender, _label in GENDERS}
            for value, counter in counts.items()}


def _sections(users, answers) -> list[Section]:
    def section(key, title, values, value_of):
        counts = _count(users, answers, value_of)
        empty = {gender: 0 for gender, _label in GENDERS}
        rows = [Row(str(label), counts.get(value, empty)) for value, label in values]
        if "missing" in counts:
            rows.append(Row(str(_l("No answers")), counts["missing"]))
        return Section(key, str(title), rows)

    yes_no = [(Answer.YES.value, _l("Yes")), (Answer.NO.value, _l("No")),
              (Answer.UNDISCLOSED.value, _l("Not told")),
              # no consent given, or withdrawn (the answers then erased) or erased with
              # the person's data: counted as not answered, never as "no"
              ("no_consent", _l("Not answered (no consent, or withdrawn)"))]
    sections = [
        section("age", _l("Age at entry"), [
            ("under_18", _l("Under 18")), ("18_29", _l("18–29")), ("30_54", _l("30–54")),
            ("55_plus", _l("55 and over"))], _age_group),
        section("labour_status", _l("Labour-market status"), [
            (LabourStatus.EMPLOYED.value, _l("Employed, including self-employed")),
            (LabourStatus.UNEMPLOYED.value, _l("Unemployed, of whom not long-term")),
            (LabourStatus.LONG_TERM_UNEMPLOYED.value, _l("Long-term unemployed")),
            (LabourStatus.INACTIVE.value, _l("Inactive"))], lambda d: d.labour_status.value),
        section("education", _l("Education"), [
            (Education.ISCED_0_2.value, _l("ISCED 0–2")),
            (Education.ISCED_3_4.value, _l("ISCED 3–4")),
            (Education.ISCED_5_8.value, _l("ISCED 5–8"))], lambda d: d.education.value),
    ]
    titles = {"disability": _l("Participants with disabilities"),
              "foreign_background": _l("Participants of foreign background"),
              "minority": _l("Participants from minorities (including the Roma)"),
              "homeless": _l("Homeless participants or excluded from housing"),
              "rural": _l("Participants from rural areas")}
    for name in SENSITIVE:
        sections.append(section(name, titles[name], yes_no, lambda d, name=name: (
            getattr(d, name).value if getattr(d, name) is not None else "no_consent")))
    return sections

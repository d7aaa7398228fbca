"""Fixtures shared by the whole suite.

`TEST_DATABASE_URL` switches every test to another database (PostgreSQL in CI);
by default each run uses a fresh SQLite file. The schema is made once; after
each test every table is emptied, so tests never see each other's rows.
"""

import io
import os
import re
import tempfile
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pypdf
import pytest
import sqlalchemy as sa
import time_machine
from flask.testing import FlaskClient
from flask_migrate import stamp
from icalendar import Calendar

os.environ["LMS_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="lms-test-instance-")

# The whole suite runs on a clock that starts at one fixed moment and then moves
# on as usual: no rule is ever judged by the real date, so a test passes or fails
# the same on any day (including those of a DST change). Started here, before the
# test modules are imported, so that their module-level dates are on it too.
# Tests about a particular moment travel further (`time_machine.travel`).
FROZEN_AT = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # a Wednesday: 10:00 in Budapest
_clock = time_machine.travel(FROZEN_AT, tick=True)
_clock.start()
BUDAPEST, SOFIA = ZoneInfo("Europe/Budapest"), ZoneInfo("Europe/Sofia")


def at(day: date, clock: time = time(12), where: ZoneInfo = BUDAPEST) -> datetime:
    """The instant (aware UTC) a wall clock at `where` shows `clock` on `day`."""
    return datetime.combine(day, clock, tzinfo=where).astimezone(UTC)


from lms import create_app  # noqa: E402
from lms.attendance.models import AttendanceStatus  # noqa: E402
from lms.attendance.services import MarkInput, close_run, mark_session  # noqa: E402
from lms.auth import services as accounts  # noqa: E402
from lms.auth.models import Role  # noqa: E402
from lms.calendars.services import feed_token, start_feed  # noqa: E402
from lms.certificates.models import Certificate  # noqa: E402
from lms.certificates.services import issue_certificate, issue_transcript  # noqa: E402
from lms.clock import utcnow  # noqa: E402
from lms.courses import services as courses  # noqa: E402
from lms.courses.models import CourseStatus  # noqa: E402
from lms.enrolment.services import enrol  # noqa: E402
from lms.evidence.services import upload_signed_sheet  # noqa: E402
from lms.extensions import db as _db  # noqa: E402
from lms.jobs.models import ExportJob, JobKind  # noqa: E402
from lms.notifications.ics import PRODID  # noqa: E402
from lms.notifications.models import Notification  # noqa: E402
from lms.privacy.models import RequestKind  # noqa: E402
from lms.privacy.services import file_request  # noqa: E402
from lms.programmes.models import (  # noqa: E402
    Education,
    Gender,
    LabourStatus,
    ParticipantData,
)
from lms.programmes.services import save_programme  # noqa: E402
from lms.surveys import services as surveys  # noqa: E402
from lms.surveys.models import (  # noqa: E402
    EvaluationInvitation,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyKind,
    SurveyQuestion,
)
from lms.trainers.models import TrainerRole  # noqa: E402
from lms.trainers.services import assign_trainer  # noqa: E402

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    elif _is_postgres(url):
        # A throwaway database of our own on that server: whatever tables
        # `TEST_DATABASE_URL`'s database holds (another branch's schema, a
        # crashed run) can neither break this run nor be destroyed by it.
        with _scratch_postgres_database(url) as scratch_url:
            yield scratch_url
    else:
        yield url


@contextmanager
def _scratch_postgres_database(url: str):
    server = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"forras_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def _is_postgres(url: str) -> bool:
    return url.startswith("postgres")


@pytest.fixture(scope="session")
def _schema(database_url):
    app = create_app(_test_config(database_url))
    with app.app_context():
        _db.drop_all()
        with _db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        _db.create_all()
        stamp()  # at the migrations' head, as a migrated database is (see /healthz)
        _db.engine.dispose()
    yield


def _test_config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        # Fast hashing in tests; production's work factor is checked in tests/auth.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SERVER_NAME": "localhost",
        # E-mailed links (lms.urls.public_url) point at the test client's host.
        "PUBLIC_BASE_URL": "http://localhost",
    }


class Client(FlaskClient):
    """A test client that posts forms the way a browser does, CSRF token included.

    Each request runs in its own application context, as in production: `g`
    and the database session are not shared with the test or other requests.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def csrf_token(self, page: str) -> str:
        html = self.get(page).get_data(as_text=True)
        match = CSRF_RE.search(html)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def submit(self, url: str, data: dict | None = None, page: str | None = None, **kwargs):
        """POST `data` to `url` with the CSRF token read from `page` (default: `url`)."""
        data = dict(data or {})
        data["csrf_token"] = self.csrf_token(page or url)
        return self.post(url, data=data, **kwargs)


@pytest.fixture
def app(database_url, _schema):
    app = create_app(_test_config(database_url))
    app.test_client_class = Client
    with app.app_context():
        yield app
        _db.session.remove()
        tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
        with _db.engine.begin() as conn:
            if _is_postgres(database_url):
                conn.execute(
                    sa.text(
                        "TRUNCATE "
                        + ", ".join(f'"{t}"' for t in tables)
                        + " RESTART IDENTITY CASCADE"
                    )
                )
            else:
                for table in tables:
                    conn.execute(sa.text(f'DELETE FROM "{table}"'))
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


class AuthActions:
    """Logs in through the real login form (flaskr's helper)."""

    def __init__(self, client: Client):
        self._client = client

    def login(self, user_or_email, password: str = PASSWORD, **kwargs):
        email = getattr(user_or_email, "email", user_or_email)
        return self._client.submit("/login", {"email": email, "password": password}, **kwargs)

    def logout(self):
        return self._client.submit("/logout", page="/")


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


# ---------------------------------------------------------------- factories

_serial = count(1)


@pytest.fixture
def make_user(db):
    def make(
        role: Role | str = Role.TRAINEE,
        email: str | None = None,
        password: str = PASSWORD,
        full_name: str | None = None,
        **profile,
    ):
        n = next(_serial)
        user = accounts.create_user(
            email or f"user{n}@example.org",
            password,
            full_name or f"Test User {n}",
            Role(role),
            **profile,
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_centre(db):
    def make(**fields):
        n = next(_serial)
        values = {
            "name": f"Centre {n}",
            "city": f"City {n}",
            "region": "Region",
            "country": "HU",
            "address": "",
            "signatory_name": "",
            "signatory_title": "",
            "serial_prefix": "C" + "".join(chr(65 + int(d)) for d in str(n)),
            "active": True,
        }
        values.update(fields)
        centre = courses.save_centre(None, **values)
        db.session.commit()
        return centre

    return make


@pytest.fixture
def make_course(db):
    def make(total_hours: int = 24, modules=None, status=CourseStatus.PUBLISHED, **fields):
        n = next(_serial)
        values = {
            "code": f"C-{n}",
            "title": f"Course {n}",
            "summary": f"Summary of course {n}",
            "description": "",
            "total_hours": total_hours,
            "target_group": "",
            "accreditation_number": "",
            "credit_points": None,
            "language": "hu",
        }
        values.update(fields)
        course = courses.save_course(None, modules or [], **values)
        courses.set_course_status(course, status)
        db.session.commit()
        return course

    return make


def session_plan(total_hours: int, start: date, hours_each: int = 6):
    """Sessions of `hours_each` hours on consecutive days adding up to `total_hours`."""
    plan, remaining, day = [], total_hours, start
    while remaining > 0:
        hours = min(hours_each, remaining)
        plan.append((day, time(9, 0), time(9 + hours, 0), hours * 60))
        remaining -= hours
        day += timedelta(days=1)
    return plan


@pytest.fixture
def make_run(db, make_centre, make_course):
    def make(
        course=None,
        centre=None,
        publish: bool = True,
        start: date | None = None,
        sessions=None,
        **fields,
    ):
        course = course or make_course()
        centre = centre or make_centre()
        if start is None:
            start = sessions[0][0] if sessions else date.today() + timedelta(days=30)
        values = {
            "capacity": 20,
            "venue": "Main hall",
            "enrolment_opens": None,
            "enrolment_closes": start - timedelta(days=2),
        }
        values.update(fields)
        run = courses.save_run(None, course, centre, **values)
        if sessions is None:
            sessions = session_plan(course.total_hours, start)
        for day, starts, ends, minutes in sessions:
            courses.save_session(
                run,
                None,
                day=day,
                starts_at=starts,
                ends_at=ends,
                minutes=minutes,
                topic=f"Topic {day}",
            )
        if publish:
            courses.publish_run(run)
        db.session.commit()
        return run

    return make


# ---------------------------------------------------------------- query counting


@contextmanager
def count_queries(engine):
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def query_counter(db):
    return lambda: count_queries(db.engine)


# ---------------------------------------------------------------- a world with every role


def tiny_pdf(width: int = 200) -> bytes:
    """A valid one-page PDF (a different width gives different bytes)."""
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=width, height=100)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()



@pytest.fixture
def make_programme(db):
    counter = iter(range(1, 10_000))

    def make(**fields):
        n = next(counter)
        values = dict(
            code=f"TÁMOP-5.1.3-09/{n}", name=f"Programme {n}", funder="Európai Szociális Alap",
            starts_on=date(2026, 1, 1), ends_on=date(2028, 12, 31),
            acknowledgement_hu="A képzés az Európai Szociális Alap támogatásával valósult meg.",
            acknowledgement_bg="Обучението се провежда с подкрепата на Европейския социален фонд.",
            acknowledgement_en="The training is supported by the European Social Fund.",
            asks_participant_data=True, target_participants=None, target_completions=None,
            target_hours=None, target_long_runs=None, target_short_runs=None, active=True,
        )
        values.update(fields)
        programme = save_programme(None, **values)
        db.session.commit()
        return programme

    return make


@pytest.fixture
def world(db, make_user, make_course, make_run, make_programme, make_survey):
    users = {role: make_user(role=Role(role)) for role in ("trainee", "trainer", "admin")}
    run = make_run(publish=False)
    published = make_run()
    approval = make_run(approval_required=True)
    now = utcnow()
    own = enrol(users["trainee"], published, now)
    other = enrol(make_user(), published, now)
    pending = enrol(make_user(), approval, now)
    assignment = assign_trainer(published, users["trainer"], TrainerRole.LEAD)
    foreign = make_run()  # published, taught by somebody else
    foreign_trainer = make_user(role=Role.TRAINER)
    assign_trainer(foreign, foreign_trainer, TrainerRole.LEAD)
    start_feed(users["trainee"])
    sheet = upload_signed_sheet(published.sessions[0], tiny_pdf(), "sheet.pdf",
                                users["trainer"], now)
    # someone else's answers to a programme's questions, given with the consent
    answers = ParticipantData(enrolment=other, gender=Gender.FEMALE, birth_year=1980,
                              labour_status=LabourStatus.EMPLOYED, education=Education.ISCED_5_8,
                              sensitive_consent=True, consent_text="I agree", consent_at=now)
    db.session.add(answers)
    # an export the world's administrator asked for, not made yet
    job = ExportJob(kind=JobKind.AUDIT_CSV, requested_by_id=users["admin"].id, parameters={})
    db.session.add(job)
    # a rectification asked by the world's trainee, waiting in the queue
    data_request = file_request(users["trainee"], RequestKind.RECTIFICATION,
                                "My name is misspelt.", now)
    # an erasure asked by someone with no training yet
    erasure_request = file_request(make_user(), RequestKind.ERASURE, "", now)
    db.session.commit()
    # a published needs survey with one answer, and a draft
    survey = make_survey()
    single = next(q for q in survey.questions if q.kind == QuestionKind.SINGLE)
    surveys.submit_response(survey, [SurveyAnswer(question_id=single.id,
                                                  option_id=single.options[0].id)],
                            surveys.Respondent(organisation_type="ngo", county="Pest"),
                            language="en", now=now, browser_key="world")
    draft_survey = make_survey(publish=False)
    db.session.commit()
    return {
        "users": users,
        "ids": {
            "course_code": make_run().course.code,
            "draft_course_code": make_course(status=CourseStatus.DRAFT).code,
            "course_id": run.course.id,
            "centre_id": run.centre.id,
            "run_id": run.id,
            "session_id": run.sessions[0].id,
            "trainee_id": users["trainee"].id,
            "trainer_id": users["trainer"].id,
            "foreign_trainer_id": foreign_trainer.id,
            "published_run_id": published.id,
            "own_enrolment_id": own.id,
            "other_enrolment_id": other.id,
            "pending_enrolment_id": pending.id,
            "published_session_id": published.sessions[0].id,
            "assignment_id": assignment.id,
            "bad_token": "not-a-token",
            "feed_token": feed_token(users["trainee"]),
            "foreign_run_id": foreign.id,
            "foreign_session_id": foreign.sessions[0].id,
            "signed_sheet_id": sheet.id,
            "programme_id": make_programme().id,
            "participant_data_id": answers.id,
            "export_job_id": job.id,
            "privacy_request_id": data_request.id,
            "erasure_request_id": erasure_request.id,
            "survey_id": survey.id,
            "survey_section_id": survey.sections[0].id,
            "survey_question_id": survey.questions[0].id,
            "text_question_id": next(q.id for q in survey.questions
                                     if q.kind == QuestionKind.LONG_TEXT),
            "survey_option_id": single.options[0].id,
            "survey_token": survey.token,
            "draft_survey_token": draft_survey.token,
            # the news of the world's trainee's enrolment, still in the outbox
            "notification_id": db.session.scalar(
                sa.select(Notification.id)
                .where(Notification.user_id == users["trainee"].id)
                .order_by(Notification.id)
                .limit(1)
            ),
        },
    }


CERTIFICATE_IDS = (
    "closed_run_id",
    "other_completed_id",
    "certificate_id",
    "other_certificate_id",
    "certificate_code",
    "evaluation_key",
    "evaluation_text_question_id",
)


@pytest.fixture
def certificate_world(db, world, make_user, make_course, make_run):
    """A closed run of an accredited course: the world's trainee and another hold
    certificates, a third completed."""
    day = date.today() - timedelta(days=3)
    course = make_course(total_hours=6, accreditation_number="T-02-017/2026", credit_points=6)
    run = make_run(course=course, sessions=[(day, time(9), time(15), 360)])
    admin = world["users"]["admin"]
    before = at(day - timedelta(days=5), time(8))
    people = [world["users"]["trainee"], make_user(), make_user()]
    enrolments = [enrol(person, run, before, by=admin) for person in people]
    mark_session(
        run.sessions[0],
        [MarkInput(e.id, AttendanceStatus.PRESENT) for e in enrolments],
        admin,
        run.sessions[0].ends,
    )
    close_run(run, admin)
    own = issue_certificate(enrolments[0], admin, date.today())
    other = issue_certificate(enrolments[1], admin, date.today())
    db.session.commit()
    world["ids"].update(
        closed_run_id=run.id,
        other_completed_id=enrolments[2].id,
        certificate_id=own.id,
        other_certificate_id=other.id,
        certificate_code=own.verification_code,
        # closing the run invited its trainees to evaluate it
        evaluation_key=db.session.scalar(
            sa.select(EvaluationInvitation.answer_key)
            .where(EvaluationInvitation.enrolment_id == enrolments[0].id)),
        evaluation_text_question_id=db.session.scalar(
            sa.select(SurveyQuestion.id).join(Survey, Survey.id == SurveyQuestion.survey_id)
            .where(Survey.run_id == run.id, SurveyQuestion.kind == QuestionKind.LONG_TEXT)
            .limit(1)),
    )
    return world


TRANSCRIPT_IDS = ("transcript_id", "other_transcript_id")


@pytest.fixture
def transcript_world(db, certificate_world):
    """The world's trainee and another certificate holder have each issued a transcript."""
    world = certificate_world
    owners = [world["users"]["trainee"],
              db.session.get(Certificate, world["ids"]["other_certificate_id"]).enrolment.user]
    own, other = (issue_transcript(user, "en", utcnow(), date.today()) for user in owners)
    db.session.commit()
    world["ids"].update(transcript_id=own.id, other_transcript_id=other.id)
    return world


@pytest.fixture
def closed_run(db, make_user, make_centre, make_course, make_run):
    """A closed 24-hour Razgrad-style run: who attended 24 h, 21.75 h and 18 h."""

    def build(
        style="razgrad",
        language="bg",
        names=("Мария Петрова", "Szőke Tünde", "Иван Георгиев"),
        trainer=None,
        programme=None,
    ):
        day = date.today() - timedelta(days=10)
        run = make_run(
            course=make_course(total_hours=24, title="Работа със семейства в риск"),
            centre=make_centre(serial_prefix="RAZ", city="Разград"),
            certificate_style=style,
            language=language,
            funding_note="Швейцарско-българска програма за сътрудничество",
            sessions=[(day + timedelta(days=i), time(9), time(15), 360) for i in range(4)],
            programme_id=programme.id if programme else None,
        )
        admin = make_user(role="admin")
        if trainer is not None:
            assign_trainer(run, trainer, TrainerRole.LEAD)
        before = at(day - timedelta(days=5), time(8))
        enrolments = [enrol(make_user(full_name=name), run, before, by=admin) for name in names]
        # who attended 24 h, 21.75 h and 18 h; anyone further attended all 24 h
        attended = [(360, 360, 360, 360), (360, 360, 360, 225), (360, 360, 360, 0)]
        attended += [(360, 360, 360, 360)] * (len(names) - 3)
        for index, session in enumerate(run.sessions):
            items = []
            for enrolment, minutes in zip(enrolments, attended, strict=False):
                m = minutes[index]
                items.append(
                    MarkInput(enrolment.id, AttendanceStatus.PRESENT)
                    if m == 360
                    else MarkInput(enrolment.id, AttendanceStatus.LATE, m)
                    if m
                    else MarkInput(enrolment.id, AttendanceStatus.ABSENT)
                )
            mark_session(session, items, admin, session.ends)
        close_run(run, admin)
        db.session.commit()
        return run, admin, enrolments

    return build


# ---------------------------------------------------------------- calendars


def parse_ics(text: str):
    """An .ics file parsed back with icalendar, after the checks every calendar program
    makes: CRLF line endings only, VERSION 2.0, our PRODID."""
    assert "\r\n" in text and "\n" not in text.replace("\r\n", ""), "lines must end in CRLF"
    calendar = Calendar.from_ical(text)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == PRODID
    return calendar


# ---------------------------------------------------------------- surveys


def survey_texts(text: str, languages=("en", "hu")) -> dict:
    return {code: f"{text} [{code}]" for code in languages}


@pytest.fixture
def make_survey(db):
    """A needs survey offered in English and Hungarian with a question of every kind
    (the multiple choice lists training topics), published and open for a month."""
    def make(centre=None, publish: bool = True, languages=("en", "hu"), **fields):
        now = utcnow()
        survey = surveys.save_survey(
            None, kind=fields.get("kind", SurveyKind.NEEDS), languages=list(languages),
            title=survey_texts(fields.get("title", "Training needs 2027"), languages),
            intro=survey_texts("Tell us what your team needs", languages),
            opens_at=fields.get("opens_at", now - timedelta(days=1)),
            closes_at=fields.get("closes_at", now + timedelta(days=30)), centre=centre)
        section = survey.sections[0]

        def add(kind, text, options=(), required=False, topics=False):
            return surveys.save_question(
                survey, None, section=section, kind=kind, required=required, topics=topics,
                text=survey_texts(text, languages),
                options={code: [f"{o} [{code}]" for o in options] for code in languages})

        add(QuestionKind.SINGLE, "Size of your team", ["1-5", "6-20", "more"], required=True)
        add(QuestionKind.MULTIPLE, "Topics you need", ["Debt advice", "Case work",
                                                        "Community work"], topics=True)
        add(QuestionKind.SCALE, "How much do you need training")
        add(QuestionKind.GRID, "Rate these formats", ["60-hour", "24-hour"])
        add(QuestionKind.SHORT_TEXT, "Best time of year")
        add(QuestionKind.LONG_TEXT, "Anything else")
        if publish:
            surveys.publish_survey(survey)
        db.session.commit()
        return survey

    return make

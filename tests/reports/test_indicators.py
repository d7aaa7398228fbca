"""The indicator report of a programme, built from factories and checked cell by cell
against the registers it is counted from."""

import io
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from lms.attendance.models import AttendanceStatus
from lms.attendance.services import MarkInput, mark_session, register
from lms.auth.models import User
from lms.certificates import services as certificates
from lms.clock import utcnow
from lms.enrolment.models import Enrolment
from lms.enrolment.services import enrol
from lms.privacy.erasure import carry_out_erasure
from lms.privacy.models import RequestKind
from lms.privacy.services import file_request
from lms.programmes.models import Gender, ParticipantData
from lms.programmes.services import record_participant_data, withdraw_consent
from lms.reports.indicators import Filters, indicator_report
from tests.conftest import at

UNTIL = date(2100, 12, 31)  # far enough for every session the factories plan
NOT_ANSWERED = "Not answered (no consent, or withdrawn)"


def row(section, label):
    found = [r for r in section.rows if r.label == label]
    assert found, (label, [r.label for r in section.rows])
    return found[0].by_gender


def cells(by_gender):
    """(women, men, non-binary, not told, no answers)"""
    return tuple(by_gender[g] for g in (Gender.FEMALE, Gender.MALE, Gender.NON_BINARY,
                                        Gender.UNDISCLOSED, None))


@pytest.fixture
def programme_world(db, closed_run, make_programme, make_run, make_course, make_centre,
                    make_user):
    """A programme with a closed 24-hour run (Mária 24 h, Tünde 21.75 h, Iván 18 h: the
    first two complete) and a 60-hour run under way where Mária attended 6 hours; and
    a run of no programme, whose hours must not count."""
    programme = make_programme(target_participants=10, target_completions=4, target_hours=100,
                               target_long_runs=1, target_short_runs=2)
    short, admin, (maria, tunde, ivan) = closed_run(language="hu", programme=programme,
                                                    names=("Kiss Mária", "Szőke Tünde",
                                                           "Nagy Iván"))
    now = utcnow()
    record_participant_data(maria, {
        "gender": "female", "birth_year": 1990, "labour_status": "employed",
        "education": "isced_5_8", "sensitive_consent": True, "minority": "yes"}, "hu", now)
    record_participant_data(tunde, {
        "gender": "female", "birth_year": 1960, "labour_status": "unemployed",
        "education": "isced_3_4", "sensitive_consent": False}, "hu", now)
    certificates.issue_all(short, admin, date.today())
    day = date.today() - timedelta(days=2)
    long = make_run(course=make_course(total_hours=60), centre=make_centre(region="Heves"),
                    programme_id=programme.id,
                    sessions=[(day + timedelta(days=i), time(9), time(15), 360)
                              for i in range(10)])
    again = enrol(maria.user, long, at(day - timedelta(days=5), time(8)), by=admin)
    mark_session(long.sessions[0], [MarkInput(again.id, AttendanceStatus.PRESENT)], admin,
                 long.sessions[0].ends)
    other = make_run(course=make_course(total_hours=6), sessions=[(day, time(9), time(15), 360)])
    stranger = enrol(make_user(), other, at(day - timedelta(days=5), time(8)), by=admin)
    mark_session(other.sessions[0], [MarkInput(stranger.id, AttendanceStatus.PRESENT)], admin,
                 other.sessions[0].ends)
    db.session.commit()
    return programme, short, long


def test_every_cell_reconciles_with_the_registers(db, programme_world):
    programme, short, long = programme_world
    report = indicator_report(programme, Filters(until=UNTIL))
    assert (report.runs, report.short_runs, report.long_runs) == (2, 1, 1)
    attended = sum(r.attended for run in (short, long) for r in register(run).rows)
    assert report.hours_delivered == Decimal(attended) / 60 == Decimal("69.75")
    assert (report.completions, report.certificates) == (2, 2)
    # Mária once, though in two runs; Iván gave no answers (enrolled before they were asked).
    assert cells(report.participants.by_gender) == (2, 0, 0, 0, 1)
    sections = {s.key: s for s in report.sections}
    assert cells(row(sections["age"], "30–54")) == (1, 0, 0, 0, 0)
    assert cells(row(sections["age"], "55 and over")) == (1, 0, 0, 0, 0)
    assert cells(row(sections["age"], "Under 18")) == (0, 0, 0, 0, 0)
    assert cells(row(sections["age"], "No answers")) == (0, 0, 0, 0, 1)
    assert cells(row(sections["labour_status"], "Employed, including self-employed")) \
        == (1, 0, 0, 0, 0)
    assert cells(row(sections["labour_status"], "Unemployed, of whom not long-term")) \
        == (1, 0, 0, 0, 0)
    assert cells(row(sections["labour_status"], "Long-term unemployed")) == (0, 0, 0, 0, 0)
    assert cells(row(sections["education"], "ISCED 5–8")) == (1, 0, 0, 0, 0)
    assert cells(row(sections["education"], "ISCED 3–4")) == (1, 0, 0, 0, 0)
    assert cells(row(sections["minority"], "Yes")) == (1, 0, 0, 0, 0)
    assert cells(row(sections["minority"], NOT_ANSWERED)) == (1, 0, 0, 0, 0)
    assert cells(row(sections["disability"], "Not told")) == (1, 0, 0, 0, 0)  # consent, no answer
    assert cells(row(sections["disability"], "Yes")) == (0, 0, 0, 0, 0)
    for section in report.sections:  # every section counts every participant once
        assert sum(r.total for r in section.rows) == 3, section.key
    targets = {t.label: (t.target, t.actual, t.percent) for t in report.targets}
    assert targets == {"Participants": (10, 3, 30), "Completions": (4, 2, 50),
                       "Hours delivered": (100, Decimal("69.75"), 69),
                       "60-hour trainings": (1, 1, 100), "24-hour trainings": (2, 1, 50)}


def test_filters_narrow_the_report(db, programme_world):
    programme, short, long = programme_world
    at_centre = indicator_report(programme, Filters(until=UNTIL, centre_id=short.centre_id))
    assert (at_centre.runs, at_centre.participants.total, at_centre.hours_delivered) \
        == (1, 3, Decimal("63.75"))
    sixty = indicator_report(programme, Filters(until=UNTIL, course_hours=60))
    assert (sixty.runs, sixty.participants.total, sixty.hours_delivered, sixty.completions) \
        == (1, 1, Decimal(6), 0)
    heves = indicator_report(programme, Filters(until=UNTIL, county="Heves"))
    assert heves.runs == 1 and heves.participants.total == 1
    before = indicator_report(programme, Filters(until=short.sessions[0].date
                                                 - timedelta(days=1)))
    assert (before.runs, before.participants.total, before.completions) == (0, 0, 0)


def test_the_page_the_workbook_and_the_pdf_say_the_same(client, auth, make_user,
                                                        programme_world):
    programme, _short, _long = programme_world
    auth.login(make_user(role="admin"))
    query = f"?until={UNTIL.isoformat()}"
    page = client.get(f"/manage/programmes/{programme.id}/report{query}").get_data(as_text=True)
    assert "69,75" in page or "69.75" in page
    assert '<svg class="chart" role="img" aria-labelledby="title-minority"' in page
    assert '<table class="table" id="section-minority">' in page
    book = load_workbook(io.BytesIO(client.get(
        f"/manage/programmes/{programme.id}/report.xlsx{query}").data))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert ("Participants", 3) in [r[:2] for r in rows] and ("Completions", 2) in [
        r[:2] for r in rows]
    assert ("Participants", 10, 3, 30) in rows  # the target, what is reached, percent
    indicators = list(book.worksheets[1].iter_rows(values_only=True))
    assert ("Participants", None, 2, 0, 0, 0, 1, 3) in indicators
    pdf = client.get(f"/manage/programmes/{programme.id}/report.pdf{query}")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
                    .split())
    assert programme.code in text and "Participants from minorities" in text


def test_hostile_filters_are_named_not_fatal(client, auth, make_user, programme_world):
    programme, _short, _long = programme_world
    auth.login(make_user(role="admin"))
    for query in ("since=9999-99-99", "until=0001-01-01", "since=2027-05-01&until=2026-01-01",
                  "centre=99999999999999", "format=NaN", "county=%00", "since=%00"):
        response = client.get(f"/manage/programmes/{programme.id}/report?{query}")
        assert response.status_code in (200, 400), query


def test_a_centre_administrator_sees_only_their_centre(client, auth, db, make_user,
                                                       programme_world):
    programme, _short, long = programme_world
    scoped = make_user(role="admin")
    scoped.centre_id = long.centre_id
    db.session.commit()
    auth.login(scoped)
    page = client.get(f"/manage/programmes/{programme.id}/report?until={UNTIL.isoformat()}"
                      f"&centre=").get_data(as_text=True)
    assert long.centre.name in page and 'name="centre"' not in page
    book = load_workbook(io.BytesIO(client.get(
        f"/manage/programmes/{programme.id}/report.xlsx?until={UNTIL.isoformat()}").data))
    rows = [r[:2] for r in book.worksheets[0].iter_rows(values_only=True)]
    assert ("Participants", 1) in rows and ("Participants", 3) not in rows


def test_the_report_costs_the_same_queries_for_a_bigger_programme(
        client, auth, db, make_user, make_run, query_counter, programme_world):
    programme, _short, _long = programme_world
    auth.login(make_user(role="admin"))

    def count() -> int:
        with query_counter() as queries:
            assert client.get(f"/manage/programmes/{programme.id}/report").status_code == 200
        return len(queries)

    few = count()
    for _ in range(4):
        run = make_run(programme_id=programme.id)
        for _ in range(3):
            enrol(make_user(), run, utcnow())
    db.session.commit()
    assert count() == few


@pytest.mark.parametrize("asks", [True, False])
def test_a_programme_without_answers_says_why_instead_of_empty_tables(
        client, auth, db, closed_run, make_programme, make_user, asks):
    programme = make_programme(asks_participant_data=asks)
    closed_run(language="hu", programme=programme)
    auth.login(make_user(role="admin"))
    query = f"?until={UNTIL.isoformat()}"
    page = client.get(f"/manage/programmes/{programme.id}/report{query}").get_data(as_text=True)
    assert 'id="no-answers"' in page and 'id="section-minority"' not in page
    said = ("has answered the programme's questions" if asks
            else "does not ask its participants the questions")
    assert said in page.replace("&#39;", "'")
    pdf = client.get(f"/manage/programmes/{programme.id}/report.pdf{query}")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
                    .split())
    assert said in text and "Participants from minorities" not in text


@pytest.mark.parametrize("how", ["withdrawal", "erasure"])
def test_withdrawn_or_erased_optional_answers_count_as_not_answered(db, programme_world,
                                                                      make_user, how):
    programme, short, _long = programme_world
    maria = db.session.scalar(sa.select(Enrolment).join(Enrolment.user).where(
        Enrolment.run_id == short.id, User.full_name == "Kiss Mária"))
    data = db.session.scalar(sa.select(ParticipantData).where(
        ParticipantData.enrolment_id == maria.id))
    if how == "withdrawal":
        withdraw_consent(data, utcnow())
    else:
        erasure = file_request(maria.user, RequestKind.ERASURE, "", utcnow())
        carry_out_erasure(erasure, make_user(role="admin"), utcnow())
    db.session.commit()
    assert (data.sensitive_consent, data.minority) == (False, None)
    sections = {s.key: s for s in indicator_report(programme, Filters(until=UNTIL)).sections}
    assert cells(row(sections["minority"], "Yes")) == (0, 0, 0, 0, 0)
    assert cells(row(sections["minority"], NOT_ANSWERED)) == (2, 0, 0, 0, 0)
    assert cells(row(sections["age"], "30–54")) == (1, 0, 0, 0, 0)  # the core answers stay

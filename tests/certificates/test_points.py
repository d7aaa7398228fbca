"""Continuing-training points per training period (Hungary)."""

import io
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from lms.attendance.models import AttendanceStatus
from lms.attendance.services import MarkInput, close_run, mark_session
from lms.auth.models import User
from lms.certificates.models import Certificate, CertificateStatus, Transcript
from lms.certificates.points import points_by_period
from lms.certificates.services import issue_certificate
from lms.enrolment.services import enrol
from tests.conftest import at

START, END = date(2024, 3, 1), date(2028, 2, 29)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def certificate(last_day: date, points: int | None = 10, number: str = "T-02-041/2026",
                status: CertificateStatus = CertificateStatus.VALID) -> Certificate:
    """A certificate as issued: only its status and frozen facts count."""
    return Certificate(serial=f"BUD-{last_day.year}-{last_day.toordinal() % 10000:04d}",
                       status=status,
                       facts={"course": f"Course of {last_day}", "last_day": last_day.isoformat(),
                              "accreditation_number": number, "credit_points": points})


def person(start: date | None = START, end: date | None = END) -> User:
    return User(training_period_start=start, training_period_end=end)


def table(periods) -> list[tuple]:
    return [(p.start, p.end, p.current, p.points) for p in periods]


def test_a_run_ending_on_the_first_day_of_the_period_counts_in_it_the_day_before_not():
    periods = points_by_period(person(), [certificate(START, 5),
                                          certificate(START - timedelta(days=1), 7)])
    assert table(periods) == [
        (date(2020, 3, 1), date(2024, 2, 29), False, 7),
        (START, END, True, 5),
    ]


def test_a_run_ending_on_the_last_day_of_the_period_counts_in_it_the_day_after_not():
    periods = points_by_period(person(), [certificate(END, 5),
                                          certificate(END + timedelta(days=1), 16)])
    assert table(periods) == [
        (START, END, True, 5),
        (date(2028, 3, 1), date(2032, 2, 29), False, 16),
    ]


def test_several_periods_add_up_separately_and_the_current_one_shows_even_when_empty():
    certificates = [certificate(date(2017, 5, 2), 30), certificate(date(2019, 6, 1), 10),
                    certificate(date(2021, 11, 30), 40), certificate(date(2023, 1, 20), 16)]
    assert table(points_by_period(person(), certificates)) == [
        (date(2016, 3, 1), date(2020, 2, 29), False, 40),
        (date(2020, 3, 1), date(2024, 2, 29), False, 56),
        (START, END, True, 0),
    ]


def test_revoked_and_not_accredited_certificates_earn_no_points():
    certificates = [
        certificate(date(2025, 1, 10), 40, status=CertificateStatus.REVOKED),
        certificate(date(2025, 1, 10), 40, status=CertificateStatus.SUPERSEDED),
        certificate(date(2025, 2, 10), 16, number=""),  # no accreditation number
        certificate(date(2025, 3, 10), None),  # accredited without points
        certificate(date(2025, 4, 10), 24),
    ]
    [period] = points_by_period(person(), certificates)
    assert period.points == 24
    assert [c.facts["last_day"] for c in period.certificates] == ["2025-04-10"]


def test_no_period_recorded_gives_one_line_with_every_accredited_certificate():
    certificates = [certificate(date(2012, 1, 1), 20), certificate(date(2026, 5, 5), 8),
                    certificate(date(2026, 6, 6), 9, number="")]
    assert table(points_by_period(person(None, None), certificates)) == [
        (None, None, False, 28)]
    assert points_by_period(person(None, None), [certificate(date(2026, 6, 6), 9, number="")]) \
        == []


def test_a_period_without_an_end_lasts_four_years_less_a_day():
    open_ended = person(date(2025, 7, 1), None)
    assert table(points_by_period(open_ended, [certificate(date(2029, 6, 30), 3),
                                               certificate(date(2029, 7, 1), 4)])) == [
        (date(2025, 7, 1), date(2029, 6, 30), True, 3),
        (date(2029, 7, 1), date(2033, 6, 30), False, 4),
    ]


@pytest.fixture
def accredited_certificate(db, make_user, make_course, make_run):
    """A certificate of an accredited 6-hour course whose run ended three days ago, held
    by someone whose training period began this year."""
    day = date.today() - timedelta(days=3)
    course = make_course(total_hours=6, accreditation_number="T-02-058/2026", credit_points=12,
                         title="Adósságkezelési tanácsadás")
    run = make_run(course=course, sessions=[(day, time(9), time(15), 360)],
                   certificate_style="tanusitvany")
    admin = make_user(role="admin")
    holder = make_user(full_name="Szőke Tünde", locale="hu")
    holder.register_number = "H-028876"
    holder.training_period_start = date(date.today().year, 1, 1)
    enrolment = enrol(holder, run, at(day - timedelta(days=5), time(8)), by=admin)
    mark_session(run.sessions[0], [MarkInput(enrolment.id, AttendanceStatus.PRESENT)], admin,
                 run.sessions[0].ends)
    close_run(run, admin)
    issued = issue_certificate(enrolment, admin, date.today())
    db.session.commit()
    return holder, issued


def test_the_certificate_freezes_the_holders_number_and_period_and_prints_the_number(
        db, accredited_certificate):
    holder, issued = accredited_certificate
    start = holder.training_period_start
    assert issued.facts["holder_register_number"] == "H-028876"
    assert issued.facts["holder_training_period"] == {"start": start.isoformat(), "end": None}
    assert "Működési nyilvántartási szám: H-028876" in pdf_text(issued.pdf)
    holder.register_number = "H-999999"
    db.session.commit()
    db.session.refresh(issued)
    assert issued.facts["holder_register_number"] == "H-028876"


def test_the_trainee_sees_the_points_of_the_period_on_the_page_and_the_transcript(
        client, auth, db, accredited_certificate):
    holder, _issued = accredited_certificate
    auth.login(holder)
    page = client.get("/my/").get_data(as_text=True)
    assert "Továbbképzési pontok" in page  # in the language of her profile
    assert "T-02-058/2026" in page and '<td class="num">12</td>' in page
    client.submit("/my/transcripts")  # an issued transcript keeps the points in its facts
    transcript = db.session.scalars(sa.select(Transcript)).one()
    [period] = [p for p in transcript.facts["points_periods"] if p["points"]]
    assert period["points"] == 12 and period["current"]
    text = pdf_text(client.get(f"/my/transcripts/{transcript.id}.pdf").data)
    assert "Továbbképzési pontok" in text
    assert "T-02-058/2026" in text and "12" in text.split("Továbbképzési pontok", 1)[1]

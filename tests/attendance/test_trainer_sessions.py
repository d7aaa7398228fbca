"""The trainer's "My sessions" page: what is ahead, and the past a page at a time."""

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from lms.attendance.models import AttendanceStatus
from lms.attendance.services import MarkInput, mark_session
from lms.attendance.trainer_sessions import PAST_PAGE_SIZE
from lms.courses.services import cancel_run
from lms.enrolment.services import enrol
from lms.evidence.services import upload_signed_sheet
from lms.trainers.models import TrainerAssignment, TrainerRole
from lms.trainers.services import assign_trainer, remove_assignment
from tests.conftest import at, tiny_pdf

TODAY = date.today()


def section(html: str, heading: str) -> str:
    return html.split(f'id="{heading}"')[1].split("</section>")[0]


def rows(html: str, heading: str) -> int:
    return section(html, heading).count("<tr") - 1  # the header row


@pytest.fixture
def trainer(make_user):
    return make_user(role="trainer")


@pytest.fixture
def teach(db, trainer, make_course, make_run):
    """Runs of one 6-hour session taught by the trainer, `days` from today."""
    course = make_course(total_hours=6)

    def make(days: int, **kwargs):
        day = TODAY + timedelta(days=days)
        run = make_run(course=course, sessions=[(day, time(9), time(15), 360)], **kwargs)
        assign_trainer(run, trainer, TrainerRole.LEAD)
        db.session.commit()
        return run

    return make


def test_the_page_costs_the_same_for_3_runs_and_for_45(client, auth, trainer, teach,
                                                        query_counter):
    auth.login(trainer)
    taught = [teach(2), teach(-3), teach(-10)]

    def get(url: str = "/trainer/sessions") -> tuple[str, int]:
        with query_counter() as statements:
            response = client.get(url)
        assert response.status_code == 200
        return response.get_data(as_text=True), len(statements)

    html, few = get()
    assert rows(html, "upcoming-heading") == 1 and rows(html, "past-heading") == 2
    assert "Earlier sessions" not in html
    while len(taught) < 45:
        taught.append(teach(-11 - len(taught)))
    html, many = get()
    assert many == few
    assert rows(html, "past-heading") == PAST_PAGE_SIZE and "Page 1 of 3" in html
    assert 'href="/trainer/sessions?page=2#past-heading"' in html
    last, on_last = get("/trainer/sessions?page=3")
    assert on_last == few
    assert rows(last, "past-heading") == 44 - 2 * PAST_PAGE_SIZE and "Page 3 of 3" in last
    # Latest first: the oldest session is on the last page only.
    oldest = taught[-1].sessions[0].id
    assert f"/sessions/{oldest}/attendance" in last
    assert f"/sessions/{oldest}/attendance" not in html
    # The runs listed are those of the sessions shown, not the trainer's whole history.
    assert html.count('class="calendar-link"') == 1 + PAST_PAGE_SIZE


def test_only_the_trainers_own_sessions_are_listed(db, client, auth, trainer, teach,
                                                   make_user, make_course, make_run):
    mine = teach(3)
    removed = teach(4)
    remove_assignment(
        db.session.scalar(sa.select(TrainerAssignment).where(TrainerAssignment.run_id
                                                             == removed.id)),
        make_user(role="admin"),
    )
    cancelled = teach(5)
    cancel_run(cancelled, make_user(role="admin"), "Trainer ill")
    days = [(TODAY + timedelta(days=7 + n), time(9), time(15), 360) for n in range(2)]
    narrowed = make_run(course=make_course(total_hours=12), sessions=days)
    assign_trainer(narrowed, trainer, TrainerRole.CO_TRAINER, sessions=[narrowed.sessions[1]])
    teach_other = make_run(course=make_course(total_hours=6),
                           sessions=[(TODAY + timedelta(days=2), time(9), time(15), 360)])
    assign_trainer(teach_other, make_user(role="trainer"), TrainerRole.LEAD)
    db.session.commit()
    auth.login(trainer)
    html = section(client.get("/trainer/sessions").get_data(as_text=True), "upcoming-heading")
    listed = {s.id for run in (mine, removed, cancelled, narrowed, teach_other)
              for s in run.sessions if f"/sessions/{s.id}/attendance" in html}
    assert listed == {mine.sessions[0].id, narrowed.sessions[1].id}


def test_past_sessions_filter_to_those_to_mark_or_without_a_sheet(
        db, client, auth, trainer, teach, make_user):
    admin = make_user(role="admin")
    marked_run, unmarked_run, quiet_run = teach(-2), teach(-4), teach(-6)
    entries = [enrol(make_user(), run, at(TODAY - timedelta(days=20), time(8)), by=admin)
               for run in (marked_run, unmarked_run)]
    entry = marked_run.sessions[0]
    mark_session(entry, [MarkInput(entries[0].id, AttendanceStatus.PRESENT)], admin, entry.ends)
    upload_signed_sheet(quiet_run.sessions[0], tiny_pdf(), "sheet.pdf", admin, entry.ends)
    db.session.commit()
    auth.login(trainer)
    html = client.get("/trainer/sessions").get_data(as_text=True)
    assert "1 past session is still to mark." in html
    assert "2 past sessions have no signed sign-in sheet." in html
    to_mark = client.get("/trainer/sessions?show=unmarked").get_data(as_text=True)
    assert rows(to_mark, "past-heading") == 1
    to_mark = section(to_mark, "past-heading")
    assert f"/sessions/{unmarked_run.sessions[0].id}/attendance" in to_mark
    assert to_mark.count("Not marked") == 1
    assert f"/sessions/{marked_run.sessions[0].id}/" not in to_mark
    sheetless = section(client.get("/trainer/sessions?show=sheetless").get_data(as_text=True),
                        "past-heading")
    assert f"/sessions/{quiet_run.sessions[0].id}/" not in sheetless
    assert sheetless.count("Signed sheet missing") == 2


@pytest.mark.parametrize("query", ["page=abc", "page=-3", "page=99999999999999999999",
                                   "page=1e9", "show=everything", "show=", "page=7&show=nope"])
def test_a_page_or_filter_it_cannot_show_is_the_first_or_last(client, auth, trainer, teach,
                                                              query):
    teach(-3)
    auth.login(trainer)
    response = client.get(f"/trainer/sessions?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert rows(html, "past-heading") == 1 and 'id="past-heading">Past sessions<' in html


def test_upcoming_sessions_come_a_page_at_a_time(client, auth, trainer, teach, monkeypatch):
    monkeypatch.setattr("lms.attendance.trainer_sessions.UPCOMING_PAGE_SIZE", 2)
    runs = [teach(days) for days in (1, 2, 3)]
    auth.login(trainer)
    first = client.get("/trainer/sessions").get_data(as_text=True)
    assert rows(first, "upcoming-heading") == 2
    assert 'href="/trainer/sessions?ahead=2#upcoming-heading"' in first
    assert f"/sessions/{runs[2].sessions[0].id}/attendance" not in first
    later = client.get("/trainer/sessions?ahead=2").get_data(as_text=True)
    assert rows(later, "upcoming-heading") == 1 and "Sooner sessions" in later
    assert f"/sessions/{runs[2].sessions[0].id}/attendance" in later
    assert rows(client.get("/trainer/sessions?ahead=x").get_data(as_text=True),
                "upcoming-heading") == 2

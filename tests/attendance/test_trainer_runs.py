"""The trainer's "My runs" page, and "to mark" listing only what the viewer can mark."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from lms.attendance.models import AttendanceMark, AttendanceStatus
from lms.attendance.services import MarkInput, mark_session
from lms.attendance.trainer_runs import RUNS_PAGE_SIZE, trainer_runs
from lms.attendance.trainer_sessions import trainer_sessions
from lms.clock import utcnow
from lms.courses.models import Run, RunStatus, Session
from lms.enrolment.models import Enrolment
from lms.enrolment.services import enrol
from lms.evidence.services import upload_signed_sheet
from lms.extensions import db as database
from lms.trainers.models import TrainerAssignment, TrainerRole
from lms.trainers.services import assign_trainer
from tests.conftest import at, tiny_pdf

# Frozen: a Wednesday at noon in Budapest, well away from any DST change.
NOW = datetime(2026, 3, 11, 11, 0, tzinfo=UTC)
TODAY = date(2026, 3, 11)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def trainer(make_user):
    return make_user(role="trainer", full_name="Tóth Tímea")


@pytest.fixture
def admin(make_user):
    return make_user(role="admin")


@pytest.fixture
def teach(db, trainer, admin, make_course, make_run, make_user):
    """A run of 6-hour sessions on the given days from today, taught by the trainer,
    with `trainees` enrolled trainees."""

    def make(days, trainees: int = 1, by=None, **kwargs):
        course = make_course(total_hours=6 * len(days))
        plan = [(TODAY + timedelta(days=d), time(9), time(15), 360) for d in days]
        run = make_run(course=course, sessions=plan, **kwargs)
        assign_trainer(run, by or trainer, TrainerRole.LEAD)
        before = at(plan[0][0] - timedelta(days=30), time(8))
        for number in range(trainees):
            enrol(make_user(full_name=f"Trainee {run.id}-{number}"), run, before, by=admin)
        db.session.commit()
        return run

    return make


def enrolments_of(run) -> list[Enrolment]:
    return list(database.session.scalars(sa.select(Enrolment).where(Enrolment.run_id == run.id)
                                   .order_by(Enrolment.id)))


def run_section(html: str, run) -> str:
    return html.split(f'id="run-{run.id}"')[1].split("</section>")[0]


def test_my_runs_costs_the_same_for_2_runs_and_for_a_page_of_many(
        db, client, auth, trainer, admin, teach, query_counter, frozen):
    auth.login(trainer)

    def get(url: str = "/trainer/runs") -> tuple[str, int]:
        with query_counter() as statements:
            response = client.get(url)
        assert response.status_code == 200
        return response.get_data(as_text=True), len(statements)

    runs = [teach([-3, 2], trainees=2), teach([-20], trainees=1)]
    session = runs[0].sessions[0]
    mark_session(session, [MarkInput(e.id, AttendanceStatus.PRESENT)
                           for e in enrolments_of(runs[0])], admin, session.ends)
    upload_signed_sheet(session, tiny_pdf(), "sheet.pdf", admin, session.ends)
    db.session.commit()
    html, few = get()
    assert html.count('class="run-summary"') == 2
    assert html.count("<tr>") - html.count("<thead><tr>") == 3  # one row a trainee
    for number in range(RUNS_PAGE_SIZE + 3):
        run = teach([-30 - 2 * number, -29 - 2 * number], trainees=6)
        session = run.sessions[0]
        mark_session(session, [MarkInput(e.id, AttendanceStatus.LATE, 180)
                               for e in enrolments_of(run)], admin, session.ends)
        upload_signed_sheet(session, tiny_pdf(), "sheet.pdf", admin, session.ends)
    db.session.commit()
    html, many = get()
    assert many == few
    assert html.count('class="run-summary"') == RUNS_PAGE_SIZE
    assert "Page 1 of 2" in html
    last, on_last = get("/trainer/runs?page=2")
    assert on_last == few
    assert last.count('class="run-summary"') == 5


def test_each_run_says_what_is_left_and_how_each_trainee_stands(
        db, client, auth, trainer, admin, teach, make_user, frozen):
    # Four 6-hour sessions (24 hours, 90 %: 21.6 needed): one marked ten days ago, one
    # locked unmarked nine days ago, one unmarked two days ago, one in three days.
    run = teach([-10, -9, -2, 3], trainees=0)
    first = run.sessions[0]
    present = enrol(make_user(full_name="Kiss Anna"), run, at(TODAY - timedelta(days=40)),
                    by=admin)
    absent = enrol(make_user(full_name="Nagy Béla"), run, at(TODAY - timedelta(days=40)),
                   by=admin)
    mark_session(first, [MarkInput(present.id, AttendanceStatus.PRESENT),
                         MarkInput(absent.id, AttendanceStatus.ABSENT)], admin, first.ends)
    upload_signed_sheet(first, tiny_pdf(), "sheet.pdf", admin, first.ends)
    past = teach([-60], trainees=1)
    db.session.commit()
    auth.login(trainer)
    html = client.get("/trainer/runs").get_data(as_text=True)
    # Current runs first, then past ones.
    assert html.index("Current runs") < html.index(f'id="run-{run.id}"') \
        < html.index("Past runs") < html.index(f'id="run-{past.id}"')
    mine = run_section(html, run)
    assert f'href="/runs/{run.id}/register"' in mine
    assert "1 of your 4 sessions are marked for every trainee." in mine
    assert "1 is still ahead." in mine
    locked, to_mark, ahead = run.sessions[1], run.sessions[2], run.sessions[3]
    to_mark_line = re.search(r"1 session to mark:.*?</li>", mine, re.S).group(0)
    assert f"/sessions/{to_mark.id}/attendance" in to_mark_line
    assert f"/sessions/{locked.id}/" not in to_mark_line
    locked_line = re.search(r"Locked, not fully marked: 1 session\..*?</li>", mine, re.S).group(0)
    assert "Only an administrator can correct it now" in locked_line
    assert f"/sessions/{locked.id}/attendance" in locked_line
    sheets_line = re.search(r"2 sessions have no signed sign-in sheet:.*?</li>", mine,
                            re.S).group(0)
    assert f"/sessions/{locked.id}/" in sheets_line and f"/sessions/{to_mark.id}/" in sheets_line
    assert f"/sessions/{first.id}/" not in sheets_line
    assert f"/sessions/{ahead.id}/" not in mine
    # Each trainee's hours against what completing needs, and whether they still can.
    anna = mine.split("Kiss Anna")[1].split("</tr>")[0]
    assert "6 of 21.6" in anna and "Still reachable" in anna
    bela = mine.split("Nagy Béla")[1].split("</tr>")[0]
    assert "0 of 21.6" in bela and "Not reachable" in bela


def test_a_narrowed_assignment_counts_only_the_trainers_sessions(
        db, client, auth, trainer, make_course, make_run, make_user, admin, frozen):
    plan = [(TODAY - timedelta(days=d), time(9), time(15), 360) for d in (3, 2)]
    run = make_run(course=make_course(total_hours=12), sessions=plan)
    assign_trainer(run, make_user(role="trainer"), TrainerRole.LEAD)
    assign_trainer(run, trainer, TrainerRole.CO_TRAINER, sessions=[run.sessions[1]])
    enrol(make_user(), run, at(TODAY - timedelta(days=30)), by=admin)
    db.session.commit()
    auth.login(trainer)
    mine = run_section(client.get("/trainer/runs").get_data(as_text=True), run)
    assert "0 of your 1 session is marked for every trainee." in mine
    assert f"/sessions/{run.sessions[1].id}/attendance" in mine
    assert f"/sessions/{run.sessions[0].id}/" not in mine


def test_my_runs_is_linked_from_the_navigation_my_sessions_and_each_session(
        client, auth, trainer, teach, frozen):
    run = teach([-2])
    auth.login(trainer)
    for url in ("/trainer/sessions", f"/sessions/{run.sessions[0].id}/attendance",
                f"/runs/{run.id}/register"):
        html = client.get(url).get_data(as_text=True)
        assert 'href="/trainer/runs"' in html, url
    nav = client.get("/").get_data(as_text=True).split('aria-label="Main"')[1].split("</nav>")[0]
    assert 'href="/trainer/runs">My runs<' in nav
    # "My sessions" lists the register of each run shown.
    assert f'href="/runs/{run.id}/register"' in client.get("/trainer/sessions").get_data(
        as_text=True)


def test_nobody_else_sees_a_trainers_runs(db, client, auth, trainer, teach, make_user,
                                          make_centre, frozen):
    run = teach([-2], trainees=1)
    other = make_user(role="trainer")
    theirs = teach([-4], trainees=1, by=other)
    # The other trainer's page lists only their own run; the first one's register is shut.
    auth.login(other)
    html = client.get("/trainer/runs").get_data(as_text=True)
    assert f'id="run-{theirs.id}"' in html and f'id="run-{run.id}"' not in html
    assert client.get(f"/runs/{run.id}/register").status_code == 403
    assert client.get(f"/sessions/{run.sessions[0].id}/attendance").status_code == 403
    auth.logout()
    # A trainee and a visitor: no "My runs" at all, and no register.
    assert "/login" in client.get("/trainer/runs").headers["Location"]
    auth.login(enrolments_of(run)[0].user)
    assert client.get("/trainer/runs").status_code == 403
    assert client.get(f"/runs/{run.id}/register").status_code == 403
    auth.logout()
    # A centre's administrator: no trainer page of their own, the registers of their
    # centre's runs, not another centre's.
    centre_admin = make_user(role="admin")
    centre_admin.centre_id = run.centre_id
    db.session.commit()
    auth.login(centre_admin)
    assert client.get("/trainer/runs").status_code == 403
    assert client.get(f"/runs/{run.id}/register").status_code == 200
    assert client.get(f"/runs/{theirs.id}/register").status_code == 404


def test_my_sessions_lists_to_mark_only_what_the_trainer_can_still_mark(
        db, app, client, auth, trainer, admin, teach, frozen):
    days = app.config["ATTENDANCE_LOCK_DAYS"]
    open_run = teach([-days], trainees=1)  # its lock day is today: still markable
    locked_run = teach([-days - 1], trainees=1)  # locked since midnight
    auth.login(trainer)
    html = client.get("/trainer/sessions").get_data(as_text=True)
    assert "1 past session is still to mark." in html
    assert ("1 past session is not fully marked and locked: only an administrator can "
            "correct it now, giving a reason.") in html
    to_mark = client.get("/trainer/sessions?show=unmarked").get_data(as_text=True)
    to_mark = to_mark.split('id="past-heading"')[1]
    assert f"/sessions/{open_run.sessions[0].id}/attendance" in to_mark
    assert f"/sessions/{locked_run.sessions[0].id}/" not in to_mark
    locked = client.get("/trainer/sessions?show=locked").get_data(as_text=True)
    assert "Locked sessions not fully marked" in locked
    assert "only an administrator can add or correct these marks" in locked
    locked = locked.split('id="past-heading"')[1]
    assert f"/sessions/{locked_run.sessions[0].id}/attendance" in locked
    assert f"/sessions/{open_run.sessions[0].id}/" not in locked
    # The trainer really cannot mark the locked one; the administrator can, with a reason.
    session = locked_run.sessions[0]
    assert client.get(f"/sessions/{session.id}/attendance").status_code == 200
    assert "Only an administrator can correct them" in client.get(
        f"/sessions/{session.id}/attendance").get_data(as_text=True)


def test_the_demos_unmarked_session_is_locked_not_to_mark_for_its_trainer(app, db):
    """The demo's run held eight weeks ago has its last session unmarked: long locked,
    so its lead trainer is not told to mark it, but that an administrator can."""
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    now = utcnow()
    run = db.session.scalar(
        sa.select(Run).join(Session).join(AttendanceMark, AttendanceMark.session_id == Session.id)
        .where(Run.status == RunStatus.PUBLISHED).limit(1))
    lead = db.session.scalar(sa.select(TrainerAssignment).where(
        TrainerAssignment.run_id == run.id, TrainerAssignment.role == TrainerRole.LEAD)).trainer
    unmarked = run.sessions[-1]
    to_mark = trainer_sessions(lead, now, show="unmarked")
    assert unmarked.id not in {s.id for s in to_mark.past}
    locked = trainer_sessions(lead, now, show="locked")
    assert unmarked.id in {s.id for s in locked.past} and unmarked.id in locked.locked
    entry = next(e for e in trainer_runs(lead, now).runs if e.run.id == run.id)
    assert entry.to_mark == [] and entry.locked == [unmarked]

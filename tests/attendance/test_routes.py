import io
from datetime import date, time, timedelta

import pytest
from openpyxl import load_workbook

from lms.attendance import services
from lms.attendance.models import AttendanceStatus
from lms.attendance.services import MarkInput
from lms.enrolment.services import enrol
from lms.trainers.models import TrainerRole
from lms.trainers.services import assign_trainer
from tests.conftest import at

TODAY = date.today()


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def setup(db, make_user, make_course, make_run):
    """A 24-hour run whose first two sessions are past and two are ahead; two trainees."""
    start = TODAY - timedelta(days=1)
    run = make_run(
        course=make_course(total_hours=24, title="Közösségfejlesztés"),
        sessions=[(start + timedelta(days=i), time(9), time(15), 360) for i in range(4)],
    )
    trainer = make_user(role="trainer", full_name="Horváth Gábor")
    assign_trainer(run, trainer, TrainerRole.LEAD)
    admin = make_user(role="admin")
    before = at(start - timedelta(days=5), time(8))
    tunde = enrol(make_user(full_name="Szőke Tünde"), run, before, by=admin)
    ivan = enrol(make_user(full_name="Иван Георгиев"), run, before, by=admin)
    db.session.commit()
    return run, trainer, admin, tunde, ivan


def test_trainer_sees_today_and_unmarked_past_sessions(client, auth, setup):
    run, trainer, *_ = setup
    auth.login(trainer)
    html = text(client.get("/trainer/sessions"))
    past = html.split('id="past-heading"')[1].split("</section>")[0]
    upcoming = html.split('id="upcoming-heading"')[1].split("</section>")[0]
    assert "Not marked" in past and "0 / 2" in past
    assert "1 past session is still to mark." in html
    assert "Today" in upcoming and upcoming.count("<tr") == 1 + 3
    to_mark = text(client.get("/trainer/sessions?show=unmarked"))
    assert "Past sessions still to mark" in to_mark and "Still to mark (1)" in to_mark


def test_trainer_marks_one_late_and_the_rest_present(client, auth, db, setup):
    run, trainer, _admin, tunde, ivan = setup
    session = run.sessions[1]  # today
    auth.login(trainer)
    page = f"/sessions/{session.id}/attendance"
    prefilled = text(client.get(page + "?all=present"))
    assert prefilled.count('<option value="present" selected>') == 2
    response = client.submit(
        page,
        {
            f"status-{tunde.id}": "late",
            f"hours-{tunde.id}": "2,5",
            f"note-{tunde.id}": "Késett a busz",
            f"status-{ivan.id}": "present",
        },
        follow_redirects=True,
    )
    assert "2 marks changed" in text(response)
    register = text(client.get(f"/runs/{run.id}/register"))
    assert "2.5*" in register and ">6<" in register
    marks = services.marks_of(session)
    assert marks[tunde.id].minutes == 150 and marks[tunde.id].note == "Késett a busz"


def test_bad_hours_are_refused_next_to_the_row(client, auth, setup):
    run, trainer, _admin, tunde, ivan = setup
    auth.login(trainer)
    page = f"/sessions/{run.sessions[1].id}/attendance"
    html = text(
        client.submit(
            page,
            {
                f"status-{tunde.id}": "late",
                f"hours-{tunde.id}": "2.4",
                f"status-{ivan.id}": "present",
            },
        )
    )
    assert f'id="row-error-{tunde.id}"' in html and "quarter hours" in html
    assert services.marks_of(run.sessions[1]) == {}  # nothing saved, not even Ivan's
    html = text(client.submit(page, {f"status-{tunde.id}": "left_early", f"hours-{tunde.id}": "7"}))
    assert f'id="row-error-{tunde.id}"' in html and "from 0 to 6" in html


def test_other_trainers_and_trainees_are_kept_out(client, auth, make_user, setup):
    run, *_ = setup
    session = run.sessions[0]
    for outsider in (make_user(role="trainer"), make_user()):
        auth.login(outsider)
        for url in (
            f"/sessions/{session.id}/attendance",
            f"/runs/{run.id}/register",
            f"/sessions/{session.id}/attendance/history",
            f"/runs/{run.id}/register.xlsx",
        ):
            assert client.get(url).status_code == 403, url
        auth.logout()


def test_locked_session_is_read_only_for_the_trainer(
    client, auth, app, db, make_user, make_course, make_run
):
    long_ago = TODAY - timedelta(days=app.config["ATTENDANCE_LOCK_DAYS"] + 3)
    run = make_run(course=make_course(total_hours=6), sessions=[(long_ago, time(9), time(15), 360)])
    trainer = make_user(role="trainer")
    assign_trainer(run, trainer, TrainerRole.LEAD)
    trainee = enrol(
        make_user(), run, at(long_ago - timedelta(days=5), time(8)), by=make_user(role="admin")
    )
    db.session.commit()
    auth.login(trainer)
    page = f"/sessions/{run.sessions[0].id}/attendance"
    html = text(client.get(page))
    assert "locked on" in html and "Save attendance" not in html
    html = text(client.submit(page, {f"status-{trainee.id}": "present"}))
    assert "ask an administrator" in html
    assert services.marks_of(run.sessions[0]) == {}


def test_register_exports_open_with_the_right_totals(client, auth, db, setup):
    run, trainer, admin, tunde, ivan = setup
    services.mark_session(
        run.sessions[0],
        [
            MarkInput(tunde.id, AttendanceStatus.LATE, 270),
            MarkInput(ivan.id, AttendanceStatus.PRESENT),
        ],
        trainer,
        at(TODAY),
    )
    db.session.commit()
    auth.login(admin)
    response = client.get(f"/runs/{run.id}/register.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[0] == "Name" and header[2].startswith(run.sessions[0].date.isoformat())
    assert "(6 h)" in header[2]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Szőke Tünde"][2] == 4.5 and by_name["Иван Георгиев"][2] == 6
    total = header.index("Hours attended")
    assert by_name["Szőke Tünde"][total] == 4.5
    csv_text = text(client.get(f"/runs/{run.id}/register.csv"))
    assert "Иван Георгиев" in csv_text and ",6," in csv_text


@pytest.mark.parametrize("locale, separator, late, excused", [
    ("en", ",", "4.5", "Excused"),
    ("hu", ";", "4,5", "Igazoltan távol"),
    ("bg", ";", "4,5", "Извинено отсъствие"),
])
def test_the_register_csv_opens_right_in_the_readers_excel(
        client, auth, db, setup, locale, separator, late, excused):
    """Hungarian and Bulgarian Excel split on ";" and read decimal commas; an excused
    trainee's cell says so rather than 0, which reads as absent."""
    run, trainer, admin, tunde, ivan = setup
    services.mark_session(run.sessions[0], [MarkInput(tunde.id, AttendanceStatus.LATE, 270),
                                            MarkInput(ivan.id, AttendanceStatus.EXCUSED)],
                          trainer, at(TODAY))
    admin.locale = locale
    db.session.commit()
    auth.login(admin)
    response = client.get(f"/runs/{run.id}/register.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert response.headers["Content-Language"] == locale
    assert response.data.startswith("\ufeff".encode())  # UTF-8 with a byte-order mark
    rows = [line.split(separator) for line in text(response).lstrip("\ufeff").splitlines()]
    by_name = {row[0]: row for row in rows[1:]}
    assert len(rows[0]) == 2 + len(run.sessions) + 3
    assert by_name["Szőke Tünde"][2] == late and by_name["Szőke Tünde"][-3] == late
    assert by_name["Иван Георгиев"][2] == excused and by_name["Иван Георгиев"][-3] == "0"
    sheet = load_workbook(io.BytesIO(client.get(f"/runs/{run.id}/register.xlsx").data)).active
    cells = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert cells["Szőke Tünde"][2] == 4.5 and cells["Иван Георгиев"][2] == excused


def test_admin_closes_a_fully_marked_run(client, auth, db, setup):
    run, trainer, admin, tunde, ivan = setup
    for session in run.sessions:
        services.mark_session(
            session,
            [
                MarkInput(tunde.id, AttendanceStatus.PRESENT),
                MarkInput(ivan.id, AttendanceStatus.ABSENT),
            ],
            admin,
            session.ends,
        )
    db.session.commit()
    auth.login(admin)
    page = f"/runs/{run.id}/register"
    response = client.submit(f"/manage/runs/{run.id}/close", page=page, follow_redirects=True)
    assert "1 of 2 trainees completed it" in text(response)
    db.session.refresh(tunde)
    assert tunde.outcome.value == "completed"


def test_admin_assigns_a_trainer_and_sees_the_clash(
    client, auth, db, make_user, make_run, make_course, make_centre
):
    admin, trainer = make_user(role="admin"), make_user(role="trainer", full_name="Szabó Kati")
    day = TODAY + timedelta(days=30)
    first = make_run(
        course=make_course(total_hours=4, title="Adósságkezelés"),
        centre=make_centre(city="Nyíregyháza"),
        sessions=[(day, time(9), time(13), 240)],
    )
    second = make_run(course=make_course(total_hours=4), sessions=[(day, time(12), time(16), 240)])
    auth.login(admin)
    response = client.submit(
        f"/manage/runs/{first.id}/trainers",
        {"trainer_id": str(trainer.id), "role": "lead"},
        follow_redirects=True,
    )
    assert "Szabó Kati is assigned" in text(response)
    html = text(
        client.submit(
            f"/manage/runs/{second.id}/trainers",
            {"trainer_id": str(trainer.id), "role": "co_trainer"},
        )
    )
    assert 'id="trainer_id-error"' in html
    assert "Adósságkezelés" in html and "Nyíregyháza" in html

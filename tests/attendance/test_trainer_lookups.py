"""The attendance page and the sign-in sheet read a session's trainers once, for the
access check and for what they show."""

import io

import pytest
from pypdf import PdfReader

from lms.trainers.models import TrainerRole
from lms.trainers.services import assign_trainer


def assignment_reads(statements: list[str]) -> int:
    return sum(1 for s in statements if s.lstrip().startswith("SELECT trainer_assignment.id,"))


@pytest.mark.parametrize("who", ["lead", "admin"])
def test_the_trainers_are_read_once_per_page(db, client, auth, make_user, make_run,
                                             query_counter, who):
    run = make_run()
    lead = make_user(role="trainer", full_name="Horváth Gábor")
    assign_trainer(run, lead, TrainerRole.LEAD)
    assign_trainer(run, make_user(role="trainer", full_name="Петър Иванов"),
                   TrainerRole.CO_TRAINER)
    db.session.commit()
    auth.login(lead if who == "lead" else make_user(role="admin"))
    session_id = run.sessions[0].id

    with query_counter() as statements:
        page = client.get(f"/sessions/{session_id}/attendance")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    shown = html.split("Trainers</dt><dd>")[1].split("</dd>")[0]
    assert "Horváth Gábor" in shown and "Петър Иванов" in shown
    assert assignment_reads(statements) == 1

    with query_counter() as statements:
        sheet = client.get(f"/sessions/{session_id}/sign-in-sheet.pdf")
    assert sheet.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet.data)).pages)
    assert "Horváth Gábor" in text and "Петър Иванов" in text
    assert assignment_reads(statements) == 1


def test_another_trainer_is_still_refused(db, client, auth, make_user, make_run):
    run = make_run()
    assign_trainer(run, make_user(role="trainer"), TrainerRole.LEAD)
    db.session.commit()
    auth.login(make_user(role="trainer"))
    session_id = run.sessions[0].id
    assert client.get(f"/sessions/{session_id}/attendance").status_code == 403
    assert client.get(f"/sessions/{session_id}/sign-in-sheet.pdf").status_code == 403

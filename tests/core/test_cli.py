import traceback

import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.extensions import db
from lms.models import (
    Centre,
    Certificate,
    Course,
    Enrolment,
    EvaluationInvitation,
    Notification,
    Run,
    Session,
    Survey,
    SurveyResponse,
)


def table_counts():
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (User, Centre, Course, Run, Session, Enrolment, Notification, Certificate,
                      Survey, SurveyResponse, EvaluationInvitation)
    }


def test_create_user_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "Admin@Forras.Example",
            "--role",
            "admin",
            "--name",
            "Kovács Anna",
            "--password",
            "a long password",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User))
    assert (user.email, user.role, user.full_name) == (
        "admin@forras.example",
        Role.ADMIN,
        "Kovács Anna",
    )
    again = runner.invoke(
        args=["create-user", "admin@forras.example", "--name", "X", "--password", "a long password"]
    )
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(args=["create-user", "b@example.org", "--name", "B", "--password", "x"])
    assert short.exit_code != 0 and "at least 12" in short.output


def test_create_user_asks_for_the_password(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "t@example.org", "--role", "trainer", "--name", "Nagy Péter"],
        input="trainer password\ntrainer password\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User)).role == Role.TRAINER


def test_demo_loads_once_and_then_changes_nothing(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output + "".join(
        traceback.format_exception(*first.exc_info) if first.exc_info else [])
    assert "admin@forras.example" in first.output
    counts = table_counts()
    assert counts["Centre"] >= 12 and counts["Course"] >= 7 and counts["Run"] >= 10
    assert counts["Enrolment"] >= 10
    # the closed Razgrad run: three completed and got certificates, one missed a day
    assert counts["Certificate"] == 3
    # a needs survey, open, with four organisations' answers; the closed run's
    # evaluation (copied from the short courses' template), answered by its four
    # trainees and closed
    assert counts["Survey"] == 3 and counts["SurveyResponse"] == 8
    assert counts["EvaluationInvitation"] == 4
    certificate = db.session.scalar(sa.select(Certificate).limit(1))
    verified = client.get(f"/verify/{certificate.verification_code}").get_data(as_text=True)
    assert "Valid" in verified and certificate.serial.startswith("RAZ-")
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert "nothing changed" in second.output
    assert table_counts() == counts
    html = client.get("/").get_data(as_text=True)
    assert "60-hour courses" in html and "24-hour courses" in html
    assert "Разград" in html
    assert client.get("/?format=60").get_data(as_text=True).count('class="run-card"') >= 4

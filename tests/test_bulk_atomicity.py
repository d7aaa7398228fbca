"""A failure halfway through a bulk operation leaves nothing half done.

Issuing 30 certificates and closing a run of 30 are each one transaction: a
failure injected in the middle (the 15th certificate's rendering, the 15th
outcome) leaves no certificate, no used serial number, no outcome, no closed
run and no queued e-mail; the administrator sees an error page, not a trace;
and a retry once the fault is gone does the whole job.
"""

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from lms.attendance import services as attendance
from lms.attendance.models import AttendanceStatus
from lms.attendance.services import MarkInput, mark_session
from lms.certificates import services as certificates
from lms.certificates.models import Certificate, CertificateSequence
from lms.courses.models import RunStatus
from lms.enrolment.models import Enrolment, Outcome
from lms.enrolment.services import enrol
from lms.notifications.models import Notification
from tests.conftest import at

TRAINEES = 30


@pytest.fixture
def marked_run(db, make_user, make_course, make_run):
    """A fully marked 6-hour run of 30 trainees, all present, not yet closed."""
    day = date.today() - timedelta(days=2)
    run = make_run(
        course=make_course(total_hours=6),
        capacity=TRAINEES,
        sessions=[(day, time(9), time(15), 360)],
    )
    admin = make_user(role="admin")
    before = at(day - timedelta(days=5), time(8))
    enrolments = [enrol(make_user(), run, before, by=admin) for _ in range(TRAINEES)]
    mark_session(
        run.sessions[0],
        [MarkInput(e.id, AttendanceStatus.PRESENT) for e in enrolments],
        admin,
        at(day),
    )
    db.session.commit()
    return run, admin


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def fail_on_call(number: int, real):
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == number:
            raise RuntimeError("the disk is full")
        return real(*args, **kwargs)

    return flaky


@pytest.fixture
def error_pages(app):
    """Show the 500 page as in production instead of raising into the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False


def test_issuing_all_fails_whole_and_then_succeeds_whole(
    app, client, auth, db, marked_run, monkeypatch, error_pages
):
    run, admin = marked_run
    attendance.close_run(run, admin)
    db.session.commit()
    mails = count(db, Notification)
    auth.login(admin)
    page = f"/manage/runs/{run.id}/certificates"
    monkeypatch.setattr(
        certificates, "render_certificate", fail_on_call(15, certificates.render_certificate)
    )
    failed = client.submit(f"{page}/issue-all", {}, page=page)
    assert failed.status_code == 500
    html = failed.get_data(as_text=True)
    assert "Something went wrong" in html and "Traceback" not in html
    db.session.expire_all()
    assert count(db, Certificate) == 0
    assert (
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.max(CertificateSequence.last_number), 0))
        )
        == 0
    )
    assert count(db, Notification) == mails
    monkeypatch.undo()
    client.submit(f"{page}/issue-all", {}, page=page)
    serials = sorted(db.session.scalars(sa.select(Certificate.serial)))
    assert len(serials) == TRAINEES
    assert [s.rsplit("-", 1)[1] for s in serials] == [f"{n:04d}" for n in range(1, 31)]


def test_closing_fails_whole_and_then_succeeds_whole(
    app, client, auth, db, marked_run, monkeypatch, error_pages
):
    run, admin = marked_run
    auth.login(admin)
    real = attendance.record_outcomes

    def halfway(run_):
        """Record 14 outcomes (flushed to the database), then fail."""
        for row in attendance.register(run_).rows[:14]:
            row.enrolment.outcome = Outcome.COMPLETED
        db.session.flush()
        raise RuntimeError("the server was stopped")

    monkeypatch.setattr(attendance, "record_outcomes", halfway)
    register = f"/runs/{run.id}/register"
    failed = client.submit(f"/manage/runs/{run.id}/close", {}, page=register)
    assert failed.status_code == 500
    db.session.expire_all()
    assert db.session.get(type(run), run.id).status == RunStatus.PUBLISHED
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Enrolment.id)).where(Enrolment.outcome.is_not(None))
        )
        == 0
    )
    monkeypatch.setattr(attendance, "record_outcomes", real)
    client.submit(f"/manage/runs/{run.id}/close", {}, page=register)
    db.session.expire_all()
    assert db.session.get(type(run), run.id).status == RunStatus.CLOSED
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Enrolment.id)).where(Enrolment.outcome.is_not(None))
        )
        == TRAINEES
    )

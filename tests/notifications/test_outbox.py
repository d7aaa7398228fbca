"""The outbox against a real SMTP server on localhost (aiosmtpd), not a mock."""

import email
import socket
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from lms.enrolment import services
from lms.notifications.delivery import deliver_outbox
from lms.notifications.models import Notification, OutboxState

NOW = datetime.now(UTC)


class Inbox:
    """A real SMTP server on localhost that keeps what it receives; can go down and up."""

    def __init__(self, port: int):
        self.messages: list[email.message.Message] = []
        self.port = port
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    inbox = Inbox(free_port())
    inbox.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=inbox.port)
    yield inbox
    inbox.stop()


def test_message_is_queued_with_the_change_and_sent_after_commit(db, smtp, make_user, make_run):
    trainee = make_user(email="szoke.tunde@example.org")
    run = make_run()
    services.enrol(trainee, run, NOW)
    assert smtp.messages == []  # nothing leaves before the transaction commits
    db.session.commit()
    assert deliver_outbox() == (1, 0, 0)
    [message] = smtp.messages
    assert message["To"] == "szoke.tunde@example.org"
    assert run.course.title in message["Subject"]
    calendars = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert len(calendars) == 1
    assert calendars[0].get_payload(decode=True).decode().count("BEGIN:VEVENT") == len(run.sessions)
    assert deliver_outbox() == (0, 0, 0)  # sent once, never twice


def test_rolled_back_change_sends_nothing(db, smtp, make_user, make_run):
    services.enrol(make_user(), make_run(), NOW)
    db.session.rollback()
    assert deliver_outbox() == (0, 0, 0)
    assert smtp.messages == []


def test_smtp_down_means_retry_later_not_lost(db, smtp, make_user, make_run):
    smtp.stop()
    services.enrol(make_user(), make_run(), NOW)
    db.session.commit()
    assert deliver_outbox() == (0, 1, 0)
    waiting = db.session.scalar(sa.select(Notification))
    assert waiting.sent_at is None and waiting.attempts == 1
    assert "Connection" in waiting.last_error or "refused" in waiting.last_error.lower()
    assert waiting.next_attempt_at > datetime.now(UTC) - timedelta(hours=2)
    assert deliver_outbox() == (0, 0, 0)  # not due yet: backing off

    smtp.start()
    waiting.next_attempt_at = waiting.next_attempt_at - timedelta(minutes=5)  # time passes
    db.session.commit()
    assert deliver_outbox() == (1, 0, 0)
    db.session.refresh(waiting)
    assert waiting.sent_at is not None and waiting.attempts == 2 and waiting.last_error == ""
    assert len(smtp.messages) == 1


def test_without_smtp_the_worker_prints_each_message_in_full_and_keeps_it(
    app, db, capsys, make_user, make_run
):
    app.config["MAIL_SERVER"] = ""
    services.enrol(make_user(email="print@example.org", full_name="Kovács Éva"), make_run(), NOW)
    db.session.commit()
    assert deliver_outbox() == (0, 0, 1)
    printed = capsys.readouterr().out
    assert "To: print@example.org" in printed and "Subject: " in printed
    assert "Kovács Éva" in printed  # the body in plain text, not base64
    assert "http://localhost/my/" in printed  # its links can be followed
    kept = db.session.scalar(sa.select(Notification))
    assert kept.state == OutboxState.NO_SERVER and kept.sent_at is None
    assert "MAIL_SERVER" in kept.last_error
    assert deliver_outbox() == (0, 0, 0)  # not printed again and again
    assert capsys.readouterr().out == ""


def test_cli_reports_and_sends(app, db, smtp, make_user, make_run):
    services.enrol(make_user(), make_run(), NOW)
    db.session.commit()
    runner = app.test_cli_runner()
    assert "1 messages waiting" in runner.invoke(args=["outbox", "status"]).output
    assert "Sent 1, failed 0" in runner.invoke(args=["outbox", "send"]).output
    assert len(smtp.messages) == 1

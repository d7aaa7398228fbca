"""The mail worker: no page waits for the SMTP server, and the worker outlives its troubles."""

import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from lms.auth.messages import send_password_reset
from lms.auth.models import User
from lms.clock import utcnow
from lms.notifications import delivery
from lms.notifications.delivery import deliver_outbox
from lms.notifications.models import Notification, OutboxState
from lms.notifications.outbox import resend
from lms.notifications.worker import MailWorker
from tests.auth.test_routes import REGISTRATION
from tests.notifications.test_outbox import smtp  # noqa: F401  (a real SMTP server)


class HungSmtpServer:
    """Accepts connections and never says a word: the SMTP server that froze the site."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        # A blocked accept() is not woken by closing its socket: it waits in short
        # turns, so that close() ends the thread (no thread outlives its test).
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                conn, _address = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed
                return
            self.connections.append(conn)  # kept open, never answered

    def close(self):
        self.stopping.set()
        self.thread.join(timeout=5)
        self.listener.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def hung_smtp(app):
    server = HungSmtpServer()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT=0.5)
    yield server
    server.close()


def test_a_hung_smtp_server_delays_no_page_and_the_worker_retries_later(client, db, hung_smtp):
    response = client.submit("/register", REGISTRATION)
    assert response.status_code == 302
    assert response.location.endswith("/register/check-your-inbox")
    response.close()  # what the WSGI server does once the response has gone out
    assert client.get("/healthz").status_code == 200
    # The request queued the confirmation and never went near the SMTP server.
    assert hung_smtp.connections == []
    queued = db.session.scalar(sa.select(Notification))
    assert queued.kind == "confirm_email" and queued.state == OutboxState.WAITING

    # The worker gives up after MAIL_TIMEOUT, records why, and tries again later.
    assert deliver_outbox() == (0, 1, 0)
    assert len(hung_smtp.connections) == 1
    db.session.refresh(queued)
    assert queued.state == OutboxState.FAILING and queued.attempts == 1
    assert "timed out" in queued.last_error
    assert queued.next_attempt_at > utcnow()
    assert deliver_outbox() == (0, 0, 0)  # backing off: not due yet
    assert len(hung_smtp.connections) == 1

    queued.next_attempt_at = utcnow() - timedelta(seconds=1)  # time passes
    db.session.commit()
    assert deliver_outbox() == (0, 1, 0)
    assert len(hung_smtp.connections) == 2
    db.session.refresh(queued)
    assert queued.attempts == 2 and queued.state == OutboxState.FAILING


def test_worker_survives_a_database_outage_and_then_sends(
    app, db, monkeypatch, capsys, make_user, caplog
):
    app.config["MAIL_SERVER"] = ""
    send_password_reset(make_user(email="after.outage@example.org"))
    db.session.commit()
    real = delivery.deliver_outbox
    passes = []

    def flaky(**kwargs):
        passes.append(len(passes))
        if len(passes) == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        if len(passes) == 3:
            worker.stop()
        return real(**kwargs)

    monkeypatch.setattr(delivery, "deliver_outbox", flaky)
    printed = []
    worker = MailWorker(0.01, echo=printed.append)
    worker.run()
    assert len(passes) == 3  # it went on after the failed pass
    assert "outbox pass failed" in caplog.text
    assert len(printed) == 1 and "To: after.outage@example.org" in printed[0]


def test_worker_says_nothing_while_there_is_nothing_to_send(app, db, monkeypatch, caplog):
    # A worker polling every second or two must not fill the log with "sent 0".
    real = delivery.deliver_outbox
    passes = []

    def counted(**kwargs):
        passes.append(len(passes))
        if len(passes) == 3:
            worker.stop()
        return real(**kwargs)

    monkeypatch.setattr(delivery, "deliver_outbox", counted)
    printed = []
    worker = MailWorker(0.01, echo=printed.append)
    with caplog.at_level("DEBUG", logger="lms.mail"):
        worker.run()
    assert len(passes) == 3
    assert printed == [] and caplog.records == []


def test_worker_stops_cleanly_on_sigterm(app, database_url, tmp_path):
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        LMS_INSTANCE_PATH=str(tmp_path),
        MAIL_SERVER="",
        FLASK_APP="lms",
    )
    env.pop("TEST_DATABASE_URL", None)
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "outbox", "send", "--loop", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert "Mail worker" in worker.stdout.readline()  # running, and between passes
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, output
    assert "Mail worker stopped." in output
    assert "Traceback" not in output


def test_an_unsent_message_goes_out_when_resent_once_a_server_is_configured(
    app, db, capsys, smtp, make_user  # noqa: F811
):
    server = app.config["MAIL_SERVER"]
    app.config["MAIL_SERVER"] = ""
    send_password_reset(make_user(email="later@example.org"))
    db.session.commit()
    assert deliver_outbox() == (0, 0, 1)
    app.config["MAIL_SERVER"] = server
    assert deliver_outbox() == (0, 0, 0)  # kept aside: never retried by itself
    message = db.session.scalar(
        sa.select(Notification).join(User).where(User.email == "later@example.org")
    )
    assert message.state == OutboxState.NO_SERVER
    resend(message)
    db.session.commit()
    assert deliver_outbox() == (1, 0, 0)
    [sent] = smtp.messages
    assert sent["To"] == "later@example.org"

"""The mail worker: `flask outbox send --loop N`, a long-running process beside the web server.

It survives what a long-running process meets: an SMTP server that refuses or
hangs (each message is bounded by MAIL_TIMEOUT and retried later), a database
that goes away (the pass is logged and retried with a growing pause, and the
worker reconnects by itself), and SIGTERM/SIGINT (it finishes the message in
hand, at most MAIL_TIMEOUT per SMTP step, and exits 0).
"""

import logging
import signal
import threading
import time
from collections.abc import Callable

from lms.db import rollback_quietly
from lms.extensions import db
from lms.notifications import delivery

log = logging.getLogger("lms.mail")

MAX_PAUSE = 60.0  # seconds between passes while the database is unreachable
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class MailWorker:
    """Delivers the outbox every `interval` seconds until told to stop."""

    def __init__(self, interval: float, echo: Callable[[str], None], banner: str = ""):
        self.interval = interval
        self.echo = echo
        self.banner = banner  # said once the stop signals are handled
        self.stopping = False

    def stop(self, _signum=None, _frame=None) -> None:
        # The message in hand is finished (bounded by MAIL_TIMEOUT), then the loop ends.
        # Ctrl-C under `make run` brings SIGINT and SIGTERM at once: both mean "stop".
        self.stopping = True

    def run(self) -> None:
        previous = {}
        if threading.current_thread() is threading.main_thread():
            previous = {sig: signal.signal(sig, self.stop) for sig in STOP_SIGNALS}
        if self.banner:
            self.echo(self.banner)
        try:
            self._loop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            db.session.remove()

    def _loop(self) -> None:
        failures = 0
        while not self.stopping:
            try:
                report = delivery.deliver_outbox(console=self.echo)
            except Exception:
                failures += 1
                pause = min(self.interval * 2 ** failures, MAX_PAUSE)
                log.exception("outbox pass failed (is the database reachable?); "
                              "retrying in %.0f s", pause)
                self._forget_connection()
            else:
                failures = 0
                pause = self.interval
                if any(report):
                    log.info("outbox: sent %d, failed %d, not sent (no mail server) %d",
                             *report)
            self._pause(pause)

    @staticmethod
    def _forget_connection() -> None:
        rollback_quietly()
        db.session.remove()

    def _pause(self, seconds: float) -> None:
        """Sleep in short steps so that a stop request is honoured promptly."""
        deadline = time.monotonic() + seconds
        while not self.stopping:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.5))

"""What the long-running workers beside the web server share (the mail worker,
lms/notifications/worker.py; the job worker, lms/jobs/worker.py): a pass every
`interval` seconds until SIGTERM or SIGINT; a pass that fails (the database went away)
is logged and retried with a growing pause, on a fresh connection."""

import logging
import signal
import threading
import time
from collections.abc import Callable

from lms.db import rollback_quietly
from lms.extensions import db

MAX_PAUSE = 60.0  # seconds between passes while the database is unreachable
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class PollingWorker:
    """Runs `work_pass` every `interval` seconds until told to stop."""

    log: logging.Logger
    what = "worker"  # names the pass in the log: "<what> pass failed ..."

    def __init__(self, interval: float, echo: Callable[[str], None], banner: str = ""):
        self.interval = interval
        self.echo = echo
        self.banner = banner  # said once the stop signals are handled
        self.stopping = False

    def work_pass(self) -> str | None:
        """One pass; a line for the log when it did something."""
        raise NotImplementedError

    def stop(self, _signum=None, _frame=None) -> None:
        # The work in hand is finished, then the loop ends. Ctrl-C under `make run`
        # brings SIGINT and SIGTERM at once: both mean "stop".
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
                done = self.work_pass()
            except Exception:
                failures += 1
                pause = min(self.interval * 2 ** failures, MAX_PAUSE)
                self.log.exception("%s pass failed (is the database reachable?); "
                                   "retrying in %.0f s", self.what, pause)
                rollback_quietly()  # forget the connection: the next pass opens a new one
                db.session.remove()
            else:
                failures = 0
                pause = self.interval
                if done:
                    self.log.info("%s", done)
            self._pause(pause)

    def _pause(self, seconds: float) -> None:
        """Sleep in short steps so that a stop request is honoured promptly."""
        deadline = time.monotonic() + seconds
        while not self.stopping:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.5))

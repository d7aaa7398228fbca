"""The job worker: `flask jobs work --loop N`, a long-running process beside the web
server, the same shape as the mail worker (lms/notifications/worker.py).

Every `interval` seconds it makes the exports waiting. A database that goes away is
logged and retried with a growing pause; SIGTERM/SIGINT puts the job in hand back in
the queue (at its next heartbeat) and exits 0, so a restart loses no export.
"""

import logging
import signal
import threading
import time
from collections.abc import Callable

from lms.db import rollback_quietly
from lms.extensions import db
from lms.jobs import services

log = logging.getLogger("lms.jobs")

MAX_PAUSE = 60.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class JobWorker:
    """Runs the export jobs every `interval` seconds until told to stop."""

    def __init__(self, interval: float, echo: Callable[[str], None], banner: str = ""):
        self.interval = interval
        self.echo = echo
        self.banner = banner
        self.stopping = False
        self.name = services.worker_name()

    def stop(self, _signum=None, _frame=None) -> None:
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
                ran = services.work_once(self.name, should_stop=lambda: self.stopping)
            except Exception:
                failures += 1
                pause = min(self.interval * 2 ** failures, MAX_PAUSE)
                log.exception("job pass failed (is the database reachable?); "
                              "retrying in %.0f s", pause)
                rollback_quietly()
                db.session.remove()
            else:
                failures = 0
                pause = self.interval
                if ran:
                    log.info("jobs: %d export(s) made", ran)
            self._pause(pause)

    def _pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.5))

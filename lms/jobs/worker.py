"""The job worker: `flask jobs work --loop N`, a long-running process beside the web
server, the same shape as the mail worker (lms/notifications/worker.py).

Every `interval` seconds it makes the exports waiting. A database that goes away is
logged and retried with a growing pause; SIGTERM/SIGINT puts the job in hand back in
the queue (at its next heartbeat) and exits 0, so a restart loses no export.
"""

import logging
from collections.abc import Callable

from lms.jobs import services
from lms.polling import PollingWorker


class JobWorker(PollingWorker):
    """Runs the export jobs every `interval` seconds until told to stop."""

    log = logging.getLogger("lms.jobs")
    what = "job"

    def __init__(self, interval: float, echo: Callable[[str], None], banner: str = ""):
        super().__init__(interval, echo, banner)
        self.name = services.worker_name()

    def work_pass(self) -> str | None:
        ran = services.work_once(self.name, should_stop=lambda: self.stopping)
        return f"jobs: {ran} export(s) made" if ran else None

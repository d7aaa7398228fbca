"""The mail worker: `flask outbox send --loop N`, a long-running process beside the web server.

It survives what a long-running process meets: an SMTP server that refuses or
hangs (each message is bounded by MAIL_TIMEOUT and retried later), a database
that goes away (the pass is logged and retried with a growing pause, and the
worker reconnects by itself), and SIGTERM/SIGINT (it finishes the message in
hand, at most MAIL_TIMEOUT per SMTP step, and exits 0).
"""

import logging

from lms.notifications import delivery
from lms.polling import PollingWorker


class MailWorker(PollingWorker):
    """Delivers the outbox every `interval` seconds until told to stop (a stop waits for
    the message in hand, bounded by MAIL_TIMEOUT)."""

    log = logging.getLogger("lms.mail")
    what = "outbox"

    def work_pass(self) -> str | None:
        sent, failed, not_sent = delivery.deliver_outbox(console=self.echo)
        if sent or failed or not_sent:
            return f"outbox: sent {sent}, failed {failed}, not sent (no mail server) {not_sent}"
        return None

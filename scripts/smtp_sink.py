"""A local SMTP server that keeps every message it is given, for `make production` and the smoke.

Each message is written to FOLDER as one .eml file (written aside, then renamed, so a
reader never sees half a message). Nothing is relayed anywhere. Stops on SIGTERM/Ctrl-C.

    python scripts/smtp_sink.py --port 8025 --folder instance/mail
"""

import argparse
import itertools
import os
import signal
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class KeepInFolder:
    """aiosmtpd handler: one file per message."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time_ns()}-{next(self.counter):05d}.eml"
        partial = self.folder / f".{name}.part"
        recipients = ", ".join(envelope.rcpt_tos)
        partial.write_bytes(f"X-Envelope-To: {recipients}\r\n".encode() + envelope.content)
        os.replace(partial, self.folder / name)
        print(f"smtp_sink: kept {name} for {recipients}", flush=True)
        return "250 Message accepted"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--folder", type=Path, required=True)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    controller = Controller(KeepInFolder(args.folder), hostname=args.host, port=args.port)
    controller.start()
    print(f"smtp_sink: listening on {args.host}:{args.port}, keeping mail in {args.folder}",
          flush=True)
    try:
        stop.wait()
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make run`'s server script: gunicorn and the mail worker start together and stop together."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.notifications.test_outbox import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def group_members(pgid: int) -> dict[int, str]:
    """The live processes of a process group: pid -> command line."""
    members = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if fields[0] != "Z" and int(fields[2]) == pgid:
                members[int(stat.parent.name)] = ((stat.parent / "cmdline").read_bytes()
                                                  .replace(b"\0", b" ").decode(errors="replace"))
        except (OSError, IndexError, ValueError):
            continue  # ended while we looked
    return members


def wait_until(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def served(tmp_path):
    """scripts/serve.sh on a migrated SQLite database, in a process group of its own
    (as a terminal's foreground job is, so a signal to the group is what Ctrl-C sends)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
           "LMS_INSTANCE_PATH": str(tmp_path), "PATH": f"{BIN}:{os.environ['PATH']}"}
    env.pop("MAIL_SERVER", None)
    subprocess.run([BIN / "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    process = subprocess.Popen(["bash", "scripts/serve.sh", str(BIN), "127.0.0.1", str(port), "1"],
                               cwd=ROOT, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: answers(f"http://127.0.0.1:{port}/healthz")), "never served"
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_ctrl_c_stops_the_web_server_and_the_mail_worker(served):
    members = group_members(served.pid).values()
    assert any("gunicorn" in m for m in members)
    assert any("outbox send --loop" in m for m in members)
    assert any("jobs work --loop" in m for m in members)

    os.killpg(served.pid, signal.SIGINT)
    assert served.wait(timeout=30) == 0
    assert wait_until(lambda: group_members(served.pid) == {}, 10), group_members(served.pid)


def test_when_the_job_worker_dies_the_web_server_is_stopped_too(served):
    worker = next(pid for pid, command in group_members(served.pid).items()
                  if "jobs work --loop" in command)
    os.kill(worker, signal.SIGKILL)
    assert served.wait(timeout=30) != 0
    assert wait_until(lambda: group_members(served.pid) == {}, 10), group_members(served.pid)


def test_when_the_mail_worker_dies_the_web_server_is_stopped_too(served):
    worker = next(pid for pid, command in group_members(served.pid).items()
                  if "outbox send --loop" in command)
    os.kill(worker, signal.SIGKILL)
    assert served.wait(timeout=30) != 0
    assert wait_until(lambda: group_members(served.pid) == {}, 10), group_members(served.pid)

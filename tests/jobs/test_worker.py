"""The job worker outlives its troubles, as the mail worker does."""

import os
import signal
import subprocess
import sys

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from lms.jobs import services
from lms.jobs.models import ExportJob, JobState
from lms.jobs.worker import JobWorker


def test_the_job_worker_survives_a_database_outage_and_then_makes_the_export(
        app, db, make_user, monkeypatch, caplog, tmp_path):
    app.config["EXPORT_DIR"] = str(tmp_path)
    admin = make_user(role="admin")
    services.request_audit_export(admin, {}, "en", "Europe/Budapest")
    db.session.commit()
    real = services.work_once
    passes = []

    def flaky(*args, **kwargs):
        passes.append(len(passes))
        if len(passes) == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        if len(passes) == 3:
            worker.stop()
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "work_once", flaky)
    worker = JobWorker(0.01, echo=lambda _text: None)
    worker.run()
    assert len(passes) == 3 and "job pass failed" in caplog.text
    db.session.remove()
    assert db.session.scalar(sa.select(ExportJob.state)) == JobState.DONE


def test_the_job_worker_stops_cleanly_on_sigterm(app, database_url, tmp_path):
    env = dict(os.environ, DATABASE_URL=database_url, LMS_INSTANCE_PATH=str(tmp_path),
               FLASK_APP="lms")
    env.pop("TEST_DATABASE_URL", None)
    worker = subprocess.Popen([sys.executable, "-m", "flask", "jobs", "work", "--loop", "2"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        assert "Job worker" in worker.stdout.readline()
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, output
    assert "Job worker stopped." in output and "Traceback" not in output

"""Export jobs: asked for on a page, made by the job worker, downloaded by who asked."""

import csv
import io
import re
import zipfile
from datetime import date, timedelta

import pypdf
import pytest
import sqlalchemy as sa
import time_machine

from lms.audit import presentation
from lms.audit import services as audit
from lms.audit.models import AuditEntry
from lms.certificates.services import issue_all
from lms.clock import utcnow, zone
from lms.exports import csv_bytes
from lms.i18n import speaking
from lms.jobs import exporters, services
from lms.jobs.models import ExportJob, JobKind, JobState


@pytest.fixture(autouse=True)
def export_dir(app, tmp_path):
    app.config["EXPORT_DIR"] = str(tmp_path / "exports")
    return tmp_path / "exports"


@pytest.fixture
def admin(make_user):
    return make_user(role="admin", full_name="Kovács Anna")


def _ask_audit(client, auth, admin, **filters):
    auth.login(admin)
    response = client.submit("/manage/exports/audit-log", filters, page="/manage/audit")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/manage/exports/")
    return _latest_job(admin).id


def _latest_job(user) -> ExportJob:
    from lms.extensions import db

    db.session.remove()
    return db.session.scalar(sa.select(ExportJob).where(ExportJob.requested_by_id == user.id)
                             .order_by(ExportJob.id.desc()).limit(1))


def _job(job_id: int) -> ExportJob:
    from lms.extensions import db

    db.session.remove()
    return db.session.get(ExportJob, job_id)


def _download(client, job_id: int):
    """The download's response, read and closed (a sent file is held open until then)."""
    response = client.get(f"/manage/exports/{job_id}/download")
    response.get_data()
    response.close()
    return response


def _rows(data: bytes, separator: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=separator))


def test_the_whole_audit_log_is_made_by_the_worker_and_downloaded_as_csv(
        client, auth, admin, make_user, monkeypatch):
    for n in range(12):
        make_user(full_name=f"Trainee {n}")
    monkeypatch.setattr(audit, "EXPORT_BATCH", 5)  # many keyset batches, a few entries
    job_id = _ask_audit(client, auth, admin)
    page = client.get("/manage/exports/").get_data(as_text=True)
    assert "Waiting for the worker" in page and "Check again" in page
    assert 'http-equiv="refresh"' not in page  # never reloads by itself (WCAG 2.2.1)

    assert services.work_once("worker-1") == 1
    entries = _job(job_id)
    count = audit.db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    assert entries.state == JobState.DONE and entries.progress_done == count
    where = zone("Europe/Budapest")
    with speaking("en", where):  # what the page's CSV would hold, made now
        expected = csv_bytes(presentation.csv_header(where),
                             presentation.csv_rows(audit.export(where=where), where))

    page = client.get("/manage/exports/").get_data(as_text=True)
    assert "Ready" in page and f"{count} of {count} entries" in page
    assert "Check again" not in page  # nothing more to wait for
    response = _download(client, job_id)
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data == expected
    labels = {row[3] for row in _rows(response.data)[1:]}
    assert {f"Person Trainee {n}" for n in range(12)} <= labels
    # who asked for it and who downloaded it are in the log
    events = audit.db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "event").order_by(AuditEntry.id)).all()
    assert [(e.event, e.actor_id) for e in events[-2:]] == [("export", admin.id),
                                                            ("download", admin.id)]
    assert events[-1].changes["export_job"] == [None, job_id]
    log = client.get("/manage/audit").get_data(as_text=True)
    assert "Export number" in log and "forras-audit-log.csv" in log


def test_the_audit_export_keeps_the_filters_and_speaks_the_requesters_language(
        client, auth, make_user):
    admin = make_user(role="admin", locale="hu")
    make_user(email="kiss@example.org", full_name="Kiss Boglárka")
    job_id = _ask_audit(client, auth, admin, entity="User", since="2027-01-01",
                        until="not a date")
    job = _job(job_id)
    assert job.parameters["entity"] == "User" and job.parameters["until"] == ""
    services.work_once("worker-1")
    rows = _rows(_download(client, job_id).data, ";")  # Hungarian Excel's separator
    assert rows[0][0] == "Időpont (Europe/Budapest)"
    assert {row[9] for row in rows[1:]} == {"User"}
    assert "Kiss Boglárka" in " ".join(row[3] for row in rows[1:])


def test_a_job_whose_worker_died_is_claimed_again_and_finished(client, auth, admin):
    job_id = _ask_audit(client, auth, admin)
    assert services.claim_next("dead-worker") == job_id  # then the worker is killed
    assert services.claim_next("other-worker") is None  # its lease still holds
    with time_machine.travel(utcnow() + timedelta(seconds=61)):
        assert services.work_once("other-worker") == 1
    finished = _job(job_id)
    assert (finished.state, finished.attempts, finished.worker) == (
        JobState.DONE, 2, "other-worker")
    assert _download(client, job_id).status_code == 200


def test_a_job_interrupted_too_often_fails_and_says_so(client, auth, admin):
    job_id = _ask_audit(client, auth, admin)
    moment = utcnow()
    for attempt in range(3):
        with time_machine.travel(moment + timedelta(minutes=2 * attempt)):
            assert services.claim_next(f"worker-{attempt}") == job_id
    with time_machine.travel(moment + timedelta(minutes=10)):
        assert services.work_once("worker-4") == 0
    failed = _job(job_id)
    assert (failed.state, failed.attempts) == (JobState.FAILED, 3)
    page = client.get("/manage/exports/").get_data(as_text=True)
    assert "Failed" in page
    assert "The worker making it stopped 3 times without finishing" in page
    assert f"/manage/exports/{job_id}/download" not in page


def test_a_job_that_keeps_failing_is_retried_then_failed_with_its_error(
        client, auth, admin, monkeypatch):
    def broken(_job, _out, progress):
        progress(0, 10)
        raise RuntimeError("disk full")

    monkeypatch.setitem(exporters.WRITERS, JobKind.AUDIT_CSV, broken)
    monkeypatch.setattr(services, "WRITERS", exporters.WRITERS)
    job_id = _ask_audit(client, auth, admin)
    services.work_once("worker-1")
    failed = _job(job_id)
    assert (failed.state, failed.attempts) == (JobState.FAILED, 3)
    page = client.get("/manage/exports/").get_data(as_text=True)
    assert "The export failed 3 times: RuntimeError: disk full" in page
    assert not list(services.export_dir().iterdir())  # no half-written file left


def test_progress_is_shown_while_the_job_runs(client, auth, admin):
    job_id = _ask_audit(client, auth, admin)
    services.claim_next("worker-1")
    services.Heartbeat(job_id, "worker-1", lambda: False)(12_000, 705_000)
    page = client.get("/manage/exports/").get_data(as_text=True)
    assert "Being made" in page and "12,000 of 705,000 entries" in page
    assert re.search(r'<progress max="100" value="1"', page)
    assert 'href="/manage/exports/#still-making">Check again' in page


def test_a_heartbeat_after_another_worker_took_the_job_stops_the_first(client, auth, admin):
    job_id = _ask_audit(client, auth, admin)
    services.claim_next("slow-worker")
    with time_machine.travel(utcnow() + timedelta(seconds=61)):
        services.claim_next("fast-worker")
    with pytest.raises(services.LeaseLost):
        services.Heartbeat(job_id, "slow-worker", lambda: False)(10, 10)


def test_a_stopped_worker_puts_its_job_back_without_counting_an_attempt(client, auth, admin):
    job_id = _ask_audit(client, auth, admin)
    assert services.claim_next("worker-1") == job_id
    services.run_job(job_id, "worker-1", should_stop=lambda: True)
    back = _job(job_id)
    assert (back.state, back.attempts, back.worker) == (JobState.QUEUED, 0, "")


def test_only_the_requester_downloads_an_export(client, auth, admin, make_user):
    job_id = _ask_audit(client, auth, admin)
    services.work_once("worker-1")
    auth.logout()
    auth.login(make_user(role="admin"))
    assert _download(client, job_id).status_code == 404
    assert f"/manage/exports/{job_id}/download" not in client.get(
        "/manage/exports/").get_data(as_text=True)


def test_a_download_before_the_file_is_ready_says_so(client, auth, admin):
    job_id = _ask_audit(client, auth, admin)
    response = client.get(f"/manage/exports/{job_id}/download", follow_redirects=True)
    assert "This export is not ready yet." in response.get_data(as_text=True)


def test_files_expire_but_the_job_stays_on_record(client, auth, admin):
    job_id = _ask_audit(client, auth, admin)
    services.work_once("worker-1")
    stored = services.export_dir() / _job(job_id).stored_as
    assert stored.is_file()
    with time_machine.travel(utcnow() + timedelta(days=8)):
        services.work_once("worker-1")
    assert not stored.exists() and _job(job_id).state == JobState.EXPIRED
    page = client.get("/manage/exports/").get_data(as_text=True)
    assert "Removed after 7 days" in page
    response = client.get(f"/manage/exports/{job_id}/download", follow_redirects=True)
    assert "This export was removed after 7 days: ask for it again." in response.get_data(
        as_text=True)


def test_all_registers_of_a_year_come_in_one_zip(client, auth, closed_run):
    run, admin, _enrolments = closed_run()
    name = f"001-register-{run.course.code}-{run.id}"
    auth.login(admin)
    year = date.today().year
    response = client.submit("/manage/exports/registers",
                             {"centre": run.centre_id, "year": year}, page="/manage/exports/")
    assert response.status_code == 302
    job = _latest_job(admin)
    job_id = job.id
    assert job.progress_total == 1
    services.work_once("worker-1")
    response = _download(client, job_id)
    assert response.status_code == 200
    assert f"registers-RAZ-{year}.zip" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        assert names == [f"{name}.xlsx", f"{name}.pdf"]
        pdf = pypdf.PdfReader(io.BytesIO(archive.read(names[1])))
        assert "Мария Петрова" in "".join(page.extract_text() for page in pdf.pages)


def test_registers_of_a_year_without_closed_runs_are_refused_next_to_the_field(
        client, auth, closed_run):
    run, admin, _enrolments = closed_run()
    auth.login(admin)
    for year, message in ((2001, "No closed run of this centre began in 2001."),
                          (9999, "Enter a year between 2000 and 2200."),
                          ("NaN", "Not a valid integer value.")):
        response = client.submit("/manage/exports/registers",
                                 {"centre": run.centre_id, "year": year},
                                 page="/manage/exports/")
        assert response.status_code == 200
        assert message in response.get_data(as_text=True), year
    assert _latest_job(admin) is None


def test_a_centre_administrator_asks_only_for_their_centres_registers(
        client, auth, db, closed_run, make_user, make_centre):
    run, _admin, _enrolments = closed_run()
    scoped = make_user(role="admin")
    scoped.centre_id = make_centre().id
    db.session.commit()
    auth.login(scoped)
    assert f'value="{run.centre_id}"' not in client.get("/manage/exports/").get_data(
        as_text=True)
    response = client.submit("/manage/exports/registers",
                             {"centre": run.centre_id, "year": date.today().year},
                             page="/manage/exports/")
    assert response.status_code == 200 and _latest_job(scoped) is None


def test_a_big_bulk_print_is_made_in_the_background(app, client, auth, closed_run, db):
    run, admin, _enrolments = closed_run()
    issue_all(run, admin, date.today())
    db.session.commit()
    app.config["BULK_PRINT_JOB_THRESHOLD"] = 1
    auth.login(admin)
    page = client.get(f"/manage/runs/{run.id}/certificates").get_data(as_text=True)
    assert "prepared in the background" in page
    response = client.submit(f"/manage/runs/{run.id}/certificates/print-job", {},
                             page=f"/manage/runs/{run.id}/certificates")
    assert response.status_code == 302
    job_id = _latest_job(admin).id
    assert "0 of 2 certificates" in client.get("/manage/exports/").get_data(as_text=True)
    services.work_once("worker-1")
    response = _download(client, job_id)
    assert response.headers["Content-Type"] == "application/pdf"
    assert len(pypdf.PdfReader(io.BytesIO(response.data)).pages) == 2


def test_the_worker_command_makes_what_waits(app, client, auth, admin):
    job_id = _ask_audit(client, auth, admin)
    status = app.test_cli_runner().invoke(args=["jobs", "status"])
    assert "1 export waiting or being made." in status.output
    assert f"#{job_id} audit_csv queued 0/" in status.output
    result = app.test_cli_runner().invoke(args=["jobs", "work"])
    assert result.exit_code == 0 and "Exports made: 1." in result.output
    assert _job(job_id).state == JobState.DONE


def test_two_workers_at_once_make_each_job_once(app, client, auth, admin):
    """Two workers polling the same queue together: every job is made by one of them,
    in one attempt (PostgreSQL: SKIP LOCKED; both: the claim is a conditional UPDATE)."""
    import threading

    from lms.extensions import db

    auth.login(admin)
    for _n in range(4):
        client.submit("/manage/exports/audit-log", {}, page="/manage/audit")
    errors, made = [], {}
    start = threading.Barrier(2, timeout=5)

    def work(name: str) -> None:
        try:
            with app.app_context():
                start.wait()
                made[name] = services.work_once(name)
                db.session.remove()
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(made.values()) == 4
    db.session.remove()
    jobs = db.session.scalars(sa.select(ExportJob)).all()
    assert [(job.state, job.attempts) for job in jobs] == [(JobState.DONE, 1)] * 4


def test_the_exports_page_asks_the_same_number_of_queries_for_few_or_many_jobs(
        client, auth, db, admin, make_run, make_centre, query_counter):
    auth.login(admin)

    def add_jobs(count: int) -> None:
        for _n in range(count):
            run = make_run()
            db.session.add_all([
                ExportJob(kind=JobKind.BULK_PRINT, requested_by_id=admin.id,
                          centre_id=run.centre_id, parameters={"run_id": run.id}),
                ExportJob(kind=JobKind.REGISTERS_ZIP, requested_by_id=admin.id,
                          centre_id=make_centre().id, parameters={"year": 2026}),
                ExportJob(kind=JobKind.AUDIT_CSV, requested_by_id=admin.id, parameters={})])
        db.session.commit()

    add_jobs(1)
    with query_counter() as few:
        assert client.get("/manage/exports/").status_code == 200
    add_jobs(8)
    with query_counter() as many:
        page = client.get("/manage/exports/").get_data(as_text=True)
    assert page.count("Waiting for the worker") == 27
    assert len(many) == len(few)

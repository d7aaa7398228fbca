"""An administrator reading a person's full profile, exporting their data or downloading
an evidence pack that holds them is an "access" event, listed in the person's export."""

import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.jobs import services as jobs
from lms.jobs.models import ExportJob, JobKind
from lms.privacy.export import personal_data


def _access_events(db, person):
    return db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.event == "access", AuditEntry.entity == "User",
        AuditEntry.entity_id == person.id).order_by(AuditEntry.id)).all()


def test_reading_exporting_and_evidence_are_listed_in_the_persons_export(
        app, client, auth, db, certificate_world, tmp_path):
    app.config["EXPORT_DIR"] = str(tmp_path / "exports")
    world = certificate_world
    trainee, admin = world["users"]["trainee"], world["users"]["admin"]
    run_id = world["ids"]["closed_run_id"]
    auth.login(admin)
    assert client.get(f"/manage/users/{trainee.id}/edit").status_code == 200
    assert client.get(f"/manage/runs/{run_id}/roster.csv").status_code == 200
    assert client.get(f"/runs/{run_id}/register.csv").status_code == 200
    # the evidence pack, asked for, made by the job worker and downloaded
    client.submit(f"/manage/runs/{run_id}/evidence-pack-job", {}, page=f"/manage/runs/{run_id}")
    assert jobs.work_once("worker-1") >= 1  # the pack (and any other job waiting)
    job_id = db.session.scalar(sa.select(ExportJob.id).where(
        ExportJob.kind == JobKind.EVIDENCE_PACK).order_by(ExportJob.id.desc()).limit(1))
    pack = client.get(f"/manage/exports/{job_id}/download")
    pack.close()
    assert pack.status_code == 200
    db.session.add_all([trainee, admin])  # the worker ended the session they were loaded in
    events = _access_events(db, trainee)
    assert [e.actor_id for e in events] == [admin.id] * 4
    whats = [e.label for e in events]
    assert whats[0] == "manage/users/edit"
    assert whats[1].startswith("roster-") and whats[2].startswith("register-")
    assert whats[3].endswith(".zip")
    listed = personal_data(trainee)["access_events"]
    assert [item["what"] for item in listed] == whats
    assert {item["by"] for item in listed} == {admin.full_name}
    # the roster, register and pack hold the run's other people too: each is told
    other = db.session.scalars(sa.select(AuditEntry.entity_id).where(
        AuditEntry.event == "access", AuditEntry.entity_id != trainee.id)).all()
    assert len(set(other)) == 2 and admin.id not in other


def test_the_log_page_says_who_read_whose_data(client, auth, db, world):
    trainee, admin = world["users"]["trainee"], world["users"]["admin"]
    auth.login(admin)
    client.get(f"/manage/users/{trainee.id}/edit")
    html = client.get("/manage/audit").get_data(as_text=True)
    assert f"{admin.full_name} read or exported the data of" in html


def test_ones_own_data_is_no_access_event(client, auth, db, world):
    trainee = world["users"]["trainee"]
    auth.login(trainee)
    client.get("/profile/my-data.json")
    assert _access_events(db, trainee) == []

"""The evidence pack of a closed run: what an auditor unpacks, checks with
`sha256sum`, and reads on its cover."""

import hashlib
import io
import json
import zipfile
from datetime import date

import pypdf
import pytest
import sqlalchemy as sa

from lms.attendance.models import AttendanceStatus
from lms.attendance.services import MarkInput, mark_session
from lms.audit.chain import head
from lms.audit.models import AuditEntry
from lms.certificates import services as certificates
from lms.clock import utcnow
from lms.enrolment import services as enrolment
from lms.errors import DomainError
from lms.evidence.services import upload_signed_sheet
from lms.extensions import db
from lms.jobs import services as jobs
from lms.jobs.models import ExportJob, JobKind, JobState
from tests.conftest import tiny_pdf


def unpack(response) -> tuple[str, dict[str, bytes]]:
    """The pack's folder name and its files by path inside the folder."""
    with response:
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert response.mimetype == "application/zip"
        data = response.get_data()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        folder = names[0].split("/")[0]
        assert all(name.startswith(f"{folder}/") for name in names)
        return folder, {n.removeprefix(f"{folder}/"): archive.read(n) for n in names}


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def audited_run(db, closed_run):
    """A closed run with what an audit looks for: certificates (one revoked and
    reissued, one revoked), a signed sheet replaced with a reason, and a mark corrected after
    closing by an administrator."""
    run, admin, (maria, tunde, ivan) = closed_run(language="hu", style="default")
    first, second, *_rest = run.sessions
    upload_signed_sheet(first, tiny_pdf(200), "alairasok.pdf", admin, utcnow())
    upload_signed_sheet(first, tiny_pdf(300), "alairasok-jo.pdf", admin, utcnow(),
                        reason="Az első szkennelés hiányos volt")
    upload_signed_sheet(second, tiny_pdf(250), "masodik.pdf", admin, utcnow())
    today = date.today()
    issued = certificates.issue_all(run, admin, today)
    certificates.revoke(issued[0], admin, "Elírt név")
    certificates.reissue(issued[0], admin, today)
    certificates.revoke(issued[1], admin, "A képzés feltételei nem teljesültek")
    # Iván was in fact there on the last day: corrected after closing, with the reason.
    mark_session(run.sessions[-1], [MarkInput(ivan.id, AttendanceStatus.PRESENT)], admin,
                 utcnow(), reason="A jelenléti ív szerint jelen volt")
    db.session.commit()
    return run, admin


@pytest.fixture(autouse=True)
def export_dir(app, tmp_path):
    app.config["EXPORT_DIR"] = str(tmp_path / "exports")


def download(client, auth, run, admin, queued=lambda: None):
    """The pack as an administrator gets it: asked for, made by the job worker, downloaded
    (`queued` is called between the asking and the making)."""
    if client.get("/manage/exports/").status_code != 200:
        auth.login(admin)
    client.submit(f"/manage/runs/{run.id}/evidence-pack-job", {}, page=f"/manage/runs/{run.id}")
    queued()
    assert jobs.work_once("worker-1") == 1
    job_id = db.session.scalar(sa.select(ExportJob.id).order_by(ExportJob.id.desc()).limit(1))
    response = client.get(f"/manage/exports/{job_id}/download")
    db.session.add_all([run, admin])  # the worker ended the session they were loaded in
    return response


def test_the_pack_holds_every_file_an_auditor_asks_for(client, auth, audited_run):
    run, admin = audited_run
    folder, files = unpack(download(client, auth, run, admin))
    assert folder == f"forras-evidence-{run.course.code}-run{run.id}"
    names = set(files)
    assert {"00-cover.pdf", "manifest.json", "SHA256SUMS", "register/register.pdf",
            "register/register.xlsx", "register/attendance-changes.csv",
            "roster/enrolments.csv", "roster/enrolment-history.csv",
            "audit/audit-extract.csv"} <= names
    days = [s.date.isoformat() for s in run.sessions]
    for number, day in enumerate(days, start=1):
        assert f"sessions/{number:02d}-{day}/sign-in-sheet.pdf" in names
    first = [n for n in names if n.startswith(f"sessions/01-{days[0]}/signed-sheet-")]
    assert len(first) == 2 and sum(n.endswith("-replaced.pdf") for n in first) == 1
    assert not any(n.startswith(f"sessions/03-{days[2]}/signed-sheet-") for n in names)
    certificate_files = sorted(n for n in names if n.startswith("certificates/"))
    year = date.today().year
    prefix = f"certificates/{run.centre.serial_prefix}-{year}"
    # Mária's first replaced by her reissue, Tünde's revoked, Mária's reissue valid.
    assert certificate_files == [f"{prefix}-0001-superseded.pdf", f"{prefix}-0002-revoked.pdf",
                                 f"{prefix}-0003.pdf"]


def test_every_file_matches_the_manifest_and_sha256sums(client, auth, audited_run):
    run, admin = audited_run
    _folder, files = unpack(download(client, auth, run, admin))
    manifest = json.loads(files["manifest.json"])
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(files) - {"manifest.json", "SHA256SUMS", "00-cover.pdf"}
    for path, entry in listed.items():
        assert hashlib.sha256(files[path]).hexdigest() == entry["sha256"], path
        assert entry["bytes"] == len(files[path]) and entry["description"]
    # `sha256sum -c SHA256SUMS` reads "<hash>  <path>" lines, the manifest's own included.
    sums = dict(reversed(line.split("  ", 1)) for line in
                files["SHA256SUMS"].decode().splitlines())
    assert set(sums) == set(listed) | {"manifest.json"}
    for path, digest in sums.items():
        assert hashlib.sha256(files[path]).hexdigest() == digest, path
    assert manifest["run"]["funding"] == "Швейцарско-българска програма за сътрудничество"
    counts = manifest["counts"]
    assert (counts["sessions"], counts["signed_sheets"], counts["signed_sheets_missing"]) \
        == (4, 2, 2)
    assert (counts["certificates_valid"], counts["certificates_revoked"],
            counts["certificates_superseded"]) == (1, 1, 1)
    revoked = next(f for p, f in listed.items() if p.endswith("-revoked.pdf"))
    assert revoked["reason"] == "A képzés feltételei nem teljesültek"
    assert counts["corrections_after_closing"] == 1
    replaced = next(f for p, f in listed.items() if p.endswith("-replaced.pdf"))
    assert replaced["reason"] == "Az első szkennelés hiányos volt"
    assert replaced["original_filename"] == "alairasok.pdf"


def test_the_cover_is_one_page_with_the_manifest_hash_and_chain_head(client, auth, db,
                                                                      audited_run):
    run, admin = audited_run
    chain = []  # the log's head when the worker makes the pack (after the request's entry)
    _folder, files = unpack(download(client, auth, run, admin,
                                     queued=lambda: chain.extend(head(db.session.connection()))))
    seq, chain_hash = chain
    pages, text = pdf_text(files["00-cover.pdf"])
    flat = "".join(text.split())
    assert pages == 1
    assert hashlib.sha256(files["manifest.json"]).hexdigest() in flat
    assert chain_hash in flat and str(seq) in text
    assert "Bizonyítékcsomag" in text  # the run speaks Hungarian
    assert "Швейцарско-българска програма за сътрудничество" in text
    assert "sha256sum -c SHA256SUMS" in text


def test_the_pack_shows_the_correction_made_after_closing(client, auth, audited_run):
    run, admin = audited_run
    _folder, files = unpack(download(client, auth, run, admin))
    changes = files["register/attendance-changes.csv"].decode("utf-8-sig").splitlines()
    late = [line for line in changes if "A jelenléti ív szerint jelen volt" in line]
    assert len(late) == 1 and late[0].endswith(";igen")  # Hungarian: ";"
    assert sum(line.endswith(";nem") for line in changes) >= 12  # the marks at the time
    _pages, register = pdf_text(files["register/register.pdf"])
    assert "†" in register


def test_the_download_is_in_the_audit_log_with_the_packs_hash(client, auth, db, audited_run):
    run, admin = audited_run
    with download(client, auth, run, admin) as response:
        data = response.get_data()
    event = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.event == "download")
                               .order_by(AuditEntry.id.desc())).first()
    assert (event.entity, event.entity_id, event.actor_id) == ("Run", run.id, admin.id)
    assert event.changes["sha256"] == [None, hashlib.sha256(data).hexdigest()]


def test_the_old_direct_address_offers_the_job_and_builds_nothing(client, auth, db,
                                                                   audited_run):
    run, admin = audited_run
    auth.login(admin)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    response = client.get(f"/manage/runs/{run.id}/evidence-pack.zip")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert f'action="/manage/runs/{run.id}/evidence-pack-job"' in page
    assert "Prepare the evidence pack (ZIP)" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExportJob)) == 0


def test_the_same_run_gives_the_same_manifest(client, auth, audited_run):
    run, admin = audited_run
    _folder, first = unpack(download(client, auth, run, admin))
    _folder, again = unpack(download(client, auth, run, admin))
    assert first["manifest.json"] == again["manifest.json"]
    assert {p: d for p, d in first.items() if p != "00-cover.pdf"} \
        == {p: d for p, d in again.items() if p != "00-cover.pdf"}


def test_a_scan_gone_from_the_directory_is_named_not_fatal(app, client, auth, db, tmp_path,
                                                            closed_run):
    app.config["SIGNED_SHEET_DIR"] = str(tmp_path / "sheets")
    run, admin, _enrolments = closed_run()
    sheet = upload_signed_sheet(run.sessions[0], tiny_pdf(200), "ív.pdf", admin, utcnow())
    db.session.commit()
    gone = tmp_path / "sheets" / sheet.blob_sha256
    gone.chmod(0o644)
    gone.unlink()
    path = f"sessions/01-{run.sessions[0].date.isoformat()}/signed-sheet-{sheet.id}.pdf"
    _folder, files = unpack(download(client, auth, run, admin))
    manifest = json.loads(files["manifest.json"])
    assert manifest["missing_from_storage"] == [path] and path not in files
    _pages, cover = pdf_text(files["00-cover.pdf"])
    assert path in "".join(cover.split())


def test_an_open_run_has_no_pack_yet(client, auth, world):
    auth.login(world["users"]["admin"])
    response = client.get(f"/manage/runs/{world['ids']['published_run_id']}/evidence-pack.zip",
                          follow_redirects=True)
    assert "The evidence pack is made for a closed run" in response.get_data(as_text=True)


def test_the_run_page_offers_the_pack_once_closed(client, auth, audited_run):
    run, admin = audited_run
    auth.login(admin)
    page = client.get(f"/manage/runs/{run.id}").get_data(as_text=True)
    assert f'action="/manage/runs/{run.id}/evidence-pack-job"' in page
    assert "Prepare the evidence pack (ZIP)" in page


def test_the_pack_is_made_in_the_background_and_downloaded_when_ready(
        app, client, auth, audited_run, tmp_path):
    run, admin = audited_run
    run_id, code = run.id, run.course.code
    folder_name = f"forras-evidence-{code}-run{run_id}"
    app.config["EXPORT_DIR"] = str(tmp_path / "exports")
    auth.login(admin)
    response = client.submit(f"/manage/runs/{run_id}/evidence-pack-job", {},
                             page=f"/manage/runs/{run_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/manage/exports/")
    exports = client.get("/manage/exports/").get_data(as_text=True)
    assert f"Evidence pack of {code} #{run_id} (ZIP)" in exports
    assert "Waiting for the worker" in exports
    assert jobs.work_once("worker-1") == 1
    db.session.remove()
    job = db.session.scalar(sa.select(ExportJob).order_by(ExportJob.id.desc()).limit(1))
    assert job.kind == JobKind.EVIDENCE_PACK and job.state == JobState.DONE
    assert f"{job.progress_done} of {job.progress_total} files" in client.get(
        "/manage/exports/").get_data(as_text=True)
    folder, files = unpack(client.get(f"/manage/exports/{job.id}/download"))
    assert folder == folder_name
    assert {"00-cover.pdf", "manifest.json", "SHA256SUMS",
            "register/register.pdf"} <= set(files)
    sums = files["SHA256SUMS"].decode()
    assert hashlib.sha256(files["manifest.json"]).hexdigest() in sums
    downloads = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "Run", AuditEntry.entity_id == run_id,
        AuditEntry.label == f"{folder}.zip")).all()
    assert len(downloads) == 2  # asked for, then downloaded


def test_an_open_run_gets_no_pack_job(client, auth, world):
    auth.login(world["users"]["admin"])
    run_id = world["ids"]["published_run_id"]
    response = client.submit(f"/manage/runs/{run_id}/evidence-pack-job", {},
                             page=f"/manage/runs/{run_id}", follow_redirects=True)
    assert "The evidence pack is made for a closed run" in response.get_data(as_text=True)
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExportJob).where(
        ExportJob.kind == JobKind.EVIDENCE_PACK)) == 0


def test_after_closing_a_trainer_cannot_correct_and_an_admin_gives_a_reason(
        db, closed_run, make_user):
    trainer = make_user(role="trainer")
    run, admin, (_maria, _tunde, ivan) = closed_run(trainer=trainer)
    session = run.sessions[-1]
    with pytest.raises(DomainError) as refused:
        mark_session(session, [MarkInput(ivan.id, AttendanceStatus.PRESENT)], trainer,
                     utcnow(), reason="Tévedés")
    assert "only an administrator" in str(refused.value)
    with pytest.raises(DomainError) as refused:
        mark_session(session, [MarkInput(ivan.id, AttendanceStatus.PRESENT)], admin, utcnow())
    assert refused.value.field == "reason"


def test_a_closed_run_keeps_its_capacity(db, closed_run):
    run, _admin, _enrolments = closed_run()
    capacity = run.capacity
    with pytest.raises(DomainError) as refused:
        enrolment.change_capacity(run, capacity + 5)
    assert "closed run cannot be changed" in str(refused.value)
    assert run.capacity == capacity

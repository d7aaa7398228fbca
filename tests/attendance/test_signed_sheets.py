"""Signed sign-in sheets: upload, refusal of what is not a scan, replacement with a
reason, download as evidence, and the "Signed sheet missing" flags."""

import io
import os
import stat
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from lms.attendance.models import AttendanceStatus
from lms.attendance.services import MarkInput, mark_session
from lms.audit.models import AuditEntry
from lms.enrolment.services import enrol
from lms.evidence.models import DocumentBlob, SignedSheet
from lms.trainers.models import TrainerRole
from lms.trainers.services import assign_trainer
from tests.conftest import at, tiny_pdf

TODAY = date.today()


def text(response) -> str:
    return response.get_data(as_text=True)


def image(fmt: str, size=(60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def upload(client, session, data: bytes, name: str = "sheet.pdf", **fields):
    page = f"/sessions/{session.id}/attendance"
    return client.submit(f"/sessions/{session.id}/signed-sheet",
                         {"sheet": (io.BytesIO(data), name), **fields}, page=page,
                         content_type="multipart/form-data")


@pytest.fixture
def setup(db, make_user, make_course, make_run):
    """A 24-hour run: two sessions past, two ahead; its trainer, an admin, a trainee."""
    start = TODAY - timedelta(days=2)
    run = make_run(course=make_course(total_hours=24),
                   sessions=[(start + timedelta(days=i), time(9), time(15), 360)
                             for i in range(4)])
    trainer = make_user(role="trainer", full_name="Horváth Gábor")
    assign_trainer(run, trainer, TrainerRole.LEAD)
    admin = make_user(role="admin", full_name="Nagy Irén")
    trainee = make_user(full_name="Szőke Tünde")
    enrol(trainee, run, at(start - timedelta(days=5), time(8)), by=admin)
    db.session.commit()
    return run, trainer, admin, trainee


def sheets(db):
    return db.session.scalars(sa.select(SignedSheet).order_by(SignedSheet.id)).all()


def blobs(db):
    return db.session.scalars(sa.select(DocumentBlob)).all()


@pytest.mark.parametrize("kind, media_type", [("pdf", "application/pdf"),
                                               ("png", "image/png"),
                                               ("jpeg", "image/jpeg")])
def test_trainer_uploads_a_scan_and_downloads_it_as_an_attachment(
        client, auth, db, setup, kind, media_type):
    run, trainer, *_ = setup
    session = run.sessions[0]
    data = tiny_pdf() if kind == "pdf" else image(kind.upper())
    auth.login(trainer)
    response = upload(client, session, data, f"scan.{kind}", )
    assert response.status_code == 302
    page = text(client.get(f"/sessions/{session.id}/attendance"))
    assert "Uploaded by Horváth Gábor" in page and "Download the signed sheet" in page
    sheet, = sheets(db)
    assert sheet.media_type == media_type and sheet.filename == f"scan.{kind}"
    download = client.get(f"/sessions/{session.id}/signed-sheets/{sheet.id}")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == media_type
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    if kind == "pdf":
        assert download.data == data
    else:  # re-encoded by Forrás, still the same picture
        assert Image.open(io.BytesIO(download.data)).size == (60, 40)


TRUNCATED_PNG = image("PNG", (300, 300))[:120]


@pytest.mark.parametrize("data, name, message", [
    (b"<html><script>alert(1)</script></html>", "sheet.pdf", "Upload a PDF, JPEG or PNG"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "sheet.svg", "Upload a PDF, JPEG or PNG"),
    (b"", "sheet.pdf", "Choose the scan"),
    (TRUNCATED_PNG, "sheet.png", "The file cannot be read"),
    (b"%PDF-1.7\nnot really a pdf", "sheet.pdf", "The file cannot be read"),
    (b"%PDF-" + b"0" * 3000, "big.pdf", "The file is larger than"),
], ids=["html-named-pdf", "svg", "empty", "truncated-png", "broken-pdf", "too-big"])
def test_what_is_not_a_readable_scan_is_refused_next_to_the_field(
        app, client, auth, db, setup, data, name, message):
    run, trainer, *_ = setup
    app.config["SIGNED_SHEET_MAX_BYTES"] = 2048
    auth.login(trainer)
    response = upload(client, run.sessions[0], data, name)
    assert response.status_code == 400
    html = text(response)
    field = html.split('id="sheet-heading"')[1]
    assert message in field and 'aria-invalid="true"' in field
    assert sheets(db) == [] and blobs(db) == []


def test_an_image_with_too_many_pixels_is_refused(client, auth, db, setup, monkeypatch):
    run, trainer, *_ = setup
    monkeypatch.setattr("lms.evidence.services.MAX_SHEET_PIXELS", 100)
    auth.login(trainer)
    response = upload(client, run.sessions[0], image("PNG"), "bomb.png")
    assert response.status_code == 400 and "too many pixels" in text(response)
    assert sheets(db) == []


def test_a_body_past_the_request_limit_gets_the_friendly_413_page(app, client, auth, setup):
    run, trainer, *_ = setup
    auth.login(trainer)
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = upload(client, run.sessions[0], b"%PDF-" + b"0" * 8000)
    assert response.status_code == 413 and "larger than Forrás accepts" in text(response)


def test_identical_bytes_are_stored_once(client, auth, db, setup):
    run, trainer, *_ = setup
    auth.login(trainer)
    data = tiny_pdf()
    assert upload(client, run.sessions[0], data).status_code == 302
    assert upload(client, run.sessions[1], data).status_code == 302
    assert len(sheets(db)) == 2 and len(blobs(db)) == 1


def test_a_replacement_needs_a_reason_and_keeps_the_old_sheet(client, auth, db, setup):
    run, trainer, admin, _trainee = setup
    session = run.sessions[0]
    auth.login(trainer)
    upload(client, session, tiny_pdf(200))
    refused = upload(client, session, tiny_pdf(300))
    assert refused.status_code == 400 and "Say why the signed sheet is replaced" in text(refused)
    assert len(sheets(db)) == 1
    auth.logout()
    auth.login(admin)
    done = upload(client, session, tiny_pdf(300), reason="Page 2 was missing")
    assert done.status_code == 302
    old, new = sheets(db)
    assert old.replaced_at is not None and old.replaced_by_id == admin.id
    assert new.replaced_at is None and len(blobs(db)) == 2
    page = text(client.get(f"/sessions/{session.id}/attendance"))
    assert "Earlier versions" in page and "because: Page 2 was missing" in page
    assert "Uploaded by Nagy Irén" in page
    replaced = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "SignedSheet", AuditEntry.action == "update")).one()
    assert replaced.entity_id == old.id and replaced.reason == "Page 2 was missing"
    assert replaced.actor_id == admin.id
    # the old one still downloads
    assert client.get(f"/sessions/{session.id}/signed-sheets/{old.id}").status_code == 200


def test_others_cannot_upload_or_download(client, auth, db, setup, make_user, make_centre):
    run, trainer, *_ = setup
    session = run.sessions[0]
    auth.login(trainer)
    upload(client, session, tiny_pdf())
    sheet, = sheets(db)
    auth.logout()
    scoped = make_user(role="admin")
    scoped.centre_id = make_centre().id  # an administrator of another centre
    db.session.commit()
    outsiders = [
        (make_user(), 403),  # a trainee
        (make_user(role="trainer"), 403),  # a trainer of no session of this run
        (scoped, 404),
    ]
    for user, status in outsiders:
        auth.login(user)
        assert client.get(f"/sessions/{session.id}/signed-sheets/{sheet.id}"
                          ).status_code == status
        response = client.submit(f"/sessions/{session.id}/signed-sheet",
                                 {"sheet": (io.BytesIO(tiny_pdf(300)), "x.pdf")}, page="/",
                                 content_type="multipart/form-data")
        assert response.status_code == status
        auth.logout()
    assert len(sheets(db)) == 1


def test_uploads_and_downloads_are_in_the_audit_log_without_the_bytes(client, auth, db, setup):
    run, trainer, *_ = setup
    session = run.sessions[0]
    auth.login(trainer)
    data = tiny_pdf()
    upload(client, session, data)
    sheet, = sheets(db)
    client.get(f"/sessions/{session.id}/signed-sheets/{sheet.id}")
    entries = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity.in_(("SignedSheet", "DocumentBlob")))).all()
    kinds = {(e.entity, e.action, e.event) for e in entries}
    assert {("SignedSheet", "create", ""), ("DocumentBlob", "create", ""),
            ("SignedSheet", "event", "download")} <= kinds
    blob_entry = next(e for e in entries if e.entity == "DocumentBlob")
    assert blob_entry.changes["sha256"][1] == sheet.blob_sha256
    assert "content" not in blob_entry.changes
    assert all("%PDF" not in str(e.changes) for e in entries)
    assert all(e.actor_id == trainer.id for e in entries)


def test_hostile_file_names_never_fail(client, auth, db, setup):
    run, trainer, *_ = setup
    auth.login(trainer)
    for name in ("a\x00b.pdf", "../../etc/passwd\x00.pdf", "ő" * 5000 + ".pdf",
                 "<b>ő;|:*?.pdf"):
        response = upload(client, run.sessions[0], tiny_pdf(), name,
                          reason="again" if sheets(db) else "")
        assert response.status_code == 302, text(response).split('id="sheet-heading"')[-1]
    for sheet in sheets(db):
        assert "\x00" not in sheet.filename and len(sheet.filename) <= 120
        assert "/" not in sheet.filename and "|" not in sheet.filename


def test_a_directory_keeps_the_bytes_when_configured(app, client, auth, db, setup, tmp_path):
    run, trainer, *_ = setup
    app.config["SIGNED_SHEET_DIR"] = str(tmp_path / "sheets")
    auth.login(trainer)
    data = tiny_pdf()
    upload(client, run.sessions[0], data)
    sheet, = sheets(db)
    stored = tmp_path / "sheets" / sheet.blob_sha256
    assert stored.read_bytes() == data and sheet.blob.content is None
    assert not os.stat(stored).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert os.listdir(tmp_path / "sheets") == [sheet.blob_sha256]  # no temporary left
    assert client.get(f"/sessions/{run.sessions[0].id}/signed-sheets/{sheet.id}").data == data

    # A file lost from the directory (a restore without it) is a 404, not a crash.
    os.chmod(stored, stat.S_IWUSR)
    stored.unlink()
    lost = client.get(f"/sessions/{run.sessions[0].id}/signed-sheets/{sheet.id}")
    assert lost.status_code == 404


def test_past_sessions_without_a_sheet_are_flagged(client, auth, db, setup):
    run, trainer, admin, _trainee = setup
    auth.login(trainer)
    mine = text(client.get("/trainer/sessions"))
    assert mine.count("Signed sheet missing") == 2  # the two past sessions, not the others
    upload(client, run.sessions[0], tiny_pdf())
    mine = text(client.get("/trainer/sessions"))
    assert mine.count("Signed sheet missing") == 1
    register = text(client.get(f"/runs/{run.id}/register"))
    assert register.count("Signed sheet missing") == 1


def test_closing_a_run_says_how_many_sheets_are_missing(client, auth, db, make_user,
                                                       make_course, make_run):
    day = TODAY - timedelta(days=3)
    run = make_run(course=make_course(total_hours=12),
                   sessions=[(day, time(9), time(15), 360),
                             (day + timedelta(days=1), time(9), time(15), 360)])
    admin = make_user(role="admin")
    entry = enrol(make_user(), run, at(day - timedelta(days=5), time(8)), by=admin)
    for session in run.sessions:
        mark_session(session, [MarkInput(entry.id, AttendanceStatus.PRESENT)], admin,
                     session.ends)
    db.session.commit()
    auth.login(admin)
    register = text(client.get(f"/runs/{run.id}/register"))
    assert "2 sessions have no signed sign-in sheet." in register
    upload(client, run.sessions[0], tiny_pdf())
    response = client.submit(f"/manage/runs/{run.id}/close", {},
                             page=f"/runs/{run.id}/register", follow_redirects=True)
    page = text(response)
    assert "The run is closed" in page and "1 session has no signed sign-in sheet." in page


def test_my_sessions_and_register_queries_do_not_grow_with_sessions(
        client, auth, db, make_user, make_course, make_run, query_counter):
    trainer = make_user(role="trainer")

    def count_for(n: int, weeks_ago: int) -> tuple[int, int]:
        start = TODAY - timedelta(weeks=weeks_ago)
        run = make_run(course=make_course(total_hours=6 * n),
                       sessions=[(start + timedelta(days=i), time(9), time(15), 360)
                                 for i in range(n)])
        assign_trainer(run, trainer, TrainerRole.LEAD)
        db.session.commit()
        client.get("/trainer/sessions")  # warm up
        with query_counter() as mine:
            client.get("/trainer/sessions")
        with query_counter() as register:
            client.get(f"/runs/{run.id}/register")
        return len(mine), len(register)

    auth.login(trainer)
    few = count_for(2, 4)
    many = count_for(6, 2)
    assert many == few

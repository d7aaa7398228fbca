"""Sign-in sheets and registers come from the PDF cache when nothing they show changed,
and are rendered afresh the moment anything did (lms.pdf.cached_pdf)."""

import io
import os
from datetime import UTC, datetime, timedelta

import pypdf
import pytest

from lms import pdf
from lms.attendance.models import AttendanceStatus
from lms.attendance.services import MarkInput, mark_session, session_roster
from lms.attendance.sign_in_sheet import render_sign_in_sheet
from lms.clock import utcnow
from lms.enrolment.services import enrol


@pytest.fixture
def cache_dir(app, tmp_path):
    folder = tmp_path / "pdf-cache"
    app.config.update(PDF_CACHE_DIR=str(folder), PDF_CACHE_DAYS=14)
    return folder


@pytest.fixture
def renders(monkeypatch):
    """How many documents WeasyPrint laid out."""
    calls = []
    real = pdf._render

    def counting(*args):
        calls.append(args[0])
        return real(*args)

    monkeypatch.setattr(pdf, "_render", counting)
    return calls


def text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def cached_files(folder) -> list:
    return sorted(folder.glob("*/*.pdf"))


def test_a_reprinted_sheet_is_read_from_the_cache_and_a_new_trainee_makes_a_new_one(
        db, cache_dir, renders, make_user, make_run):
    run = make_run(capacity=10)
    session = run.sessions[0]
    trainer = make_user(role="trainer", full_name="Horváth Gábor")
    before = datetime.now(UTC) - timedelta(minutes=1)
    for name in ("Szőke Tünde", "Мария Петрова"):
        enrol(make_user(full_name=name), run, before)
    first = render_sign_in_sheet(session, session_roster(session), [trainer])
    again = render_sign_in_sheet(session, session_roster(session), [trainer])
    assert again == first and len(renders) == 1 and len(cached_files(cache_dir)) == 1

    enrol(make_user(full_name="Lőrincz Ödön"), run, before)
    third = render_sign_in_sheet(session, session_roster(session), [trainer])
    assert len(renders) == 2 and len(cached_files(cache_dir)) == 2
    assert "Lőrincz Ödön" in text(third) and "Lőrincz Ödön" not in text(first)


def test_a_mark_corrected_after_closing_gives_a_new_register_pdf(
        client, auth, db, cache_dir, renders, closed_run):
    run, admin, (_maria, _tunde, ivan) = closed_run()
    auth.login(admin)
    url = f"/runs/{run.id}/register.pdf"
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert client.get(url).data == first.data and len(renders) == 1

    # Iván was there on the last day after all: the register must say so at once.
    mark_session(run.sessions[-1], [MarkInput(ivan.id, AttendanceStatus.PRESENT)], admin,
                 utcnow(), reason="A jelenléti ív szerint jelen volt")
    db.session.commit()
    corrected = client.get(url)
    assert len(renders) == 2
    ivan_before = [line for line in text(first.data).splitlines() if "Иван" in line]
    ivan_after = [line for line in text(corrected.data).splitlines() if "Иван" in line]
    assert ivan_before and ivan_after and ivan_before != ivan_after


def test_with_the_cache_off_every_print_is_rendered_and_nothing_kept(
        app, db, cache_dir, renders, make_user, make_run):
    app.config["PDF_CACHE_DAYS"] = 0
    run = make_run()
    session = run.sessions[0]
    enrol(make_user(full_name="Szőke Tünde"), run, datetime.now(UTC) - timedelta(minutes=1))
    for _ in range(2):
        render_sign_in_sheet(session, session_roster(session), [])
    assert len(renders) == 2 and not cache_dir.exists()


def test_the_key_changes_with_the_html_the_sheets_and_the_renderer(app, monkeypatch):
    key = pdf.cache_key("<p>a</p>", ("pdf/sign-in-sheet.css",), "pdf/sheet-ua.css", {})
    assert key == pdf.cache_key("<p>a</p>", ("pdf/sign-in-sheet.css",), "pdf/sheet-ua.css", {})
    assert key != pdf.cache_key("<p>b</p>", ("pdf/sign-in-sheet.css",), "pdf/sheet-ua.css", {})
    assert key != pdf.cache_key("<p>a</p>", (), "pdf/sheet-ua.css", {})
    monkeypatch.setitem(pdf._static_digests, app.static_folder, "edited stylesheet")
    assert key != pdf.cache_key("<p>a</p>", ("pdf/sign-in-sheet.css",), "pdf/sheet-ua.css", {})
    monkeypatch.undo()
    monkeypatch.setattr(pdf.weasyprint, "__version__", "999.0")
    assert key != pdf.cache_key("<p>a</p>", ("pdf/sign-in-sheet.css",), "pdf/sheet-ua.css", {})


def test_pdfs_unused_for_the_keeping_days_are_removed(app, cache_dir, monkeypatch):
    monkeypatch.setattr(pdf, "_last_sweep", {})
    stale = cache_dir / "ab" / ("ab" + "0" * 62 + ".pdf")
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"%PDF-old")
    month_ago = stale.stat().st_mtime - 30 * 86400  # the file system's clock, not the suite's
    os.utime(stale, (month_ago, month_ago))
    fresh = pdf.render_pdf("<p>Jelenléti ív</p>", cache=True)
    assert not stale.exists()
    assert [p.read_bytes() for p in cached_files(cache_dir)] == [fresh]


def test_a_cache_that_cannot_be_written_still_gives_the_pdf(app, tmp_path, renders):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    app.config.update(PDF_CACHE_DIR=str(blocker), PDF_CACHE_DAYS=14)
    data = pdf.render_pdf("<p>Jelenléti ív</p>", cache=True)
    assert "Jelenléti ív" in text(data) and len(renders) == 1

"""Each role's week, walked in a real browser against a live server, in Hungarian and
in Bulgarian (issue 17): a trainee, a trainer and an administrator, with axe-core
checking every page they are shown (`axe`, tests/e2e/conftest.py).

Selectors lean on ids, names, hrefs and form actions; where a text must be read
it is asked from the application's own gettext in the journey's language, so the
tests hold whether or not the translations are compiled. Days pass with
`time_machine.travel`: the live server runs in this process, on the same clock.
"""

import hashlib
import io
import json
import re
import zipfile
from datetime import time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from pypdf import PdfReader

from lms.attendance.models import AttendanceStatus
from lms.attendance.services import MarkInput, close_run, mark_session
from lms.certificates.models import Certificate
from lms.certificates.services import issue_all
from lms.clock import today_at, utcnow
from lms.courses.models import Run
from lms.enrolment.models import Enrolment, EnrolmentState
from lms.enrolment.services import enrol
from lms.jobs import services as jobs
from lms.trainers.models import TrainerRole
from lms.trainers.services import assign_trainer
from tests.conftest import BUDAPEST, at, parse_ics, tiny_pdf
from tests.e2e.conftest import (
    flash_text,
    fresh,
    login,
    screenshot,
    skip_without_browser,
    submit_form,
)

skip_without_browser()

NEW_PASSWORD = "tavaszi-zápor-2026-erdő"
# The newcomer of the trainee's journey, named as in the journey's language.
NEWCOMER = {"hu": "Kovács Anna", "bg": "Анна Ковачева"}


def _sessions(first_day, count, hours=6):
    return [
        (first_day + timedelta(days=i), time(9), time(9 + hours), hours * 60) for i in range(count)
    ]


def _follow(page, axe, locator) -> None:
    """Click a link (or a button) that leads to another page, and check that page."""
    with page.expect_navigation():
        locator.click()
    axe.check(page)


def _download(page, locator) -> bytes:
    """Click a download link; the file's bytes."""
    with page.expect_download() as info:
        locator.click()
    return Path(info.value.path()).read_bytes()


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-"), data[:20]
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


# ---------------------------------------------------------------- 1. the trainee's week


@pytest.mark.parametrize("language", ["hu", "bg"])
def test_trainee_registers_is_waitlisted_promoted_and_downloads_calendar_and_certificate(
    language, db, audited_page, axe, make_user, make_centre, make_course, make_run, tr,
    outbox_link,
):
    today = today_at(utcnow(), BUDAPEST)
    centre = make_centre(name="Szolnoki Forrásközpont", city="Szolnok")
    short = make_course(total_hours=24, title="Közösségfejlesztés a gyakorlatban")
    long = make_course(total_hours=60, title="Közösségi szociális szolgáltatások")
    first_day = today + timedelta(days=12)
    run = make_run(course=short, centre=centre, capacity=1, sessions=_sessions(first_day, 4))
    make_run(course=long, centre=centre)
    admin = make_user(role="admin")
    holder = make_user(full_name="Második Gábor")
    name = NEWCOMER[language]

    # Another trainee takes the only place first.
    other = audited_page(language)
    login(other, holder.email, axe=axe)
    other.goto(f"/courses/{short.code}")
    axe.check(other)
    submit_form(other, f"/runs/{run.id}/enrol")
    axe.check(other)
    assert tr(
        language,
        "You have a place in %(course)s. We have sent the details with a calendar file "
        "to %(email)s.",
        course=short.title, email=holder.email,
    ) in flash_text(other)

    # A newcomer registers through the form, in the browser's language ...
    page = audited_page(language)
    page.goto("/register")
    axe.check(page)
    form = page.locator("main form[method=post]")
    email = f"anna.{language}@example.org"
    form.locator("[name=full_name]").fill(name)
    form.locator("[name=email]").fill(email)
    form.locator("[name=password]").fill(NEW_PASSWORD)
    form.locator("[name=confirm]").fill(NEW_PASSWORD)
    form.locator("[name=organisation]").fill("Család- és Gyermekjóléti Központ")
    form.locator("[name=settlement]").fill("Szolnok")
    _follow(page, axe, form.locator("button[type=submit]"))
    assert page.locator("html").get_attribute("lang") == language
    # ... and confirms her address from the e-mail's link (read from the outbox).
    assert "check-your-inbox" in page.url, page.inner_text("main")
    assert email in page.inner_text("main")  # where the link went, and for how long
    page.goto(outbox_link(email, "confirm_email"))
    axe.check(page)
    assert "/register" not in page.url, page.inner_text("main")

    # The catalogue, filtered to 24-hour courses and an accent-free search.
    page.goto("/")
    axe.check(page)
    filters = page.locator("form[role=search]")
    filters.locator("[name=format]").select_option("24")
    filters.locator("[name=q]").fill("kozossegfejlesztes")
    _follow(page, axe, filters.locator("button[type=submit]"))
    assert "format=24" in page.url
    cards = page.locator(".run-card")
    assert cards.count() == 1
    assert short.title in cards.inner_text()
    assert long.title not in page.inner_text("main")

    # The run is full: she can only join the waitlist, and is told her place in it.
    _follow(page, axe, cards.locator("h3 a"))
    button = page.locator(f'form[action="/runs/{run.id}/enrol"] button[type=submit]')
    assert tr(language, "Join the waitlist") in button.inner_text()
    _follow(page, axe, button)
    assert tr(
        language,
        "%(course)s is full: you are number %(position)d on the waitlist. If a seat "
        "frees, it goes to the first in line, and we tell you by e-mail at once.",
        course=short.title,
        position=1,
    ) in flash_text(page)
    mine = page.locator(
        "article.run-detail", has=page.locator(f'a[href="/courses/{short.code}#run-{run.id}"]')
    )
    assert tr(language, "Waitlist no. %(position)d", position=1) in mine.inner_text()
    fresh(db)
    newcomer = db.session.scalar(
        sa.select(Enrolment).where(Enrolment.run_id == run.id, Enrolment.user_id != holder.id)
    )
    assert newcomer.state == EnrolmentState.WAITLISTED

    # The other cancels her place on My trainings; the next page first says the seat
    # goes to the one waiting ...
    other.goto("/my/")
    axe.check(other)
    taken = db.session.scalar(
        sa.select(Enrolment).where(Enrolment.run_id == run.id, Enrolment.user_id == holder.id)
    )
    _follow(other, axe, other.locator(f'main a[href="/enrolments/{taken.id}/cancel"]'))
    assert name in other.locator(".effects").inner_text()
    cancel = other.locator(f'form[action="/enrolments/{taken.id}/cancel"]')
    cancel.locator("textarea[name=reason]").fill("Nem tudok elmenni.")
    _follow(other, axe, cancel.locator("button[type=submit]"))
    assert tr(
        language, "Your enrolment in %(course)s is cancelled. We have sent you a "
        "confirmation by e-mail; you can enrol again on the course page while enrolment is "
        "open.", course=short.title
    ) in flash_text(other)

    # ... and the newcomer is promoted at once, as her My trainings says.
    page.goto("/my/")
    axe.check(page)
    article = page.locator(
        "article.run-detail", has=page.locator(f'a[href="/courses/{short.code}#run-{run.id}"]')
    )
    assert tr(language, "Enrolled") in article.inner_text()
    assert tr(language, "Waitlist no. %(position)d", position=1) not in article.inner_text()
    assert short.title in page.locator(".notice-list").inner_text()

    # Her calendar file holds the run's four sessions, at the centre's times.
    calendar = parse_ics(_download(page, article.locator("a.calendar-link")).decode())
    events = calendar.walk("VEVENT")
    assert sorted(e.decoded("DTSTART").date() for e in events) == [
        s.date for s in run.sessions
    ]
    assert {e.decoded("DTSTART").time() for e in events} == {time(9)}
    assert all(short.title in str(e["SUMMARY"]) for e in events)
    screenshot(page, f"journey1-promoted-{language}")

    # The week of the training: she attends every session, the run is closed and the
    # certificates issued (the administrator's journey does that in the browser).
    last = run.sessions[-1]
    with time_machine.travel(at(last.date + timedelta(days=1), time(10)), tick=True):
        fresh(db)
        for session in run.sessions:
            mark_session(session, [MarkInput(newcomer.id, AttendanceStatus.PRESENT)], admin,
                         session.ends)
        close_run(run, admin)
        issue_all(run, admin, last.date + timedelta(days=1))
        db.session.commit()

        # Her certificate is on My trainings: a PDF with her name and the course.
        page.goto("/my/")
        axe.check(page)
        certificates = page.locator('section[aria-labelledby="certificates-heading"]')
        link = certificates.locator('a[href^="/certificates/"][href$=".pdf"]')
        assert link.count() == 1
        text = _pdf_text(_download(page, link))
        assert name in text
        assert short.title in re.sub(r"\s+", " ", text)
    axe.assert_clean()


# ---------------------------------------------------------------- 2. the trainer's week

# What My runs lists (ngettext's singular and plural).
TO_MARK = ("%(num)d session to mark:", "%(num)d sessions to mark:")
SHEETS_MISSING = ("%(num)d session has no signed sign-in sheet:",
                  "%(num)d sessions have no signed sign-in sheet:")


@pytest.mark.parametrize("language", ["bg", "hu"])
def test_trainer_finds_their_run_marks_uploads_the_signed_sheet_and_reads_the_register(
    language, db, audited_page, axe, make_user, make_course, make_run, tr, hours_in
):
    today = today_at(utcnow(), BUDAPEST)
    admin = make_user(role="admin")
    trainer = make_user(role="trainer", full_name="Петър Николов")
    run = make_run(
        course=make_course(total_hours=24, title="Работа със семейства в риск"),
        sessions=_sessions(today, 4),
        enrolment_closes=today - timedelta(days=2),
    )
    assign_trainer(run, trainer, TrainerRole.LEAD)
    before = at(today - timedelta(days=5), time(8))
    names = ["Мария Петрова", "Szőke Tünde", "Иван Георгиев"]
    enrolments = [enrol(make_user(full_name=name), run, before, by=admin) for name in names]
    db.session.commit()
    late = enrolments[1]
    session_today = run.sessions[0]
    marking = f"/sessions/{session_today.id}/attendance"

    # The trainer finds the run on "My runs", from the navigation: today's session is
    # the one to mark.
    page = audited_page(language)
    login(page, trainer.email, axe=axe)
    _follow(page, axe, page.locator('nav a[href="/trainer/runs"]'))
    summary = page.locator("section.run-summary", has_text=run.course.title)
    assert summary.count() == 1
    to_mark = summary.locator("li", has_text=tr(language, *TO_MARK, 1))
    _follow(page, axe, to_mark.locator(f'a[href="{marking}"]'))

    # "Mark all present" fills the form; one trainee came late and stayed 2.5 hours.
    _follow(page, axe, page.locator(f'a[href*="{marking}?all=present"]'))
    for e in enrolments:
        assert page.locator(f"#status-{e.id}").input_value() == AttendanceStatus.PRESENT.value
    page.locator(f"#status-{late.id}").select_option(AttendanceStatus.LATE.value)
    page.locator(f"#hours-{late.id}").fill("2.5")
    # the marking form (the signed sheet's comes after it)
    _follow(page, axe, page.locator("main form[method=post] button[type=submit]").first)
    assert tr(language, "Attendance saved: %(count)d marks changed.", count=3) in flash_text(page)
    assert page.locator(f"#status-{late.id}").input_value() == AttendanceStatus.LATE.value
    assert page.locator(f"#hours-{late.id}").input_value() in ("2.5", "2.50")

    # After the session My runs asks for its signed sign-in sheet; she scans and uploads it.
    with time_machine.travel(at(today, time(16)), tick=True):
        page.goto("/trainer/runs")
        axe.check(page)
        summary = page.locator("section.run-summary", has_text=run.course.title)
        missing = summary.locator("li", has_text=tr(language, *SHEETS_MISSING, 1))
        assert tr(language, *TO_MARK, 1) not in summary.inner_text()
        _follow(page, axe, missing.locator(f'a[href="{marking}"]'))
        assert tr(language, "Signed sheet missing") in page.locator("#signed-sheet").inner_text()
        upload = page.locator(f'form[action="/sessions/{session_today.id}/signed-sheet"]')
        upload.locator("input[name=sheet]").set_input_files(
            {"name": "jelenleti-iv.pdf", "mimeType": "application/pdf", "buffer": tiny_pdf()}
        )
        _follow(page, axe, upload.locator("button[type=submit]"))
        assert tr(language, "The signed sign-in sheet is saved.") in flash_text(page)
        sheet = page.locator("#signed-sheet")
        assert trainer.full_name in sheet.inner_text()
        assert "jelenleti-iv.pdf" in sheet.inner_text()

        # My runs has nothing left to ask for that day; its link opens the run register.
        page.goto("/trainer/runs")
        axe.check(page)
        summary = page.locator("section.run-summary", has_text=run.course.title)
        assert tr(language, *SHEETS_MISSING, 1) not in summary.inner_text()
        row = summary.locator("tbody tr", has_text="Szőke Tünde")
        assert hours_in(language, 2.5) in row.inner_text()
        _follow(page, axe, summary.locator(f'a[href="/runs/{run.id}/register"]'))

    # The run register shows her 2.5 hours (2,5 in Hungarian) and the others' 6.
    row = page.locator("table.register-matrix tbody tr", has_text="Szőke Tünde")
    cells = row.locator("td.num").all_inner_texts()
    assert cells[0].strip().startswith(hours_in(language, 2.5))
    assert cells[-2].strip() != ""  # the percentage column
    assert hours_in(language, 2.5) in row.inner_text()
    other = page.locator("table.register-matrix tbody tr", has_text="Мария Петрова")
    assert other.locator("td.num").first.inner_text().strip() == hours_in(language, 6)
    screenshot(page, f"journey2-register-{language}")
    axe.assert_clean()


# ---------------------------------------------------------------- 3. the administrator's week


def _fill_session(page, day, starts, ends, hours, topic) -> None:
    form = page.locator('form[action$="/sessions#add-session"]')
    form.locator("[name=date]").fill(day.isoformat())
    form.locator("[name=starts_at]").fill(starts)
    form.locator("[name=ends_at]").fill(ends)
    form.locator("[name=hours]").fill(str(hours))
    form.locator("[name=topic]").fill(topic)


@pytest.mark.parametrize("language", ["hu", "bg"])
def test_admin_builds_a_run_closes_it_issues_prints_and_answers_an_auditor(
    language, db, audited_page, axe, make_user, make_centre, make_course, tr
):
    today = today_at(utcnow(), BUDAPEST)
    first_day = today + timedelta(days=5)  # next Monday
    admin = make_user(role="admin", email=f"admin.{language}@example.org")
    lead = make_user(role="trainer", full_name="Petrik Zsófia")
    co = make_user(role="trainer", full_name="Петър Николов")
    course = make_course(total_hours=24, title="Közösségfejlesztési alapismeretek")
    centre = make_centre(name="Szolnoki Forrásközpont", serial_prefix="SZO", city="Szolnok")
    names = ["Szőke Tünde", "Мария Петрова", "Nagy Péter"]
    trainees = [make_user(full_name=name) for name in names]

    # The administrator picks the language in the header (it sticks to her profile).
    page = audited_page("en")
    login(page, admin.email, axe=axe)
    header_form = page.locator("form.language-form")
    header_form.locator("select[name=language]").select_option(language)
    _follow(page, axe, header_form.locator("button[type=submit]"))
    assert page.locator("html").get_attribute("lang") == language

    # She builds the run: its form, then its four sessions, then publishes it.
    page.goto("/manage/")
    axe.check(page)
    _follow(page, axe, page.locator('nav.subnav a[href="/manage/runs/"]'))
    _follow(page, axe, page.locator('main a[href="/manage/runs/new"]'))
    form = page.locator("main form[method=post]")
    form.locator("[name=course_id]").select_option(str(course.id))
    form.locator("[name=centre_id]").select_option(str(centre.id))
    form.locator("[name=venue]").fill("Kossuth tér 1.")
    form.locator("[name=capacity]").fill("12")
    form.locator("[name=enrolment_closes]").fill((first_day - timedelta(days=2)).isoformat())
    form.locator("[name=language]").select_option(language)
    form.locator("[name=certificate_style]").select_option(
        "tanusitvany" if language == "hu" else "razgrad")
    _follow(page, axe, form.locator("button[type=submit]"))
    assert tr(language, "The run is saved.") in flash_text(page)
    run_path = re.search(r"/manage/runs/(\d+)", page.url)
    run_id = int(run_path.group(1))
    for number in range(4):
        _fill_session(page, first_day + timedelta(days=number), "09:00", "15:00", 6,
                      f"{number + 1}. modul")
        _follow(page, axe, page.locator(
            'form[action$="/sessions#add-session"] button[type=submit]'))
        assert tr(language, "The session is added.") in flash_text(page)
    assert page.locator("#sessions tbody tr").count() == 4
    _follow(page, axe, page.locator(
        f'form[action="/manage/runs/{run_id}/publish"] button[type=submit]'))
    assert tr(language, "The run is published and open in the catalogue.") in flash_text(page)

    # She assigns the lead trainer to every session, a co-trainer to the last two.
    _follow(page, axe, page.locator(f'main a[href="/manage/runs/{run_id}/trainers"]'))
    assign = page.locator("main form[method=post]")
    assign.locator("[name=trainer_id]").select_option(str(lead.id))
    assign.locator("[name=role]").select_option(TrainerRole.LEAD.value)
    _follow(page, axe, assign.locator("button[type=submit]"))
    assert lead.full_name in flash_text(page)
    assign = page.locator("main form[method=post]")
    assign.locator("[name=trainer_id]").select_option(str(co.id))
    assign.locator("[name=role]").select_option(TrainerRole.CO_TRAINER.value)
    boxes = assign.locator("input[name=sessions]")
    assert boxes.count() == 4
    boxes.nth(2).check()
    boxes.nth(3).check()
    _follow(page, axe, assign.locator("button[type=submit]"))
    rows = page.locator("main table tbody tr")
    assert rows.count() == 2
    assert tr(language, "All sessions") in rows.filter(has_text=lead.full_name).inner_text()
    assert tr(language, "All sessions") not in rows.filter(has_text=co.full_name).inner_text()

    # Trainees enrol, the week of the training passes, the trainers mark every session.
    fresh(db)
    run = db.session.get(Run, run_id)
    enrolments = [enrol(t, run, utcnow()) for t in trainees]
    db.session.commit()
    last_day = first_day + timedelta(days=3)
    with time_machine.travel(at(last_day + timedelta(days=1), time(9)), tick=True):
        for session in run.sessions:
            marker = co if session.date >= first_day + timedelta(days=2) else lead
            mark_session(session, [MarkInput(e.id, AttendanceStatus.PRESENT)
                                   for e in enrolments], marker, session.ends)
        db.session.commit()

        # Closing first shows, in numbers, what it will do; then the button on that page acts.
        page.goto(f"/runs/{run_id}/register")
        axe.check(page)
        _follow(page, axe, page.locator(f'main a[href="/manage/runs/{run_id}/close"]'))
        assert page.locator(".effects li").count() == 4  # who completes, who not, locks, certs
        assert page.locator(".confirm h3").count() == 0  # everyone completes: nobody to name
        submit_form(page, f"/manage/runs/{run_id}/close")
        axe.check(page)
        assert tr(
            language,
            "The run is closed: %(completed)d of %(total)d trainees completed it.",
            completed=3,
            total=3,
        ) in flash_text(page)

        page.goto(f"/manage/runs/{run_id}/certificates")
        axe.check(page)
        _follow(page, axe, page.locator(
            f'main a[href="/manage/runs/{run_id}/certificates/issue-all"]'))
        assert page.locator(".effects li").count() == 4
        submit_form(page, f"/manage/runs/{run_id}/certificates/issue-all")
        axe.check(page)
        assert tr(language, "Certificates issued: %(count)d. Each trainee can download theirs "
                  "from My trainings; the list below prints them all.",
                  count=3) in flash_text(page)

        # The bulk PDF to print, fetched with the administrator's cookies, names everyone.
        link = page.locator(f'a[href="/manage/runs/{run_id}/certificates.pdf"]')
        response = page.request.get(link.get_attribute("href"))
        assert response.ok
        assert response.headers["content-type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(response.body()))
        assert len(reader.pages) == 3
        text = "\n".join(p.extract_text() for p in reader.pages)
        for name in names:
            assert name in text, f"{name!r} missing from the bulk PDF"
        # Each certificate prints the address where it can be verified; the text may
        # wrap anywhere in it, so it is compared without white space.
        fresh(db)
        codes = {
            c.facts["holder"]: c.verification_code
            for c in db.session.scalars(
                sa.select(Certificate).join(Enrolment).where(Enrolment.run_id == run_id)
            )
        }
        assert sorted(codes) == sorted(names)
        base = page.url.split("/manage/")[0]
        for number, pdf_page in enumerate(reader.pages):
            compact = re.sub(r"\s+", "", pdf_page.extract_text())
            holder = next(n for n in names if n.replace(" ", "") in compact)
            assert f"{base}/v/{codes[holder]}" in compact, f"page {number + 1}: {holder}"
        link = f"{base}/v/{codes['Szőke Tünde']}"

        verify = audited_page(language)  # anyone, without logging in
        verify.goto(link)
        axe.check(verify)
        state = verify.locator(".verify-state")
        assert "verify-valid" in state.get_attribute("class")
        assert tr(language, "Valid") in state.inner_text()
        assert "Szőke Tünde" in verify.inner_text("main")

        # Revoked with a reason, the same address says so.
        row = page.locator("tbody tr", has_text="Szőke Tünde")
        _follow(page, axe, row.locator("a[href*='/revoke']"))  # first what revoking changes
        page.locator("textarea[name=reason]").fill("Hibás születési név")
        _follow(page, axe, page.locator("form[action*='/revoke'] button[type=submit]"))
        assert "badge-cancelled" in page.locator("tbody tr", has_text="Szőke Tünde").inner_html()

        verify.goto(link)
        axe.check(verify)
        state = verify.locator(".verify-state")
        assert "verify-revoked" in state.get_attribute("class")
        assert tr(language, "Revoked") in state.inner_text()
        assert "Hibás születési név" in state.inner_text()
        screenshot(verify, f"journey3-verify-revoked-{language}")

        # An auditor asks for the run's evidence: the pack is queued from the run page,
        # made by the job worker, and downloaded from the Exports page.
        page.goto(f"/manage/runs/{run_id}")
        axe.check(page)
        _follow(page, axe, page.locator(
            f'form[action="/manage/runs/{run_id}/evidence-pack-job"] button[type=submit]'))
        assert page.url.endswith("/manage/exports/")
        assert tr(language, "The evidence pack is queued: it appears below, ready to download "
                  "when made.") in flash_text(page)
        assert jobs.work_once("e2e-worker") == 1
        page.reload()
        axe.check(page)
        download = page.locator('main a[href^="/manage/exports/"][href$="/download"]')
        assert download.count() == 1
        pack = _download(page, download)
    with zipfile.ZipFile(io.BytesIO(pack)) as archive:
        assert archive.testzip() is None
        files = {n.split("/", 1)[1]: archive.read(n) for n in archive.namelist()}
    assert {"00-cover.pdf", "manifest.json", "SHA256SUMS", "register/register.pdf"} <= set(files)
    certificates = sorted(n for n in files if n.startswith("certificates/"))
    assert len(certificates) == 3 and sum(n.endswith("-revoked.pdf") for n in certificates) == 1
    # What the auditor runs: `sha256sum -c SHA256SUMS`, and every file in the manifest.
    for line in files["SHA256SUMS"].decode().splitlines():
        digest, path = line.split("  ", 1)
        assert hashlib.sha256(files[path]).hexdigest() == digest, path
    manifest = json.loads(files["manifest.json"])
    assert manifest["counts"]["sessions"] == 4
    assert "Szőke Tünde" in _pdf_text(files["register/register.pdf"])
    axe.assert_clean()

"""The three journeys of the issue, walked in a real browser against a live server.

Selectors lean on ids, names, hrefs and form actions; where a text must be read
it is asked from the application's own gettext in the journey's language, so the
tests hold whether or not the translations are compiled.
"""

import io
import re
from datetime import time, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from lms.attendance.models import AttendanceStatus
from lms.attendance.services import MarkInput, mark_session
from lms.certificates.models import Certificate
from lms.clock import today_at, utcnow
from lms.enrolment.models import Enrolment, EnrolmentState
from lms.enrolment.services import enrol
from lms.trainers.models import TrainerRole
from lms.trainers.services import assign_trainer
from tests.conftest import BUDAPEST, at
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


def _sessions(first_day, count, hours=6):
    return [
        (first_day + timedelta(days=i), time(9), time(9 + hours), hours * 60) for i in range(count)
    ]


# ---------------------------------------------------------------- 1. enrolment and waitlist


@pytest.mark.parametrize("language", ["hu", "bg"])
def test_trainee_registers_enrols_and_the_waitlist_moves_up(
    language, db, new_page, make_user, make_centre, make_course, make_run, tr, outbox_link
):
    centre = make_centre(name="Szolnoki Forrásközpont", city="Szolnok")
    short = make_course(total_hours=24, title="Közösségfejlesztés a gyakorlatban")
    long = make_course(total_hours=60, title="Közösségi szociális szolgáltatások")
    run = make_run(course=short, centre=centre, capacity=1)
    make_run(course=long, centre=centre)
    second = make_user(full_name="Második Gábor")

    # A newcomer registers through the form, in the browser's language.
    first = new_page(language)
    first.goto("/register")
    form = first.locator("main form[method=post]")
    email = f"anna.{language}@example.org"
    form.locator("[name=full_name]").fill("Kovács Anna")
    form.locator("[name=email]").fill(email)
    form.locator("[name=password]").fill(NEW_PASSWORD)
    form.locator("[name=confirm]").fill(NEW_PASSWORD)
    form.locator("[name=organisation]").fill("Család- és Gyermekjóléti Központ")
    form.locator("[name=settlement]").fill("Szolnok")
    with first.expect_navigation():
        form.locator("button[type=submit]").click()
    assert first.locator("html").get_attribute("lang") == language
    # The address is confirmed from the e-mail's link (read from the outbox).
    if "/register" in first.url and "check-your-inbox" in first.url:
        assert email in first.inner_text("main")  # where the link went, and for how long
        first.goto(outbox_link(email, "confirm_email"))
    assert "/register" not in first.url, first.inner_text("main")

    # The catalogue, filtered to 24-hour courses and an accent-free search.
    first.goto("/")
    filters = first.locator("form[role=search]")
    filters.locator("[name=format]").select_option("24")
    filters.locator("[name=q]").fill("kozossegfejlesztes")
    with first.expect_navigation():
        filters.locator("button[type=submit]").click()
    assert "format=24" in first.url
    cards = first.locator(".run-card")
    assert cards.count() == 1
    assert short.title in cards.inner_text()
    assert long.title not in first.inner_text("main")

    with first.expect_navigation():
        cards.locator("h3 a").click()
    submit_form(first, f"/runs/{run.id}/enrol")
    assert first.url.endswith("/my/")
    assert tr(
        language,
        "You have a place in %(course)s. We have sent the details with a calendar file "
        "to %(email)s.",
        course=short.title, email=email,
    ) in flash_text(first)

    # The second trainee logs in and can only join the waitlist (capacity 1).
    waiting = new_page(language)
    login(waiting, second.email)
    waiting.goto(f"/courses/{short.code}")
    button = waiting.locator(f'form[action="/runs/{run.id}/enrol"] button[type=submit]')
    assert tr(language, "Join the waitlist") in button.inner_text()
    with waiting.expect_navigation():
        button.click()
    assert tr(
        language,
        "%(course)s is full: you are number %(position)d on the waitlist. If a seat "
        "frees, it goes to the first in line, and we tell you by e-mail at once.",
        course=short.title,
        position=1,
    ) in flash_text(waiting)
    mine = waiting.locator(
        "article.run-detail", has=waiting.locator(f'a[href="/courses/{short.code}#run-{run.id}"]')
    )
    assert tr(language, "Waitlist no. %(position)d", position=1) in mine.inner_text()

    # The first cancels her place on My trainings ...
    first.goto("/my/")
    fresh(db)
    mine = db.session.query(Enrolment).filter_by(run_id=run.id, user_id=second.id).one()
    assert mine.state == EnrolmentState.WAITLISTED
    anna = (
        db.session.query(Enrolment)
        .filter(Enrolment.run_id == run.id, Enrolment.user_id != second.id)
        .one()
    )
    # ... the next page first says the seat goes to the one waiting ...
    with first.expect_navigation():
        first.locator(f'main a[href="/enrolments/{anna.id}/cancel"]').click()
    assert second.full_name in first.locator(".effects").inner_text()
    cancel = first.locator(f'form[action="/enrolments/{anna.id}/cancel"]')
    cancel.locator("textarea[name=reason]").fill("Nem tudok elmenni.")
    with first.expect_navigation():
        cancel.locator("button[type=submit]").click()
    assert tr(
        language, "Your enrolment in %(course)s is cancelled. We have sent you a "
        "confirmation by e-mail; you can enrol again on the course page while enrolment is "
        "open.", course=short.title
    ) in flash_text(first)

    # ... and the second is promoted at once, as her My trainings says.
    waiting.goto("/my/")
    article = waiting.locator(
        "article.run-detail", has=waiting.locator(f'a[href="/courses/{short.code}#run-{run.id}"]')
    )
    assert tr(language, "Enrolled") in article.inner_text()
    assert tr(language, "Waitlist no. %(position)d", position=1) not in article.inner_text()
    news = waiting.locator(".notice-list").inner_text()
    assert short.title in news
    screenshot(waiting, f"journey1-waitlist-promoted-{language}")


# ---------------------------------------------------------------- 2. attendance


@pytest.mark.parametrize("language", ["bg", "hu"])
def test_trainer_marks_todays_session(
    language, db, new_page, make_user, make_course, make_run, tr, hours_in
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

    page = new_page(language)
    login(page, trainer.email)
    page.goto("/trainer/sessions")
    today_row = page.locator("tr.today")
    assert today_row.count() == 1
    assert run.course.title in today_row.inner_text()
    with page.expect_navigation():
        today_row.locator(f'a[href="/sessions/{session_today.id}/attendance"]').click()

    # "Mark all present" fills the form; one trainee came late and stayed 2.5 hours.
    with page.expect_navigation():
        page.locator(f'a[href*="/sessions/{session_today.id}/attendance?all=present"]').click()
    for e in enrolments:
        assert page.locator(f"#status-{e.id}").input_value() == AttendanceStatus.PRESENT.value
    page.locator(f"#status-{late.id}").select_option(AttendanceStatus.LATE.value)
    page.locator(f"#hours-{late.id}").fill("2.5")
    with page.expect_navigation():  # the marking form (the signed sheet's comes after it)
        page.locator("main form[method=post] button[type=submit]").first.click()
    assert tr(language, "Attendance saved: %(count)d marks changed.", count=3) in flash_text(page)
    assert page.locator(f"#status-{late.id}").input_value() == AttendanceStatus.LATE.value
    assert page.locator(f"#hours-{late.id}").input_value() in ("2.5", "2.50")

    # The run register shows her 2.5 hours (2,5 in Hungarian) and the others' 6.
    page.goto(f"/runs/{run.id}/register")
    row = page.locator("table.register-matrix tbody tr", has_text="Szőke Tünde")
    cells = row.locator("td.num").all_inner_texts()
    assert cells[0].strip().startswith(hours_in(language, 2.5))
    assert cells[-2].strip() != ""  # the percentage column
    assert hours_in(language, 2.5) in row.inner_text()
    other = page.locator("table.register-matrix tbody tr", has_text="Мария Петрова")
    assert other.locator("td.num").first.inner_text().strip() == hours_in(language, 6)
    screenshot(page, f"journey2-register-{language}")


# ---------------------------------------------------------------- 3. certificates


@pytest.mark.parametrize("language", ["hu", "bg"])
def test_admin_closes_run_issues_prints_and_revokes(
    language, db, new_page, make_user, make_centre, make_course, make_run, tr
):
    today = today_at(utcnow(), BUDAPEST)
    first_day = today - timedelta(days=10)
    admin = make_user(role="admin", email=f"admin.{language}@example.org")
    run = make_run(
        course=make_course(total_hours=24, title="Közösségfejlesztési alapismeretek"),
        centre=make_centre(serial_prefix="SZO", city="Szolnok"),
        certificate_style="tanusitvany" if language == "hu" else "razgrad",
        language=language,
        sessions=_sessions(first_day, 4),
        enrolment_closes=first_day - timedelta(days=2),
    )
    before = at(first_day - timedelta(days=5), time(8))
    names = ["Szőke Tünde", "Мария Петрова", "Nagy Péter"]
    enrolments = [enrol(make_user(full_name=name), run, before, by=admin) for name in names]
    for session in run.sessions:
        mark_session(
            session,
            [MarkInput(e.id, AttendanceStatus.PRESENT) for e in enrolments],
            admin,
            session.ends,
        )
    db.session.commit()

    # The administrator picks the language in the header (it sticks to her profile).
    page = new_page("en")
    login(page, admin.email)
    page.goto(f"/runs/{run.id}/register")
    header_form = page.locator("form.language-form")
    header_form.locator("select[name=language]").select_option(language)
    with page.expect_navigation():
        header_form.locator("button[type=submit]").click()
    assert page.locator("html").get_attribute("lang") == language
    assert page.url.endswith(f"/runs/{run.id}/register")

    # Closing first shows, in numbers, what it will do; then the button on that page acts.
    with page.expect_navigation():
        page.locator(f'main a[href="/manage/runs/{run.id}/close"]').click()
    assert page.locator(".effects li").count() == 4  # who completes, who not, locks, certificates
    assert page.locator(".confirm h3").count() == 0  # everyone completes: nobody to name
    submit_form(page, f"/manage/runs/{run.id}/close")
    assert tr(
        language,
        "The run is closed: %(completed)d of %(total)d trainees completed it.",
        completed=3,
        total=3,
    ) in flash_text(page)

    page.goto(f"/manage/runs/{run.id}/certificates")
    with page.expect_navigation():
        page.locator(f'main a[href="/manage/runs/{run.id}/certificates/issue-all"]').click()
    assert page.locator(".effects li").count() == 4
    submit_form(page, f"/manage/runs/{run.id}/certificates/issue-all")
    assert tr(language, "Certificates issued: %(count)d. Each trainee can download theirs "
              "from My trainings; the list below prints them all.", count=3) in flash_text(page)

    # The bulk PDF, fetched with the administrator's cookies, names everyone.
    href = page.locator(f'a[href="/manage/runs/{run.id}/certificates.pdf"]').get_attribute("href")
    response = page.request.get(href)
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
            sa.select(Certificate).join(Enrolment).where(Enrolment.run_id == run.id)
        )
    }
    assert sorted(codes) == sorted(names)
    base = page.url.split("/manage/")[0]
    for number, pdf_page in enumerate(reader.pages):
        compact = re.sub(r"\s+", "", pdf_page.extract_text())
        holder = next(n for n in names if n.replace(" ", "") in compact)
        assert f"{base}/v/{codes[holder]}" in compact, f"page {number + 1}: no link for {holder}"
    link = f"{base}/v/{codes['Szőke Tünde']}"

    verify = new_page(language)  # anyone, without logging in
    verify.goto(link)
    state = verify.locator(".verify-state")
    assert "verify-valid" in state.get_attribute("class")
    assert tr(language, "Valid") in state.inner_text()
    assert "Szőke Tünde" in verify.inner_text("main")

    # Revoked with a reason, the same address says so.
    page.goto(f"/manage/runs/{run.id}/certificates")
    row = page.locator("tbody tr", has_text="Szőke Tünde")
    with page.expect_navigation():  # first what revoking changes, then the reason
        row.locator("a[href*='/revoke']").click()
    page.locator("textarea[name=reason]").fill("Hibás születési név")
    with page.expect_navigation():
        page.locator("form[action*='/revoke'] button[type=submit]").click()
    assert "badge-cancelled" in page.locator("tbody tr", has_text="Szőke Tünde").inner_html()

    verify.goto(link)
    state = verify.locator(".verify-state")
    assert "verify-revoked" in state.get_attribute("class")
    assert tr(language, "Revoked") in state.inner_text()
    assert "Hibás születési név" in state.inner_text()
    screenshot(verify, f"journey3-verify-revoked-{language}")

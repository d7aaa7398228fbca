import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.enrolment import services
from lms.enrolment.models import Enrolment, EnrolmentState

NOW = datetime.now(UTC)


def text(response) -> str:
    return response.get_data(as_text=True)


def test_trainee_enrols_from_the_course_page(client, auth, db, make_user, make_run):
    run = make_run(capacity=10)
    trainee = make_user(full_name="Török Gyöngyvér", locale="en")  # reads Forrás in English
    auth.login(trainee)
    page = f"/courses/{run.course.code}"
    assert "Enrol" in text(client.get(page))
    response = client.submit(f"/runs/{run.id}/enrol", page=page, follow_redirects=True)
    html = text(response)
    assert "You have a place in" in html
    assert "Your place is confirmed" in html  # the notice on the dashboard
    assert run.sessions[0].topic in html  # upcoming sessions listed
    assert "You have a place in this run." in text(client.get(page))


def test_full_run_puts_the_trainee_on_the_waitlist(client, auth, db, make_user, make_run):
    run = make_run(capacity=1)
    services.enrol(make_user(), run, NOW)
    services.enrol(make_user(), run, NOW)
    db.session.commit()
    auth.login(make_user())
    page = f"/courses/{run.course.code}"
    assert "Join the waitlist" in text(client.get(page))
    html = text(client.submit(f"/runs/{run.id}/enrol", page=page, follow_redirects=True))
    assert "number 2 on the waitlist" in html
    assert "Waitlist no. 2" in html


def test_refusal_is_explained_and_changes_nothing(client, auth, db, make_user, make_run):
    run, trainee = make_run(), make_user()
    services.enrol(trainee, run, NOW)
    db.session.commit()
    auth.login(trainee)
    html = text(
        client.submit(
            f"/runs/{run.id}/enrol", page=f"/courses/{run.course.code}", follow_redirects=True
        )
    )
    assert "You already have a place in this run." in html
    assert db.session.scalar(sa.select(sa.func.count(Enrolment.id))) == 1


def test_closed_window_shows_no_button(client, auth, make_user, make_run):
    run = make_run(enrolment_opens=NOW.date() + timedelta(days=5))
    auth.login(make_user())
    html = text(client.get(f"/courses/{run.course.code}"))
    assert "Enrolment is not open for this run." in html
    assert f"/runs/{run.id}/enrol" not in html


def test_anonymous_visitor_is_invited_to_log_in(client, make_run):
    run = make_run()
    html = text(client.get(f"/courses/{run.course.code}"))
    assert "Log in to enrol" in html


def test_trainee_cancels_and_the_next_one_is_promoted(client, auth, db, make_user, make_run):
    run = make_run(capacity=1)
    holder, waiting = make_user(), make_user(locale="en")  # news in English, like the page
    held = services.enrol(holder, run, NOW)
    queued = services.enrol(waiting, run, NOW)
    db.session.commit()
    auth.login(holder)
    assert f'href="/enrolments/{held.id}/cancel"' in text(client.get("/my/"))
    # First what cancelling does: the seat goes to the first in line, named.
    confirm = text(client.get(f"/enrolments/{held.id}/cancel"))
    assert "You give up your place" in confirm
    assert f"The seat goes at once to {waiting.full_name}, first of 1 on the waitlist" in confirm
    db.session.refresh(held)
    assert held.state == EnrolmentState.ENROLLED  # looking changes nothing
    html = text(
        client.submit(
            f"/enrolments/{held.id}/cancel",
            {"reason": "Beteg vagyok"},
            page=f"/enrolments/{held.id}/cancel",
            follow_redirects=True,
        )
    )
    assert "is cancelled. We have sent you a confirmation by e-mail" in html
    db.session.refresh(queued)
    assert queued.state == EnrolmentState.ENROLLED
    auth.logout()
    auth.login(waiting)
    assert "A place opened for you" in text(client.get("/my/"))


def test_a_trainee_cannot_cancel_someone_elses_enrolment(client, auth, db, make_user, make_run):
    run = make_run()
    other = services.enrol(make_user(), run, NOW)
    db.session.commit()
    auth.login(make_user())
    assert client.submit(f"/enrolments/{other.id}/cancel", page="/my/").status_code == 404
    assert client.get(f"/enrolments/{other.id}/cancel").status_code == 404
    db.session.refresh(other)
    assert other.state == EnrolmentState.ENROLLED


@pytest.fixture
def admin(auth, make_user):
    user = make_user(role="admin", full_name="Kovács Anna")
    auth.login(user)
    return user


def test_roster_shows_every_group_with_who_when_why(client, db, admin, make_user, make_run):
    run = make_run(capacity=1, approval_required=True)
    services.enrol(make_user(full_name="Szőke Tünde"), run, NOW)
    services.enrol(make_user(full_name="Мария Петрова"), run, NOW)
    gone = services.enrol(make_user(full_name="Иван Георгиев"), run, NOW + timedelta(seconds=1))
    services.cancel_enrolment(
        gone, admin, NOW, "Duplikált jelentkezés", services.CancelKind.BY_ADMIN
    )
    db.session.commit()
    html = text(client.get(f"/manage/runs/{run.id}/roster"))
    pending = html.split('id="pending-heading"')[1].split("</section>")[0]
    waitlist = html.split('id="waitlist-heading"')[1].split("</section>")[0]
    cancelled = html.split('id="cancelled-heading"')[1].split("</section>")[0]
    assert "Szőke Tünde" in pending
    assert "Мария Петрова" in waitlist
    assert "Иван Георгиев" in cancelled and "Kovács Anna" in cancelled
    assert "Duplikált jelentkezés" in cancelled


def test_admin_approves_and_refuses(client, db, admin, make_user, make_run):
    run = make_run(capacity=1, approval_required=True)
    first = services.enrol(make_user(), run, NOW)
    second = services.enrol(make_user(), run, NOW)
    db.session.commit()
    roster = f"/manage/runs/{run.id}/roster"
    client.submit(f"/manage/enrolments/{first.id}/refuse", {"reason": ""}, page=roster)
    db.session.refresh(first)
    assert first.state == EnrolmentState.PENDING  # no reason, no refusal
    html = text(
        client.submit(
            f"/manage/enrolments/{first.id}/refuse",
            {"reason": "Nem jogosult"},
            page=roster,
            follow_redirects=True,
        )
    )
    assert "is refused" in html
    db.session.refresh(second)
    assert second.state == EnrolmentState.PENDING  # promoted into the freed seat
    client.submit(f"/manage/enrolments/{second.id}/approve", page=roster)
    db.session.refresh(second)
    assert second.state == EnrolmentState.ENROLLED


def test_admin_enrols_on_behalf_and_changes_capacity(client, db, admin, make_user, make_run):
    run = make_run(capacity=1)
    services.enrol(make_user(), run, NOW)
    trainee = make_user(email="daniel.gulyas@example.org")
    roster = f"/manage/runs/{run.id}/roster"
    html = text(client.submit(f"{roster}/enrol", {"email": "nobody@example.org"}, page=roster))
    assert 'id="email-error"' in html and "No trainee account" in html
    client.submit(f"{roster}/enrol", {"email": "Daniel.Gulyas@example.org"}, page=roster)
    enrolment = services.find_enrolment(trainee, run)
    assert enrolment.state == EnrolmentState.WAITLISTED
    html = text(client.submit(f"/manage/runs/{run.id}/capacity", {"capacity": "0"}, page=roster))
    assert 'id="capacity-error"' in html
    html = text(
        client.submit(
            f"/manage/runs/{run.id}/capacity", {"capacity": "2"}, page=roster, follow_redirects=True
        )
    )
    assert "1 promoted from the waitlist" in html
    db.session.refresh(enrolment)
    assert enrolment.state == EnrolmentState.ENROLLED


def test_roster_csv_neutralises_formulas(client, db, admin, make_user, make_run):
    run = make_run()
    services.enrol(
        make_user(full_name='=HYPERLINK("http://evil")', organisation="+36 1 234"), run, NOW
    )
    services.enrol(make_user(full_name="Lőrincz Ödön"), run, NOW)
    db.session.commit()
    response = client.get(f"/manage/runs/{run.id}/roster.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    names = [row[2] for row in rows[1:]]
    assert "Lőrincz Ödön" in names
    assert '\'=HYPERLINK("http://evil")' in names
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@pytest.mark.parametrize("page", ["roster", "dashboard"])
def test_query_count_does_not_grow_with_the_lists(
    client, auth, db, make_user, make_course, make_run, query_counter, page
):
    admin = make_user(role="admin")
    course = make_course(total_hours=6)
    trainee = make_user()
    roster_run = make_run(capacity=3)
    day = NOW.date() + timedelta(days=20)

    def grow(n):
        people = db.session.scalar(sa.select(sa.func.count(Enrolment.id)))
        for i in range(people, n):
            if page == "roster":
                services.enrol(make_user(), roster_run, NOW)
            else:
                run = make_run(course=course, start=day + timedelta(days=i), sessions=None)
                services.enrol(trainee, run, NOW)
        db.session.commit()

    auth.login(admin if page == "roster" else trainee)
    url = f"/manage/runs/{roster_run.id}/roster" if page == "roster" else "/my/"
    counts = []
    for n in (5, 25):
        grow(n)
        client.get(url)  # first view marks the news as seen; count the steady state
        with query_counter() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_admin_removing_from_the_waitlist_says_who_moves_up(client, auth, db, make_user,
                                                           make_run):
    run = make_run(capacity=1)
    admin = make_user(role="admin")
    services.enrol(make_user(), run, NOW)
    first, second, third = (services.enrol(make_user(), run, NOW) for _ in range(3))
    db.session.commit()
    auth.login(admin)
    roster = f"/manage/runs/{run.id}/roster"
    assert f'href="/manage/enrolments/{first.id}/cancel"' in text(client.get(roster))
    page = f"/manage/enrolments/{first.id}/cancel"
    confirm = text(client.get(page))
    assert "leaves the waitlist, where they are number 1, and is told by e-mail." in confirm
    assert "2 trainees behind in line move up one place." in confirm
    refused = text(client.submit(page, {"reason": ""}, page=page))
    assert 'id="reason-error"' in refused and "2 trainees behind in line" in refused
    db.session.refresh(first)
    assert first.state == EnrolmentState.WAITLISTED
    done = client.submit(page, {"reason": "Kérésére"}, page=page)
    assert done.status_code == 302
    db.session.refresh(first)
    assert first.state == EnrolmentState.CANCELLED and first.cancel_reason == "Kérésére"
    assert "This enrolment is already cancelled." in text(client.get(page))


def _audited(db, enrolment_id: int) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.entity == "Enrolment", AuditEntry.entity_id == enrolment_id)
        .order_by(AuditEntry.id)))


def test_refusing_first_says_who_is_told_and_who_gets_the_seat(
        client, auth, db, make_user, make_run):
    run = make_run(capacity=1, approval_required=True)
    first = services.enrol(make_user(full_name="Nagy Éva"), run, NOW)
    services.enrol(make_user(full_name="Tóth Ilona"), run, NOW)
    services.enrol(make_user(), run, NOW)
    db.session.commit()
    page = f"/manage/enrolments/{first.id}/refuse"
    auth.login(make_user(role="trainer"))
    assert client.get(page).status_code == 403
    auth.logout()
    auth.login(make_user(role="admin"))
    assert f'href="{page}"' in text(client.get(f"/manage/runs/{run.id}/roster"))
    confirm = text(client.get(page))
    assert "Nagy Éva is told by e-mail that their enrolment is refused" in confirm
    assert "The seat goes at once to Tóth Ilona, first of 2 on the waitlist" in confirm
    assert 'name="reason"' in confirm
    before = _audited(db, first.id)
    refused = text(client.submit(page, {"reason": ""}, page=page))
    assert 'id="reason-error"' in refused
    db.session.refresh(first)
    assert first.state == EnrolmentState.PENDING and _audited(db, first.id) == before
    client.submit(page, {"reason": "Nem jogosult"}, page=page)
    db.session.refresh(first)
    assert first.state == EnrolmentState.CANCELLED
    assert _audited(db, first.id) == [*before, "update"]
    assert "Only a pending enrolment can be refused." in text(client.get(page))


def test_moving_first_says_what_changes_in_both_runs(client, auth, db, make_user, make_run):
    run = make_run(capacity=1)
    target = make_run(course=run.course, capacity=3, start=run.sessions[0].date
                      + timedelta(days=40))
    moving = services.enrol(make_user(full_name="Nagy Éva"), run, NOW)
    services.enrol(make_user(full_name="Tóth Ilona"), run, NOW)  # waitlisted
    db.session.commit()
    page = f"/manage/enrolments/{moving.id}/move"
    auth.login(make_user(role="trainee"))
    assert client.get(f"{page}?run_id={target.id}").status_code == 403
    auth.logout()
    auth.login(make_user(role="admin"))
    roster = text(client.get(f"/manage/runs/{run.id}/roster"))
    assert f'<form method="get" action="{page}">' in roster
    confirm = text(client.get(f"{page}?run_id={target.id}"))
    assert "The seat goes at once to Tóth Ilona, first of 1 on the waitlist" in confirm
    assert "where 3 seats are free now" in confirm and target.centre.city in confirm
    assert f'<input type="hidden" name="run_id" value="{target.id}">' in confirm
    db.session.refresh(moving)
    assert moving.state == EnrolmentState.ENROLLED  # looking changes nothing
    # a run that is not another of the course's: back to the roster, nothing changes
    assert client.get(f"{page}?run_id={run.id}").status_code == 302
    assert client.get(f"{page}?run_id=x").status_code == 302
    client.submit(page, {"run_id": str(target.id)}, page=f"{page}?run_id={target.id}")
    db.session.refresh(moving)
    assert moving.state == EnrolmentState.CANCELLED
    assert db.session.scalar(sa.select(Enrolment).where(
        Enrolment.run_id == target.id)).state == EnrolmentState.ENROLLED
    assert _audited(db, moving.id)[-1] == "update"

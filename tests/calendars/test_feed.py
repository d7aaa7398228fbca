"""The personal subscription feed: a secret address on the profile, revocable, with the
trainee's places or the trainer's sessions, answering 304 when nothing changed."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.calendars import services as calendars
from lms.clock import utcnow
from lms.enrolment import services as enrolments
from lms.trainers import services as trainers
from lms.trainers.models import TrainerRole
from tests.conftest import at, parse_ics

FEED = re.compile(r'value="(https://forras\.example\.org/calendar/(\d+)\.([\w-]+)\.ics)"')


@pytest.fixture
def public_base(app):
    app.config["PUBLIC_BASE_URL"] = "https://forras.example.org"


def start(client, auth, user) -> str:
    """Create the user's feed through the profile page; the path of its address."""
    auth.login(user)
    response = client.submit("/profile/calendar", page="/profile")
    assert response.status_code == 302
    page = client.get("/profile").get_data(as_text=True)
    url = FEED.search(page).group(1)
    return url.removeprefix("https://forras.example.org")


def uids(response) -> set[str]:
    return {str(e["UID"]) for e in parse_ics(response.get_data(as_text=True)).walk("VEVENT")}


def events(response) -> dict[str, object]:
    calendar = parse_ics(response.get_data(as_text=True))
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def uid(session) -> str:
    return f"session-{session.id}@forras.local"


def test_the_profile_shows_the_addresses_and_how_to_subscribe(client, auth, make_user,
                                                             public_base):
    path = start(client, auth, make_user())
    page = client.get("/profile").get_data(as_text=True)
    # Built from PUBLIC_BASE_URL, never from the Host the request came with.
    assert f'value="https://forras.example.org{path}"' in page
    assert f'href="webcal://forras.example.org{path}"' in page
    for program in ("Google Calendar", "Outlook", "Thunderbird"):
        assert program in page
    assert "New address" in page and "Turn off" in page


def test_the_profile_speaks_the_users_language(client, auth, make_user, public_base):
    start(client, auth, make_user(locale="hu"))
    page = client.get("/profile").get_data(as_text=True)
    assert "Naptár-előfizetés" in page


def test_a_new_address_revokes_the_old_and_turning_off_revokes_all(client, auth, db,
                                                                    make_user, public_base):
    trainee = make_user()
    old = start(client, auth, trainee)
    assert client.get(old).status_code == 200
    client.submit("/profile/calendar", page="/profile")
    new = FEED.search(client.get("/profile").get_data(as_text=True)).group(1)
    new = new.removeprefix("https://forras.example.org")
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    response = client.submit("/profile/calendar/off", page="/profile")
    assert response.status_code == 302
    assert client.get(new).status_code == 404
    page = client.get("/profile").get_data(as_text=True)
    assert "Create my calendar address" in page and "/calendar/" not in page


def test_each_change_is_audited_without_the_secret(client, auth, db, make_user, public_base):
    trainee = make_user()
    start(client, auth, trainee)
    client.submit("/profile/calendar", page="/profile")
    client.submit("/profile/calendar/off", page="/profile")
    rows = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity == "User",
                                    AuditEntry.entity_id == trainee.id,
                                    AuditEntry.endpoint.like("calendars.%"))
        .order_by(AuditEntry.id)
    ).all()
    assert [r.changes["calendar_key"] for r in rows] == [
        [None, "(changed)"], ["(changed)", "(changed)"], ["(changed)", None]]
    assert all(r.actor_id == trainee.id for r in rows)


def test_a_key_never_reaches_the_audit_log(client, auth, db, make_user, public_base):
    trainee = make_user()
    start(client, auth, trainee)
    key = db.session.scalar(sa.select(User.calendar_key).where(User.id == trainee.id))
    assert key
    assert all(key not in str(r.changes) for r in db.session.scalars(sa.select(AuditEntry)))


def test_administrators_have_no_feed(client, auth, make_user):
    auth.login(make_user(role="admin"))
    assert "Calendar subscription" not in client.get("/profile").get_data(as_text=True)
    assert client.submit("/profile/calendar", page="/profile").status_code == 403
    assert client.submit("/profile/calendar/off", page="/profile").status_code == 403


def test_the_forms_need_their_csrf_token(client, auth, db, make_user):
    trainee = make_user()
    auth.login(trainee)
    client.post("/profile/calendar", data={})
    db.session.expire_all()
    assert db.session.get(User, trainee.id).calendar_key is None


def test_wrong_and_hostile_addresses_are_404(client, db, make_user):
    trainee, other = make_user(), make_user()
    calendars.start_feed(trainee)
    calendars.start_feed(other)
    db.session.commit()
    good = calendars.feed_token(trainee)
    assert client.get(f"/calendar/{trainee.id}.{good}.ics").status_code == 200
    for path in (
        f"/calendar/{other.id}.{good}.ics",  # someone else's id
        f"/calendar/{trainee.id}.{good[:-1]}.ics",
        f"/calendar/{trainee.id}.{good}x.ics",
        f"/calendar/{trainee.id}.{'a' * 5000}.ics",
        f"/calendar/{trainee.id}..ics",
        f"/calendar/{trainee.id}.ics",
        "/calendar/99999999999999999999.abc.ics",
        "/calendar/2147483648.abc.ics",
        "/calendar/0.abc.ics",
        "/calendar/-1.abc.ics",
        "/calendar/abc.def.ics",
        f"/calendar/{trainee.id}.{good}.ics.ics",
        f"/calendar/{trainee.id}.%E2%80%AE.ics",
    ):
        assert client.get(path).status_code == 404, path


def test_a_deactivated_account_has_no_feed(client, db, make_user):
    trainee = make_user()
    calendars.start_feed(trainee)
    trainee.active = False
    db.session.commit()
    assert client.get(f"/calendar/{trainee.id}.{calendars.feed_token(trainee)}.ics") \
        .status_code == 404


def _feed(client, db, user, **headers):
    if user.calendar_key is None:
        calendars.start_feed(user)
        db.session.commit()
    return client.get(f"/calendar/{user.id}.{calendars.feed_token(user)}.ics", headers=headers)


def test_a_trainees_feed_holds_their_places(client, db, make_user, make_centre, make_course,
                                           make_run):
    trainee, admin = make_user(locale="bg"), make_user(role="admin")
    razgrad = make_centre(country="BG", city="Razgrad")
    soon = date.today() + timedelta(days=30)
    placed = make_run(centre=razgrad, course=make_course(total_hours=8),
                      sessions=[(soon, time(8, 30), time(17), 480)])
    pending = make_run(approval_required=True, start=soon + timedelta(days=10))
    full = make_run(capacity=1, start=soon + timedelta(days=20))
    enrolments.enrol(make_user(), full, utcnow())
    cancelled = make_run(start=soon + timedelta(days=30))
    left = make_run(start=soon + timedelta(days=40))
    long_ago = make_run(start=date.today() - timedelta(days=400))
    last_year = make_run(start=date.today() - timedelta(days=300))
    for run in (placed, pending, full, cancelled, left):
        enrolments.enrol(trainee, run, utcnow())
    for run in (long_ago, last_year):
        enrolments.enrol(trainee, run, at(run.first_date - timedelta(days=10)), by=admin)
    enrolments.cancel_enrolment(enrolments.find_enrolment(trainee, left), trainee, utcnow())
    enrolments.cancel_run_and_enrolments(cancelled, admin, "No trainer", utcnow())
    db.session.commit()

    response = _feed(client, db, trainee)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response.headers["Cache-Control"]
    calendar = parse_ics(response.get_data(as_text=True))
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Forrás: моите обучения"  # in their language
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert str(calendar["X-PUBLISHED-TTL"].to_ical().decode()) == "PT1H"
    found = events(response)
    expected = {uid(s): "CONFIRMED" for s in placed.sessions + last_year.sessions}
    expected |= {uid(s): "TENTATIVE" for s in pending.sessions}  # awaiting approval
    assert {k: str(e["STATUS"]) for k, e in found.items()} == expected
    razgrad_event = found[uid(placed.sessions[0])]
    assert razgrad_event["DTSTART"].params["TZID"] == "Europe/Sofia"
    assert razgrad_event.decoded("DTSTART").time() == time(8, 30)
    assert "Europe/Sofia" in {str(z["TZID"]) for z in calendar.walk("VTIMEZONE")}


def test_a_trainers_feed_holds_the_sessions_they_train(client, db, make_user, make_run):
    trainer, admin = make_user(role="trainer", locale="hu"), make_user(role="admin")
    whole = make_run()
    narrowed = make_run(start=date.today() + timedelta(days=60))
    removed = make_run(start=date.today() + timedelta(days=90))
    draft = make_run(publish=False, start=date.today() + timedelta(days=120))
    trainers.assign_trainer(whole, trainer, TrainerRole.LEAD)
    trainers.assign_trainer(narrowed, trainer, TrainerRole.CO_TRAINER,
                            sessions=[narrowed.sessions[1]])
    gone = trainers.assign_trainer(removed, trainer, TrainerRole.LEAD)
    trainers.remove_assignment(gone, admin)
    trainers.assign_trainer(draft, trainer, TrainerRole.LEAD)
    db.session.commit()
    response = _feed(client, db, trainer)
    assert uids(response) == {uid(s) for s in whole.sessions} | {uid(narrowed.sessions[1])}
    calendar = parse_ics(response.get_data(as_text=True))
    assert str(calendar["X-WR-CALNAME"]) == "Forrás: foglalkozásaim oktatóként"


def test_unchanged_feed_answers_304_and_a_moved_session_a_new_one(client, db, make_user,
                                                                  make_run):
    trainee = make_user()
    run = make_run()
    enrolments.enrol(trainee, run, utcnow())
    db.session.commit()
    first = _feed(client, db, trainee)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and modified
    assert _feed(client, db, trainee, **{"If-None-Match": etag}).status_code == 304
    assert _feed(client, db, trainee, **{"If-Modified-Since": modified}).status_code == 304
    again = _feed(client, db, trainee)
    assert again.get_data() == first.get_data()  # the same bytes: a stable ETag

    session = run.sessions[0]
    with time_machine.travel(datetime(2027, 3, 20, 8, tzinfo=UTC), tick=False):
        trainers.save_session(run, session, day=session.date, starts_at=time(10),
                              ends_at=time(16), minutes=session.minutes)
        db.session.commit()
    moved = _feed(client, db, trainee, **{"If-None-Match": etag, "If-Modified-Since": modified})
    assert moved.status_code == 200
    assert moved.headers["ETag"] != etag
    assert moved.headers["Last-Modified"] == "Sat, 20 Mar 2027 08:00:00 GMT"
    event = events(moved)[uid(session)]
    assert event.decoded("DTSTART").time() == time(10)
    assert int(event["SEQUENCE"]) == 2


def test_a_renamed_course_or_moved_venue_is_not_answered_304(client, db, make_user, make_run):
    """The validator covers what the events are written from, not only the sessions."""
    trainee = make_user()
    run = make_run(venue="Main hall")
    enrolments.enrol(trainee, run, utcnow())
    db.session.commit()
    etag = _feed(client, db, trainee).headers["ETag"]
    run.course.title = "Családsegítés a gyakorlatban"
    db.session.commit()
    renamed = _feed(client, db, trainee, **{"If-None-Match": etag})
    assert renamed.status_code == 200
    assert "Családsegítés a gyakorlatban" in renamed.get_data(as_text=True)
    run.venue = "Room 2"
    db.session.commit()
    moved = _feed(client, db, trainee, **{"If-None-Match": renamed.headers["ETag"]})
    assert moved.status_code == 200 and "Room 2" in moved.get_data(as_text=True)


def test_leaving_a_run_changes_the_feed_for_date_only_clients(client, db, make_user,
                                                              make_run):
    trainee = make_user()
    run = make_run()
    enrolment = enrolments.enrol(trainee, run, utcnow())
    db.session.commit()
    first = _feed(client, db, trainee)
    with time_machine.travel(datetime(2027, 3, 20, 8, tzinfo=UTC), tick=False):
        enrolments.cancel_enrolment(enrolment, trainee, utcnow())
        db.session.commit()
    after = _feed(client, db, trainee, **{"If-Modified-Since": first.headers["Last-Modified"]})
    assert after.status_code == 200 and uids(after) == set()


def _count_feed_queries(client, db, query_counter, user) -> int:
    url = f"/calendar/{user.id}.{calendars.feed_token(user)}.ics"
    with query_counter() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


@pytest.mark.parametrize("role", ["trainee", "trainer"])
def test_the_feed_takes_the_same_queries_for_few_or_many_runs(
    client, db, make_user, make_run, query_counter, role
):
    def person_with(runs: int):
        user = make_user(role=role)
        for number in range(runs):
            run = make_run(start=date.today() + timedelta(days=20 + 7 * number))
            if role == "trainee":
                enrolments.enrol(user, run, utcnow())
            else:
                trainers.assign_trainer(run, user, TrainerRole.LEAD)
        calendars.start_feed(user)
        db.session.commit()
        return user

    few, many = person_with(2), person_with(8)
    assert _count_feed_queries(client, db, query_counter, few) == \
        _count_feed_queries(client, db, query_counter, many)


def test_a_new_address_and_turning_off_first_say_how_many_sessions_leave_calendars(
        client, auth, db, make_user, make_run, public_base):
    trainee = make_user()
    run = make_run()  # four sessions to come
    enrolments.enrol(trainee, run, utcnow())
    db.session.commit()
    old = start(client, auth, trainee)
    profile = client.get("/profile").get_data(as_text=True)
    assert 'href="/profile/calendar"' in profile and 'href="/profile/calendar/off"' in profile
    renew = client.get("/profile/calendar").get_data(as_text=True)
    assert "no longer get your 4 sessions to come" in renew
    assert '<form method="post" action="/profile/calendar"' in renew
    off = client.get("/profile/calendar/off").get_data(as_text=True)
    assert "no longer get your 4 sessions to come" in off
    assert client.get(old).status_code == 200  # looking changes nothing
    client.submit("/profile/calendar/off", page="/profile/calendar/off")
    assert client.get(old).status_code == 404
    again = client.get("/profile/calendar/off").get_data(as_text=True)
    assert "there is nothing to turn off" in again and 'action="/profile/calendar/off"' not in again
    # with no address, there is nothing to confirm about a new one
    assert client.get("/profile/calendar").headers["Location"].startswith("/profile")

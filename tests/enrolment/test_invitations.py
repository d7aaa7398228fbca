"""The calendar in enrolment e-mails: an invitation (METHOD:REQUEST) when a trainee gets a
place, its cancellation (METHOD:CANCEL, same UIDs, higher SEQUENCE) when the place or the
run is cancelled, and nothing to take back from those who never had a place."""

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from lms.clock import utcnow
from lms.enrolment import services
from lms.enrolment.models import EnrolmentState
from lms.notifications.delivery import email_for
from lms.notifications.models import Notification
from lms.trainers import services as trainers
from tests.conftest import at, parse_ics

DAY = date(2027, 4, 20)
BEFORE = at(DAY - timedelta(days=20), time(10))


@pytest.fixture
def razgrad_run(make_centre, make_course, make_run):
    centre = make_centre(country="BG", city="Razgrad", name="Resource Centre Razgrad",
                         address="ul. Bely Lom 40")
    return make_run(
        course=make_course(total_hours=16, title="Working with families"),
        centre=centre,
        sessions=[(DAY, time(8, 30), time(17), 480),
                  (DAY + timedelta(days=1), time(8, 30), time(17), 480)],
        capacity=1,
        language="en",
    )


def news(db, user) -> list[Notification]:
    return list(db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    ))


def attached_calendar(notification: Notification):
    """(the MIME part's method, the parsed calendar) of the e-mail, or (None, None)."""
    parts = [p for p in email_for(notification).walk()
             if p.get_content_type() == "text/calendar"]
    if not parts:
        return None, None
    (part,) = parts
    return part.get_param("method"), parse_ics(part.get_payload(decode=True).decode())


def uids(run) -> set[str]:
    return {f"session-{s.id}@forras.local" for s in run.sessions}


def test_a_place_comes_with_an_invitation_at_razgrad_time(db, make_user, razgrad_run):
    trainee = make_user(full_name="Petya Ivanova", email="petya@example.org")
    services.enrol(trainee, razgrad_run, BEFORE)
    db.session.commit()
    method, calendar = attached_calendar(news(db, trainee)[-1])
    assert method == "REQUEST" and str(calendar["METHOD"]) == "REQUEST"
    events = calendar.walk("VEVENT")
    assert {str(e["UID"]) for e in events} == uids(razgrad_run)
    first = min(events, key=lambda e: e.decoded("DTSTART"))
    start = first.decoded("DTSTART")
    assert (start.hour, start.minute) == (8, 30)  # 08:30 in Razgrad stays 08:30
    assert first["DTSTART"].params["TZID"] == "Europe/Sofia"
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Europe/Sofia"]
    assert {int(e["SEQUENCE"]) for e in events} == {0}
    assert "ul. Bely Lom 40" in str(first["LOCATION"])
    organizer, attendee = first["ORGANIZER"], first["ATTENDEE"]
    assert str(organizer).lower() == "mailto:noreply@forras.local"
    assert organizer.params["CN"] == "Resource Centre Razgrad"
    assert str(attendee).lower() == "mailto:petya@example.org"
    assert attendee.params["CN"] == "Petya Ivanova"
    assert attendee.params["RSVP"] == "FALSE"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"  # they asked for the place


def test_a_place_given_by_an_administrator_awaits_the_trainees_answer(db, make_user,
                                                                       razgrad_run):
    trainee, admin = make_user(), make_user(role="admin")
    services.enrol(trainee, razgrad_run, BEFORE, by=admin)
    db.session.commit()
    _method, calendar = attached_calendar(news(db, trainee)[-1])
    assert {e["ATTENDEE"].params["PARTSTAT"] for e in calendar.walk("VEVENT")} \
        == {"NEEDS-ACTION"}


@pytest.mark.parametrize("who", ["trainee", "admin"])
def test_cancelling_a_place_withdraws_the_invitation(db, make_user, razgrad_run, who):
    trainee, admin = make_user(), make_user(role="admin")
    enrolment = services.enrol(trainee, razgrad_run, BEFORE)
    if who == "trainee":
        services.cancel_enrolment(enrolment, trainee, BEFORE)
    else:
        services.cancel_enrolment(enrolment, admin, BEFORE, "Illness",
                                  services.CancelKind.BY_ADMIN)
    db.session.commit()
    invited, cancelled = news(db, trainee)
    _method, request = attached_calendar(invited)
    method, cancel = attached_calendar(cancelled)
    assert method == "CANCEL" and str(cancel["METHOD"]) == "CANCEL"
    events = cancel.walk("VEVENT")
    assert {str(e["UID"]) for e in events} == uids(razgrad_run)
    assert {str(e["STATUS"]) for e in events} == {"CANCELLED"}
    sent = max(int(e["SEQUENCE"]) for e in request.walk("VEVENT"))
    assert all(int(e["SEQUENCE"]) > sent for e in events)
    assert [str(z["TZID"]) for z in cancel.walk("VTIMEZONE")] == ["Europe/Sofia"]
    assert all(str(e["ORGANIZER"]).lower() == "mailto:noreply@forras.local" for e in events)


def test_every_later_message_outranks_the_earlier_ones(db, make_user, razgrad_run):
    """Invited, cancelled, invited again, the session moved, cancelled by the centre: each
    calendar sent carries a higher SEQUENCE than all before it, so no program ignores it."""
    trainee, admin = make_user(), make_user(role="admin")
    enrolment = services.enrol(trainee, razgrad_run, BEFORE)
    services.cancel_enrolment(enrolment, trainee, BEFORE)
    enrolment = services.enrol(trainee, razgrad_run, BEFORE)
    session = razgrad_run.sessions[0]
    trainers.save_session(razgrad_run, session, day=session.date, starts_at=time(9),
                          ends_at=time(17, 30), minutes=session.minutes)
    services.cancel_enrolment(enrolment, admin, BEFORE, "Moved abroad",
                              services.CancelKind.BY_ADMIN)
    db.session.commit()
    sequences = []
    for notification in news(db, trainee):
        method, calendar = attached_calendar(notification)
        event = next(e for e in calendar.walk("VEVENT")
                     if str(e["UID"]) == f"session-{session.id}@forras.local")
        sequences.append((method, int(event["SEQUENCE"])))
    assert [m for m, _s in sequences] == ["REQUEST", "CANCEL", "REQUEST", "CANCEL"]
    numbers = [s for _m, s in sequences]
    assert numbers == sorted(set(numbers)), numbers


def test_no_cancellation_for_those_who_never_had_a_place(db, make_user, make_run,
                                                         razgrad_run):
    holder, waiting = make_user(), make_user()
    services.enrol(holder, razgrad_run, BEFORE)
    entry = services.enrol(waiting, razgrad_run, BEFORE)
    assert entry.state == EnrolmentState.WAITLISTED
    services.cancel_enrolment(entry, waiting, BEFORE)
    approval = make_run(approval_required=True)
    pending = services.enrol(make_user(), approval, utcnow())
    services.refuse(pending, make_user(role="admin"), "Not in the target group", utcnow())
    db.session.commit()
    assert [attached_calendar(n)[0] for n in news(db, waiting)] == [None, None]
    assert [attached_calendar(n)[0] for n in news(db, pending.user)] == [None, None]


def test_a_cancelled_run_withdraws_the_invitations_it_sent(db, make_user, razgrad_run):
    holder, waiting, admin = make_user(), make_user(), make_user(role="admin")
    services.enrol(holder, razgrad_run, BEFORE)
    services.enrol(waiting, razgrad_run, BEFORE)
    services.cancel_run_and_enrolments(razgrad_run, admin, "Venue flooded", BEFORE)
    db.session.commit()
    told = news(db, holder)[-1]
    assert told.kind == "run_cancelled"
    method, calendar = attached_calendar(told)
    assert method == "CANCEL"
    assert {str(e["UID"]) for e in calendar.walk("VEVENT")} == uids(razgrad_run)
    assert {int(e["SEQUENCE"]) for e in calendar.walk("VEVENT")} == {1}
    assert news(db, waiting)[-1].kind == "run_cancelled"
    assert attached_calendar(news(db, waiting)[-1]) == (None, None)


def test_a_moved_trainee_loses_the_old_dates_and_gets_the_new(db, make_user, make_run,
                                                             razgrad_run):
    trainee, admin = make_user(), make_user(role="admin")
    enrolment = services.enrol(trainee, razgrad_run, BEFORE)
    target = make_run(course=razgrad_run.course, centre=razgrad_run.centre,
                      sessions=[(DAY + timedelta(days=14), time(8, 30), time(17), 480),
                                (DAY + timedelta(days=15), time(8, 30), time(17), 480)])
    services.move_enrolment(enrolment, target, admin, BEFORE)
    db.session.commit()
    _invited, withdrawn, invited_again = news(db, trainee)
    method, old = attached_calendar(withdrawn)
    assert method == "CANCEL" and "moved" in withdrawn.subject
    assert {str(e["UID"]) for e in old.walk("VEVENT")} == uids(razgrad_run)
    method, new = attached_calendar(invited_again)
    assert method == "REQUEST"
    assert {str(e["UID"]) for e in new.walk("VEVENT")} == uids(target)


def test_a_moved_session_is_told_with_an_updated_invitation(
    client, auth, db, make_user, razgrad_run
):
    holder, waiting = make_user(), make_user()
    services.enrol(holder, razgrad_run, BEFORE)
    services.enrol(waiting, razgrad_run, BEFORE)  # capacity 1: waitlisted, told nothing
    db.session.commit()
    session = razgrad_run.sessions[1]
    auth.login(make_user(role="admin"))
    page = f"/sessions/{session.id}/edit"
    form = {"date": (DAY + timedelta(days=2)).isoformat(), "starts_at": "09:00",
            "ends_at": "17:30", "hours": "8", "topic": session.topic, "room": ""}
    html = client.submit(f"/manage{page}", form, follow_redirects=True).get_data(as_text=True)
    assert "1 trainee was told of the new time." in html

    moved = news(db, holder)[-1]
    assert moved.kind == "session_moved"
    assert "08:30–17:00, it is now on" in moved.body and "09:00–17:30." in moved.body
    method, calendar = attached_calendar(moved)
    assert method == "REQUEST"
    uid = f"session-{session.id}@forras.local"
    event = next(e for e in calendar.walk("VEVENT") if e["UID"] == uid)
    assert event["SEQUENCE"] == 2  # above the first invitation's 0 and any CANCEL's 1
    start = event.decoded("DTSTART")
    assert (start.date(), start.time(), str(start.tzinfo)) == (
        DAY + timedelta(days=2), time(9), "Europe/Sofia"
    )
    assert [n.kind for n in news(db, waiting)].count("session_moved") == 0

    # Saving it again unchanged tells nobody.
    form["topic"] = "A new topic"
    html = client.submit(f"/manage{page}", form, follow_redirects=True).get_data(as_text=True)
    assert "told of the new time" not in html

"""Session calendars: a session at 08:30 in Razgrad is 08:30 Sofia time in any calendar."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from icalendar import Calendar

from lms.courses.models import Centre
from lms.errors import DomainError
from lms.notifications.ics import run_calendar
from lms.trainers import services as trainers
from tests.conftest import parse_ics

WINTER, SUMMER = date(2030, 1, 15), date(2030, 7, 16)


def events(ics: str) -> list:
    return [c for c in Calendar.from_ical(ics).walk("VEVENT")]


@pytest.mark.parametrize("country, day, utc_start", [
    ("BG", WINTER, time(6, 30)),   # Sofia: UTC+2 in winter
    ("BG", SUMMER, time(5, 30)),   # UTC+3 in summer
    ("HU", WINTER, time(7, 30)),   # Budapest: UTC+1
    ("HU", SUMMER, time(6, 30)),   # UTC+2
])
def test_a_session_is_at_its_centres_wall_clock_time(make_centre, make_run, country, day,
                                                     utc_start):
    centre = make_centre(country=country, city="Razgrad" if country == "BG" else "Szolnok",
                         address="ul. Bely Lom 40")
    run = make_run(centre=centre, publish=False, sessions=[(day, time(8, 30), time(17), 480)])
    ics = run_calendar(run, "forras.example.org")
    (event,) = events(ics)
    start = event.decoded("dtstart")
    assert (start.hour, start.minute) == (8, 30)
    assert str(start.tzinfo) == centre.time_zone
    assert start.astimezone(UTC).time() == utc_start
    assert event["dtstart"].params["TZID"] == centre.time_zone
    # The zone travels with the file: no calendar program has to guess it.
    zones = [str(tz["TZID"]) for tz in Calendar.from_ical(ics).walk("VTIMEZONE")]
    assert zones == [centre.time_zone]
    assert "ul. Bely Lom 40" in str(event["location"])
    assert str(event["uid"]) == f"session-{run.sessions[0].id}@forras.example.org"


def test_the_uid_of_a_session_stays_the_same(make_run):
    run = make_run(publish=False)
    first, again = events(run_calendar(run)), events(run_calendar(run))
    assert [str(e["uid"]) for e in first] == [str(e["uid"]) for e in again]
    assert len({str(e["uid"]) for e in first}) == len(run.sessions)


def test_a_centre_gets_its_countrys_zone_unless_another_is_chosen(make_centre):
    assert make_centre(country="BG").time_zone == "Europe/Sofia"
    assert make_centre(country="HU").time_zone == "Europe/Budapest"
    assert make_centre(country="BG", time_zone="Europe/Bucharest").time_zone == "Europe/Bucharest"


def test_administrators_choose_a_centres_zone_from_a_list(client, auth, db, make_user,
                                                         make_centre):
    centre = make_centre(country="BG", city="Razgrad")
    auth.login(make_user(role="admin"))
    page = client.get(f"/manage/centres/{centre.id}/edit").get_data(as_text=True)
    assert '<option selected value="Europe/Sofia">' in page or \
        '<option value="Europe/Sofia" selected>' in page
    form = {"name": centre.name, "city": centre.city, "region": "", "country": "BG",
            "address": "", "signatory_name": "", "signatory_title": "", "organisation": "",
            "serial_prefix": centre.serial_prefix, "active": "y"}
    refused = client.submit(f"/manage/centres/{centre.id}/edit",
                            {**form, "time_zone": "Mars/Olympus_Mons"},
                            page=f"/manage/centres/{centre.id}/edit")
    assert refused.status_code == 200 and 'id="time_zone-error"' in refused.get_data(as_text=True)
    saved = client.submit(f"/manage/centres/{centre.id}/edit",
                          {**form, "time_zone": "Europe/Bucharest"},
                          page=f"/manage/centres/{centre.id}/edit")
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(Centre.time_zone).where(Centre.id == centre.id)) \
        == "Europe/Bucharest"


def test_a_file_calendar_programs_accept(make_run):
    run = make_run(publish=False)
    calendar = parse_ics(run_calendar(run, "forras.example.org"))  # CRLF, VERSION, PRODID
    assert str(calendar["METHOD"]) == "PUBLISH"
    for event in calendar.walk("VEVENT"):
        for required in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "SEQUENCE"):
            assert required in event


def test_a_moved_session_replaces_itself_in_calendars(db, make_run):
    """SEQUENCE grows when the date or times change (calendars replace an event only by a
    higher one); LAST-MODIFIED says when. Other changes (topic, room) keep the SEQUENCE."""
    run = make_run(publish=False, sessions=[(WINTER, time(9), time(15), 360)])
    session = run.sessions[0]

    def event():
        (only,) = parse_ics(run_calendar(run, "x.org")).walk("VEVENT")
        return only

    assert int(event()["SEQUENCE"]) == 0
    with time_machine.travel(datetime(2027, 3, 11, 8, 0, tzinfo=UTC), tick=False):
        trainers.save_session(run, session, day=WINTER, starts_at=time(9), ends_at=time(15),
                              minutes=360, topic="New topic", room="Room 2")
        db.session.commit()
    assert session.sequence == 0 and int(event()["SEQUENCE"]) == 0
    assert event().decoded("LAST-MODIFIED") == datetime(2027, 3, 11, 8, 0, tzinfo=UTC)
    moves = [(WINTER + timedelta(days=1), time(9), time(15)),  # another day
             (WINTER + timedelta(days=1), time(10), time(16)),  # later the same day
             (WINTER + timedelta(days=1), time(10), time(15))]  # ends earlier
    for number, (day, starts, ends) in enumerate(moves, start=1):
        with time_machine.travel(datetime(2027, 3, 11 + number, 8, 0, tzinfo=UTC), tick=False):
            trainers.save_session(run, session, day=day, starts_at=starts, ends_at=ends,
                                  minutes=300)
            db.session.commit()
        assert session.sequence == number
        moved = event()
        assert int(moved["SEQUENCE"]) == 2 * number  # see lms.notifications.ics
        assert moved.decoded("DTSTART").time() == starts
        assert moved.decoded("LAST-MODIFIED") == datetime(2027, 3, 11 + number, 8, 0,
                                                          tzinfo=UTC)


def test_a_refused_move_changes_no_sequence(db, make_run):
    run = make_run(publish=False, sessions=[(WINTER, time(9), time(15), 360),
                                            (WINTER, time(15), time(17), 120)])
    first = run.sessions[0]
    with pytest.raises(DomainError):  # would overlap the afternoon session
        trainers.save_session(run, first, day=WINTER, starts_at=time(10), ends_at=time(16),
                              minutes=360)
    assert first.sequence == 0  # the refusal comes before anything changes

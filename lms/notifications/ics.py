"""iCalendar (RFC 5545) files for a run's sessions, made with the `icalendar` library.

A session's times are wall-clock times at its centre, so each event carries the
centre's zone (TZID) and the calendar the VTIMEZONE that defines it: a calendar
program anywhere shows 08:30 in Razgrad as 08:30 Sofia time.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

PRODID = "-//Forras LMS//Sessions//EN"


def run_calendar(run, uid_domain: str = "forras.lms") -> str:
    """One VEVENT per session, in the time zone of the run's centre."""
    centre = run.centre
    zone = ZoneInfo(centre.time_zone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    place = ", ".join(part for part in (run.venue, centre.address, centre.city) if part)
    stamp = datetime.now(UTC)
    for session in run.sessions:
        event = Event()
        event.add("uid", f"session-{session.id}@{uid_domain}")
        event.add("dtstamp", stamp)
        event.add("dtstart", datetime.combine(session.date, session.starts_at, tzinfo=zone))
        event.add("dtend", datetime.combine(session.date, session.ends_at, tzinfo=zone))
        event.add("summary", run.course.title + (f" – {session.topic}" if session.topic else ""))
        event.add("location", place + (f" ({session.room})" if session.room else ""))
        event.add("description", centre.name)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()

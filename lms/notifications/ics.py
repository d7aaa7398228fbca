"""iCalendar (RFC 5545, 5546) files for sessions, made with the `icalendar` library.

A session's times are wall-clock times at its centre, so each event carries the
centre's zone (TZID) and the calendar the VTIMEZONE that defines it: a calendar
program anywhere shows 08:30 in Razgrad as 08:30 Sofia time.

Three kinds of file share one event per session, with the same UID:

- PUBLISH: "Add to calendar" on a run's page, and the personal subscription feed;
- REQUEST: the invitation e-mailed to a trainee who gets a place;
- CANCEL: e-mailed when that place, or the run, is cancelled.

SEQUENCE. A calendar program replaces an event only by one with a higher SEQUENCE
(RFC 5546, 2.1.4), and one trainee may receive the same UID several times: invited,
cancelled, invited again after enrolling again, while the session itself may move
(`Session.sequence` grows by one each time). So an event's SEQUENCE is

    2 × (session.sequence + cancellations)      for PUBLISH and REQUEST,
    2 × (session.sequence + cancellations) + 1  for CANCEL,

where `cancellations` counts the times this trainee's place in the run was
cancelled before this message (0 in files not addressed to anyone). Each message
to a trainee thus carries a higher SEQUENCE than every one sent to them before.
"""

from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import NamedTuple

from icalendar import Calendar, Event, vCalAddress, vDuration, vText

from lms.clock import utcnow

PRODID = "-//Forras LMS//Sessions//EN"
PUBLISH, REQUEST, CANCEL = "PUBLISH", "REQUEST", "CANCEL"


class Person(NamedTuple):
    """An organizer or attendee: a name and an e-mail address."""

    name: str
    email: str


class FeedEntry(NamedTuple):
    """One event of a personal feed: a session and its STATUS (CONFIRMED, TENTATIVE)."""

    session: object
    status: str


def sender(name: str, configured: str) -> Person:
    """The organizer of a centre's events: the centre, at the configured sender address."""
    return Person(name, parseaddr(configured)[1] or configured)


def session_uid(session, uid_domain: str) -> str:
    return f"session-{session.id}@{uid_domain}"


def event_sequence(session, cancellations: int = 0, cancel: bool = False) -> int:
    """The SEQUENCE of a session's event (see the module's docstring)."""
    return 2 * (session.sequence + cancellations) + (1 if cancel else 0)


def _address(person: Person, **params) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(person.name)
    for key, value in params.items():
        address.params[key.upper().replace("_", "-")] = value
    return address


def _calendar(method: str, name: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def _event(session, uid_domain: str, stamp: datetime, sequence: int) -> Event:
    run, centre = session.run, session.run.centre
    zone = centre.zone
    place = ", ".join(part for part in (run.venue, centre.address, centre.city) if part)
    event = Event()
    event.add("uid", session_uid(session, uid_domain))
    event.add("dtstamp", stamp)
    event.add("dtstart", datetime.combine(session.date, session.starts_at, tzinfo=zone))
    event.add("dtend", datetime.combine(session.date, session.ends_at, tzinfo=zone))
    event.add("sequence", sequence)
    event.add("last-modified", session.updated_at)
    event.add("summary", run.course.title + (f" – {session.topic}" if session.topic else ""))
    event.add("location", place + (f" ({session.room})" if session.room else ""))
    event.add("description", centre.name)
    return event


def _text(calendar: Calendar) -> str:
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()


def run_calendar(run, uid_domain: str = "forras.lms") -> str:
    """One VEVENT per session of `run`, in the time zone of its centre (METHOD:PUBLISH)."""
    calendar = _calendar(PUBLISH)
    stamp = utcnow()
    for session in run.sessions:
        calendar.add_component(_event(session, uid_domain, stamp, event_sequence(session)))
    return _text(calendar)


def invitation(
    run, uid_domain: str, organizer: Person, attendee: Person, cancellations: int = 0,
    accepted: bool = True,
) -> str:
    """The run's sessions as an invitation to `attendee` (METHOD:REQUEST).

    Nobody is asked to answer (RSVP=FALSE): the place is already given. It is
    ACCEPTED when the trainee asked for it, NEEDS-ACTION when an administrator
    enrolled them on their behalf.
    """
    calendar = _calendar(REQUEST)
    stamp = utcnow()
    for session in run.sessions:
        event = _event(session, uid_domain, stamp, event_sequence(session, cancellations))
        event.add("status", "CONFIRMED")
        event.add("organizer", _address(organizer))
        event.add("attendee", _address(
            attendee, role="REQ-PARTICIPANT", partstat="ACCEPTED" if accepted else "NEEDS-ACTION",
            rsvp="FALSE",
        ))
        calendar.add_component(event)
    return _text(calendar)


def cancellation(
    run, uid_domain: str, organizer: Person, attendee: Person, cancellations: int = 0
) -> str:
    """The run's sessions withdrawn from `attendee`'s calendar (METHOD:CANCEL): the same
    UIDs as their invitation, with a higher SEQUENCE."""
    calendar = _calendar(CANCEL)
    stamp = utcnow()
    for session in run.sessions:
        event = _event(
            session, uid_domain, stamp, event_sequence(session, cancellations, cancel=True)
        )
        event.add("status", "CANCELLED")
        event.add("organizer", _address(organizer))
        event.add("attendee", _address(attendee, role="REQ-PARTICIPANT", rsvp="FALSE"))
        calendar.add_component(event)
    return _text(calendar)


def feed_calendar(
    entries: list[FeedEntry], uid_domain: str, name: str, refresh: timedelta,
    stamp: datetime,
) -> str:
    """A personal subscription feed (METHOD:PUBLISH). `stamp` is the feed's last change,
    so that the same content always gives the same bytes (and the same ETag)."""
    calendar = _calendar(PUBLISH, name)
    calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(refresh))
    for session, status in entries:
        event = _event(session, uid_domain, stamp, event_sequence(session))
        event.add("status", status)
        calendar.add_component(event)
    return _text(calendar)

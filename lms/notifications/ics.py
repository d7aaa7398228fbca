"""iCalendar (RFC 5545) files for a run's sessions, written without a library."""

from datetime import datetime

from lms.db import utcnow

PRODID = "-//Forras LMS//Sessions//EN"


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded (RFC 5545 3.1), never inside a character."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def _local(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def run_calendar(run, timezone: str, uid_domain: str = "forras.lms") -> str:
    """One VEVENT per session, in the centre's local time zone."""
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    location = ", ".join(part for part in (run.venue, run.centre.city) if part)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH"]
    for session in run.sessions:
        start = datetime.combine(session.date, session.starts_at)
        end = datetime.combine(session.date, session.ends_at)
        summary = run.course.title + (f" – {session.topic}" if session.topic else "")
        room = f" ({session.room})" if session.room else ""
        lines += [
            "BEGIN:VEVENT",
            f"UID:session-{session.id}@{uid_domain}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;TZID={timezone}:{_local(start)}",
            f"DTEND;TZID={timezone}:{_local(end)}",
            f"SUMMARY:{_escape(summary)}",
            f"LOCATION:{_escape(location + room)}",
            f"DESCRIPTION:{_escape(run.centre.name)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"

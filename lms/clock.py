"""Time in Forrás: instants in UTC, sessions in their centre's wall-clock time.

Every stored instant (created, marked, issued, audited, waitlisted) is a
timezone-aware UTC datetime, on SQLite and PostgreSQL alike (`UTCDateTime`).
A session's date and times are wall-clock times at its centre, in the centre's
IANA zone; a rule that asks "now" converts the one UTC instant to that zone
(`wall_clock`, `today_at`), so a run in Razgrad and one in Budapest are each
judged on their own clocks.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

# The zones a centre or a person may choose (the network is European).
EUROPEAN_ZONES = tuple(sorted(zone for zone in available_timezones() if zone.startswith("Europe/")))


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


def zone(name: str | None, fallback: str = "Europe/Budapest") -> ZoneInfo:
    """The IANA zone `name`, or `fallback` when it is empty or unknown."""
    try:
        return ZoneInfo(name) if name else ZoneInfo(fallback)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(fallback)


def wall_clock(instant: datetime, where: ZoneInfo) -> datetime:
    """What a clock on the wall at `where` shows at `instant` (naive, to compare with
    a session's date and times)."""
    return as_utc(instant).astimezone(where).replace(tzinfo=None)


def today_at(instant: datetime, where: ZoneInfo) -> date:
    return wall_clock(instant, where).date()


def instant_at(day: date, clock: time, where: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time at `where` (in the autumn's repeated hour,
    the first of the two; in the spring's skipped hour, the hour after it)."""
    return datetime.combine(day, clock, tzinfo=where).astimezone(UTC)


def as_utc(value: datetime) -> datetime:
    """A datetime as aware UTC; a naive one is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UTCDateTime(TypeDecorator):
    """A moment: stored in UTC (TIMESTAMP WITH TIME ZONE on PostgreSQL, UTC text on
    SQLite), always read back as an aware UTC datetime."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"a moment must be a datetime, not {type(value).__name__}")
        if value.tzinfo is None:
            # A naive moment is ambiguous: refuse it rather than guess its zone.
            raise ValueError("a moment must be timezone-aware (use lms.clock.utcnow())")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return None if value is None else as_utc(value)

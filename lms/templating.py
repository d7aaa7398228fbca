"""Jinja filters and globals: locale-aware dates, times and hours."""

import functools
import re
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import Flask, has_request_context, request, url_for
from flask.globals import _cv_request
from flask_babel import format_date, format_decimal, get_locale
from flask_wtf import FlaskForm
from markupsafe import Markup

from lms.clock import as_utc, utcnow
from lms.i18n import LANGUAGE_NAMES, locale_name, reader_timezone
from lms.i18n import gettext as _


def format_hours(value: Decimal | int | float | None) -> str:
    if value is None:
        return ""
    return _hours_in(value, locale_name())


@functools.lru_cache(maxsize=4096)
def _hours_in(value: Decimal | int | float, locale: str) -> str:
    # Babel takes some 150 µs a number; a register shows the same few hours hundreds of
    # times. Equal numbers (6, 6.0, Decimal("6.00")) read the same, so share an entry.
    return babel_numbers.format_decimal(value, format="#,##0.##", locale=locale)


def format_number(value: Decimal | int | float | None) -> str:
    """A measured value (a percentage, an average) with the reader's decimal mark: 75,5."""
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.##")


def format_day(value: date | None, style: str = "medium") -> str:
    if not value:
        return ""
    if isinstance(value, datetime):
        # A moment: its day in the reader's zone, as Flask-Babel's format_date gives it
        # (which takes Babel's 50 µs for each; a roster shows a moment a row).
        value = as_utc(value).astimezone(reader_timezone()).date()
    return _day_in(value, style, locale_name())


@functools.lru_cache(maxsize=4096)
def _day_in(value: date, style: str, locale: str) -> str:
    # Babel takes some 50 µs a date; a list of fifty runs shows the same few dozen days.
    return babel_dates.format_date(value, style, locale=locale)


def format_isoday(value: str, style: str = "long", locale: str | None = None) -> str:
    """A date kept as ISO text (frozen certificate facts), shown in the current locale
    or in `locale` (the English line of a bilingual certificate)."""
    if not value:
        return ""
    day = date.fromisoformat(value)
    return babel_dates.format_date(day, style, locale=locale) if locale else format_date(day, style)


def format_when(value: datetime | None) -> str:
    """A moment stored in UTC, shown in the reader's time zone and locale: what
    Flask-Babel's `format_datetime(value, "short")` gives, made of the day and the
    clock time formatted once each (Babel takes some 200 µs a moment, and a page of
    the audit log shows fifty)."""
    if not value:
        return ""
    local = as_utc(value).astimezone(reader_timezone())
    locale = locale_name()
    return (_short_moment_pattern(locale)
            .replace("{0}", _clock_in(local.hour, local.minute, locale))
            .replace("{1}", _day_in(local.date(), "short", locale)))


@functools.lru_cache(maxsize=16)
def _short_moment_pattern(locale: str) -> str:
    # As babel.dates.format_datetime joins a "short" date and time (quotes dropped).
    return babel_dates.get_datetime_format("short", locale=locale).replace("'", "")


@functools.lru_cache(maxsize=4096)
def _clock_in(hour: int, minute: int, locale: str) -> str:
    # The "short" time patterns (H:mm, h:mm a) name no zone nor seconds.
    return babel_dates.format_time(time(hour, minute), "short", locale=locale)


def format_iso(value: datetime | None) -> str:
    """A moment for machines (`<time datetime>`): ISO 8601 in UTC."""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def format_clock(value: time | None) -> str:
    return value.strftime("%H:%M") if value else ""


def zone_name(where: ZoneInfo) -> str:
    """A zone's everyday name in the current language ("Eastern European Time")."""
    return babel_dates.get_timezone_name(where, "long", locale=get_locale())


def format_session_times(session) -> Markup:
    """A session's times as the centre's clock shows them; when the reader's clock
    differs then, the centre's zone is named and the reader's times given too."""
    times = f"{format_clock(session.starts_at)}–{format_clock(session.ends_at)}"
    viewer = reader_timezone()
    if viewer is None:
        return Markup.escape(times)
    where = session.run.zone
    if str(viewer) == where.key:  # the reader is in the centre's zone: nothing to convert
        return Markup.escape(times)
    starts, ends = session.starts, session.ends
    if starts.astimezone(viewer).utcoffset() == starts.astimezone(where).utcoffset():
        return Markup.escape(times)
    theirs = f"{starts.astimezone(viewer):%H:%M}–{ends.astimezone(viewer):%H:%M}"
    note = _("%(zone)s; %(times)s your time", zone=zone_name(where), times=theirs)
    return Markup('{} <small class="zone">({})</small>').format(times, note)


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (for filters and paging)."""
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    for key in [k for k, v in changes.items() if v is None]:
        args.pop(key, None)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


# A number no record will have, standing for the id in a URL pattern.
_ID_STANDIN = 987_654_321_987_654_321


class UrlPattern:
    """The URL of `endpoint` for any id, built by `url_for` once a page rather than
    once a row (a link per row of a fifty-row table is fifty `url_for` calls, some
    10 µs each): `pattern(id)` gives exactly what `url_for(endpoint, **values,
    <name>=id)` does; for an id or code that url_for would escape, it asks url_for."""

    def __init__(self, endpoint: str, name: str, **values):
        self._build = functools.partial(url_for, endpoint, **values)
        self._name = name
        url = self._build(**{name: _ID_STANDIN})
        standin = str(_ID_STANDIN)
        self._parts = url.split(standin) if url.count(standin) == 1 else None

    def __call__(self, id_) -> str:
        if self._parts is None or not _plain(id_):
            return self._build(**{self._name: id_})  # url_for decides (quoting, refusals)
        return f"{self._parts[0]}{id_}{self._parts[1]}"


# Characters a URL path never escapes (RFC 3986's unreserved ones); a leading dot is
# left to url_for ("." and ".." are not plain names).
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*\Z")


# What a page's fixed links depend on besides their endpoint and values: the address
# the request came in on (url_for builds on an adapter bound to it).
_ADDRESS_KEYS = ("SCRIPT_NAME", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "wsgi.url_scheme")
_URL_CACHE_SIZE = 1024  # the Host header is the client's: bounded, emptied when full


def cached_url_for(app: Flask):
    """The templates' `url_for`: the same URL, remembered for links whose values are
    plain strings and numbers (the header, navigation and footer ask for the same two
    dozen on every page). Anything else (`_external`, `_anchor`, a blueprint-relative
    ".endpoint", a value of another type) goes to url_for each time; a build error is
    never remembered."""
    cache: dict = {}
    build = app.url_for

    def template_url_for(endpoint: str, /, **values) -> str:
        context = _cv_request.get(None)
        if context is None or endpoint[:1] == ".":
            return build(endpoint, **values)
        if values:
            for name, value in values.items():
                if type(value) not in _KEYABLE or name[:1] == "_":
                    return build(endpoint, **values)
            key = (endpoint, tuple(values.items()))
        else:
            key = (endpoint, ())
        environ = context.request.environ
        key += tuple(map(environ.get, _ADDRESS_KEYS))
        url = cache.get(key)
        if url is None:
            url = build(endpoint, **values)
            if any(app.url_default_functions.values()):
                return url  # url_defaults may add values from the request: never kept
            if len(cache) >= _URL_CACHE_SIZE:
                cache.clear()
            cache[key] = url
        return url

    return template_url_for


_KEYABLE = frozenset({str, int, type(None)})  # not bool: True would share 1's entry


def _plain(value) -> bool:
    """A value that url_for writes into a path as it is: a whole number (not a bool,
    not negative), or a code made of unreserved characters only."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    return isinstance(value, str) and _PLAIN_TEXT.match(value) is not None


def init_app(app: Flask) -> None:
    app.jinja_env.filters["hours"] = format_hours
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["clock"] = format_clock
    app.jinja_env.filters["isoday"] = format_isoday
    app.jinja_env.filters["datetime"] = format_when
    app.jinja_env.filters["iso"] = format_iso
    app.jinja_env.filters["session_times"] = format_session_times

    @app.context_processor
    def _forms():
        # A bare form lends its CSRF token to the header's logout and language buttons.
        # formdata=None: never parse the request here (an error page may be about it).
        return {"logout_form": FlaskForm(formdata=None)} if has_request_context() else {}

    app.jinja_env.globals.update(
        url_for=cached_url_for(app), url_with=url_with, url_pattern=UrlPattern,
        get_locale=get_locale, LANGUAGE_NAMES=LANGUAGE_NAMES, utcnow=utcnow,
    )

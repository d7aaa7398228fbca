"""Locale and time-zone selection, and the gettext functions every module imports from here."""

from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytz
from flask import current_app, has_request_context, request, session
from flask_babel import _get_current_context as _babel_context
from flask_babel import force_locale as _force_locale
from flask_babel import (
    get_locale,
    get_timezone,
    gettext,
    lazy_gettext,
    lazy_pgettext,
    ngettext,
)
from flask_login import current_user
from sqlalchemy.exc import DBAPIError

from lms.clock import zone

__all__ = [
    "gettext",
    "lazy_gettext",
    "lazy_pgettext",
    "ngettext",
    "select_locale",
    "select_timezone",
    "LANGUAGE_NAMES",
    "speaking",
]

# Each language named in itself, as a language menu should.
LANGUAGE_NAMES = {"en": "English", "hu": "Magyar", "bg": "Български"}
# Where a reader of each language most likely is, for moments shown to them.
LANGUAGE_ZONES = {"hu": "Europe/Budapest", "bg": "Europe/Sofia"}


def select_locale() -> str | None:
    """The user's profile language, else the one picked in the header, else the browser's."""
    if not has_request_context():  # CLI and background work use the default locale
        return None
    languages = current_app.config["LANGUAGES"]
    try:
        if current_user and current_user.is_authenticated and current_user.locale in languages:
            return current_user.locale
    except DBAPIError:  # the database is down: the error page still speaks the language
        pass
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages)


def select_timezone() -> str | None:
    """The zone moments are shown in: the user's chosen zone, else that of their
    language's country, else the configured default (LMS_TIMEZONE)."""
    if not has_request_context():
        return None
    default = LANGUAGE_ZONES.get(str(get_locale()), current_app.config["BABEL_DEFAULT_TIMEZONE"])
    try:
        if current_user and current_user.is_authenticated and current_user.time_zone:
            return zone(current_user.time_zone, default).key
    except DBAPIError:
        pass
    return zone(default).key


def viewer_zone() -> ZoneInfo:
    """The zone the reader sees moments in, as a `ZoneInfo` (Flask-Babel hands out pytz
    zones, which must not be given to `datetime(tzinfo=...)`)."""
    return zone(str(get_timezone()), current_app.config["BABEL_DEFAULT_TIMEZONE"])


@contextmanager
def speaking(language: str, where: ZoneInfo) -> Iterator[None]:
    """Words in `language` and moments in the zone `where`, whoever reads: for documents
    that must read the same for every reader (the evidence pack of a run)."""
    # Flask-Babel forces a locale but not a zone: its cached zone is set the same way
    # (a pytz zone, as its own selector gives it) and put back after.
    ctx = _babel_context()
    before = getattr(ctx, "babel_tzinfo", None)
    with _force_locale(language):
        ctx.babel_tzinfo = pytz.timezone(where.key)
        try:
            yield
        finally:
            ctx.babel_tzinfo = before

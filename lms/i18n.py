"""Locale and time-zone selection, and the gettext functions every module imports from here."""

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytz
from flask import current_app, g, has_request_context, request, session
from flask_babel import _get_current_context as _babel_context
from flask_babel import force_locale as _force_locale
from flask_babel import get_locale, get_timezone, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup
from sqlalchemy.exc import DBAPIError

from lms.clock import zone

__all__ = [
    "gettext",
    "lazy_gettext",
    "lazy_pgettext",
    "ngettext",
    "pgettext",
    "select_locale",
    "select_timezone",
    "LANGUAGE_NAMES",
    "speaking",
]

# Each language named in itself, as a language menu should.
LANGUAGE_NAMES = {"en": "English", "hu": "Magyar", "bg": "Български"}
# Where a reader of each language most likely is, for moments shown to them.
LANGUAGE_ZONES = {"hu": "Europe/Budapest", "bg": "Europe/Sofia"}


# ---------------------------------------------------------------- gettext, fast
#
# Flask-Babel's gettext looks its request state up three times a call (domain,
# translations, locale), each through three context-local proxies; a list page says
# some hundreds of words and spent a tenth of its time there. These functions take the
# catalogue of the language spoken now once per request and language (kept in `g`),
# and otherwise translate and format exactly as Flask-Babel does; templates use them
# too (`install_jinja_gettext`). `force_locale` still works: the language is read at
# every call, only its catalogue is kept.


def _catalogue():
    """The translations of the language spoken now, as Flask-Babel's `get_translations`."""
    try:
        app_globals = g._get_current_object()
    except RuntimeError:  # outside the application: Flask-Babel's null translations
        return get_translations()
    state = app_globals.__dict__
    babel_state = state.get("_flask_babel")
    locale = getattr(babel_state, "babel_locale", None) or get_locale()
    # The last catalogue taken, by the identity of its Locale: a dict lookup would hash
    # the Locale (Babel's __hash__ in Python) at each of a page's hundreds of words.
    last = state.get("_lms_catalogue")
    if last is not None and last[0] is locale:
        return last[1]
    catalogues = state.setdefault("_lms_catalogues", {})
    catalogue = catalogues.get(locale)
    if catalogue is None:
        catalogue = catalogues[locale] = get_translations()
    state["_lms_catalogue"] = (locale, catalogue)
    return catalogue


def _babel_state():
    """Flask-Babel's state of this request (`g._flask_babel`), None outside one."""
    try:
        return g._get_current_object().__dict__.get("_flask_babel")
    except RuntimeError:
        return None


@functools.lru_cache(maxsize=64)
def _identifier(locale) -> str:
    return str(locale)


def locale_name() -> str:
    """`str(get_locale())`, the language spoken now ("hu"), for the formatting filters
    that run once a cell: read from Flask-Babel's cache of this request (where
    `force_locale` sets it too) when it holds one, for a twentieth of the cost."""
    state = _babel_state()
    locale = getattr(state, "babel_locale", None)
    if locale is None:
        return _identifier(get_locale())
    # The request's Locale object and its name, kept beside it: the lru_cache's lookup
    # compares Locale objects attribute by attribute (Babel's __eq__), some 2 µs a cell.
    known = state.__dict__.get("_lms_locale_name")
    if known is not None and known[0] is locale:
        return known[1]
    name = _identifier(locale)
    state._lms_locale_name = (locale, name)
    return name


def reader_timezone():
    """`get_timezone()`, the same way: the reader's zone as Flask-Babel gives it."""
    zone_now = getattr(_babel_state(), "babel_tzinfo", None)
    return zone_now if zone_now is not None else get_timezone()


def gettext(string: str, **variables) -> str:
    text = _catalogue().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return _catalogue().ungettext(singular, plural, num) % variables


def pgettext(context: str, string: str, **variables) -> str:
    text = _catalogue().upgettext(context, string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables) -> LazyString:
    return LazyString(gettext, string, **variables)


def lazy_pgettext(context: str, string: str, **variables) -> LazyString:
    return LazyString(pgettext, context, string, **variables)


def install_jinja_gettext(app) -> None:
    """Templates' {% trans %}, _() and ngettext() through the functions above (after
    Flask-Babel's init_app, which installs its own)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalogue().ugettext(s),
        ngettext=lambda s, p, n: _catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: _catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalogue().unpgettext(c, s, p, n),
        newstyle=True)
    # `_()` is Jinja's alias of `gettext`, called through the template context twice
    # (the alias, then newstyle's wrapper): the same words and escaping in one call.
    app.jinja_env.globals["_"] = _template_gettext


@pass_eval_context
def _template_gettext(eval_ctx, string: str, **variables) -> str:
    """What Jinja's newstyle `_()` gives: the translation, marked safe and formatted
    (escaping the values) when the template autoescapes; a format string always."""
    text = _catalogue().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


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

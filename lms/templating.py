"""Jinja filters and globals: locale-aware dates, times and hours."""

from datetime import date, datetime, time
from decimal import Decimal

from babel import dates as babel_dates
from flask import Flask, has_request_context, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_wtf import FlaskForm

from lms.i18n import LANGUAGE_NAMES


def format_hours(value: Decimal | int | float | None) -> str:
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.##")


def format_day(value: date | None, style: str = "medium") -> str:
    return format_date(value, style) if value else ""


def format_isoday(value: str, style: str = "long", locale: str | None = None) -> str:
    """A date kept as ISO text (frozen certificate facts), shown in the current locale
    or in `locale` (the English line of a bilingual certificate)."""
    if not value:
        return ""
    day = date.fromisoformat(value)
    return babel_dates.format_date(day, style, locale=locale) if locale else format_date(day, style)


def format_when(value: datetime | None) -> str:
    """A moment stored in UTC, shown in the centres' time zone and the reader's locale."""
    return format_datetime(value, "short") if value else ""


def format_clock(value: time | None) -> str:
    return value.strftime("%H:%M") if value else ""


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (for filters and paging)."""
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    for key in [k for k, v in changes.items() if v is None]:
        args.pop(key, None)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["hours"] = format_hours
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["clock"] = format_clock
    app.jinja_env.filters["isoday"] = format_isoday
    app.jinja_env.filters["datetime"] = format_when

    @app.context_processor
    def _forms():
        # A bare form lends its CSRF token to the header's logout and language buttons.
        # formdata=None: never parse the request here (an error page may be about it).
        return {"logout_form": FlaskForm(formdata=None)} if has_request_context() else {}

    app.jinja_env.globals.update(
        url_with=url_with, get_locale=get_locale, LANGUAGE_NAMES=LANGUAGE_NAMES
    )

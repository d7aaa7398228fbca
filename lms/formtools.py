"""Small helpers shared by the feature packages' forms, and the base class of every form."""

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

import wtforms
from flask_wtf import FlaskForm
from wtforms import SelectChoice
from wtforms.fields import DateField, DecimalField, FloatField, IntegerField, StringField
from wtforms.meta import DefaultMeta
from wtforms.validators import NumberRange, StopValidation, ValidationError

from lms.i18n import lazy_gettext as _l

# C0 control characters other than tab, line feed and carriage return: nobody types
# them, PostgreSQL cannot store NUL, and they garble exports and PDFs.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What the database's INTEGER holds.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# The calendar a form accepts: wide enough for any birth date or training, narrow
# enough that a year 0001 or 9999 typed by mistake cannot break every page showing it
# (a day before or after it would not exist).
YEAR_MIN, YEAR_MAX = 1900, 2200


def has_control_characters(value: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(value))


def _no_control_characters(_form, field) -> None:
    if isinstance(field.data, str) and has_control_characters(field.data):
        raise ValidationError(_l("Remove the control characters (such as NUL) from this field."))


def _finite_number(_form, field) -> None:
    # Decimal("NaN") and Decimal("Infinity") parse, then break every comparison (a
    # NumberRange raises on NaN) and no database column holds them: stop here.
    if isinstance(field.data, Decimal | float) and not (
            field.data.is_finite() if isinstance(field.data, Decimal)
            else abs(field.data) < float("inf")):
        raise StopValidation(_l("Enter a number."))
    if field.data is not None and abs(field.data) > INT_MAX:
        raise StopValidation(_l("This number is too large."))


def _parsed(_form, field) -> None:
    # A value that could not be read (letters in a number field, "NaN", 2026-02-30)
    # already carries its one message ("Not a valid integer value."); the range
    # checks after it would only add contradictory ones about a value that is not there.
    # An empty field is left to the form's Optional / InputRequired.
    if field.process_errors and any(str(raw).strip() for raw in field.raw_data or ()):
        raise StopValidation()


def _date_in_calendar(_form, field) -> None:
    if isinstance(field.data, date) and not YEAR_MIN <= field.data.year <= YEAR_MAX:
        raise ValidationError(_l("Enter a date between %(first)d and %(last)d.",
                                 first=YEAR_MIN, last=YEAR_MAX))


def _bind_with_safety_nets(meta, meta_class, form, unbound_field, options):
    first, extra = [], []
    if issubclass(unbound_field.field_class, IntegerField | DecimalField | FloatField | DateField):
        first.append(_parsed)
    if issubclass(unbound_field.field_class, StringField):
        extra.append(_no_control_characters)
    if issubclass(unbound_field.field_class, IntegerField):
        extra.append(NumberRange(INT_MIN, INT_MAX, _l("This number is too large.")))
    if issubclass(unbound_field.field_class, DecimalField | FloatField):
        first.append(_finite_number)  # before the form's own range checks
    if issubclass(unbound_field.field_class, DateField):
        extra.append(_date_in_calendar)
    if first or extra:  # passed at binding time: the class's field stays as declared
        declared = list(unbound_field.kwargs.get("validators") or [])
        options = dict(options, validators=[*first, *declared, *extra])
    return super(meta_class, meta).bind_field(form, unbound_field, options)


class Form(FlaskForm):
    """Every form's base: CSRF (Flask-WTF), and for all fields, whatever the form
    says, no control characters in text and no number the database cannot hold."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            return _bind_with_safety_nets(self, Form.Meta, form, unbound_field, options)


class SubForm(wtforms.Form):
    """A row inside a form (FormField / FieldList), with the same safety nets."""

    class Meta(DefaultMeta):
        def bind_field(self, form, unbound_field, options):
            return _bind_with_safety_nets(self, SubForm.Meta, form, unbound_field, options)


def int_arg(args: Mapping, name: str, default: int | None = None, low: int = 1,
            high: int = INT_MAX) -> int | None:
    """An integer query argument (an id, a page), or `default` when it is missing, not a
    plain number or outside low..high (what the database can hold)."""
    raw = str(args.get(name, "")).strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        return default
    value = int(raw)
    return value if low <= value <= high else default


def date_arg(args: Mapping, name: str) -> tuple[date | None, bool]:
    """A date query argument (YYYY-MM-DD) and whether it was readable: (None, True) when
    missing; (None, False) when unreadable or outside the calendar forms accept."""
    raw = str(args.get(name, "")).strip()
    if not raw:
        return None, True
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None, False
    if not YEAR_MIN <= day.year <= YEAR_MAX:
        return None, False
    return day, True


def options(pairs: Iterable[tuple]) -> list[SelectChoice]:
    """SelectField choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]

"""Small helpers shared by the feature packages' forms, and the base class of every form."""

import re
from collections.abc import Iterable

import wtforms
from flask_wtf import FlaskForm
from wtforms import SelectChoice
from wtforms.fields import IntegerField, StringField
from wtforms.meta import DefaultMeta
from wtforms.validators import NumberRange, ValidationError

from lms.i18n import lazy_gettext as _l

# C0 control characters other than tab, line feed and carriage return: nobody types
# them, PostgreSQL cannot store NUL, and they garble exports and PDFs.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What the database's INTEGER holds.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def has_control_characters(value: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(value))


def _no_control_characters(_form, field) -> None:
    if isinstance(field.data, str) and has_control_characters(field.data):
        raise ValidationError(_l("Remove the control characters (such as NUL) from this field."))


def _bind_with_safety_nets(meta, meta_class, form, unbound_field, options):
    extra = []
    if issubclass(unbound_field.field_class, StringField):
        extra.append(_no_control_characters)
    if issubclass(unbound_field.field_class, IntegerField):
        extra.append(NumberRange(INT_MIN, INT_MAX, _l("This number is too large.")))
    if extra:  # passed at binding time: the class's field stays as declared
        declared = list(unbound_field.kwargs.get("validators") or [])
        options = dict(options, validators=[*declared, *extra])
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


def options(pairs: Iterable[tuple]) -> list[SelectChoice]:
    """SelectField choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]

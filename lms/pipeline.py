"""The one transaction boundary every state-changing request goes through.

As Indico's `RH.process`: a view loads its records, checks access, validates its
form, then hands one operation to `perform`. `perform` commits once, or rolls
back and maps the error to what a person can act on:

- `DomainError` (a rule refused): its message next to the form's field, or a flash;
- `IntegrityError` (a constraint the database enforced, usually because of a
  concurrent change): the specific message registered for that constraint with
  `explain_constraint`, else a generic "changed at the same moment" one; the page
  answers 409;
- `DataError` (a value the database cannot store): a "value out of range"
  message; the page answers 400.

Nothing is half-saved and nothing answers 500. The same integrity and data errors
raised outside `perform` (e.g. while a page reads) are caught by the error
handlers in `lms.core.routes`. No view commits or rolls back by itself.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import Flask, current_app, flash, g
from sqlalchemy.exc import DataError, IntegrityError

from lms.errors import DomainError, attach_to_form
from lms.extensions import db
from lms.i18n import gettext as _

T = TypeVar("T")

# Constraint name (see NAMING_CONVENTION in lms.extensions) -> a callable giving the
# translated message to show when a concurrent change trips it.
_CONSTRAINT_MESSAGES: dict[str, Callable[[], str]] = {}
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>[\w.]+(?:, [\w.]+)*)")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (?P<name>\w+)")


@dataclass
class Outcome(Generic[T]):
    """What `perform` did: truthy when the operation was committed."""

    ok: bool
    value: T | None = None

    def __bool__(self) -> bool:
        return self.ok


def explain_constraint(name: str, message: Callable[[], str]) -> None:
    """Register what to tell a person when constraint `name` refuses a change."""
    _CONSTRAINT_MESSAGES[name] = message


def perform(operation: Callable[[], T], form=None,
            explain: Callable[[DomainError], None] | None = None) -> Outcome[T]:
    """Run one operation and commit; on refusal roll back and say why: through
    `explain(error)` when given, else next to the field of `form`, else as a flash."""
    try:
        value = operation()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        _tell(error, form, explain)
    except IntegrityError as error:
        db.session.rollback()
        _tell(DomainError(integrity_message(error)), form, explain)
        g.error_status = 409
    except DataError as error:
        db.session.rollback()
        _tell(DomainError(data_message(error)), form, explain)
        g.error_status = 400
    else:
        return Outcome(True, value)
    return Outcome(False)


def _tell(error: DomainError, form, explain) -> None:
    if explain is not None:
        explain(error)
    elif form is not None:
        attach_to_form(form, error)
    else:
        flash(error.message, "error")


def constraint_name(error: IntegrityError) -> str | None:
    """The name of the constraint that refused the change, on PostgreSQL and SQLite."""
    diag = getattr(error.orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return diag.constraint_name
    text = str(error.orig)
    match = _SQLITE_CHECK.search(text)
    if match:
        return match.group("name")
    match = _SQLITE_UNIQUE.search(text)
    if match:
        columns = [c.split(".", 1) for c in match.group("columns").split(", ")]
        table_name = columns[0][0]
        wanted = {column for _table, column in columns}
        table = db.metadata.tables.get(table_name)
        for constraint in table.constraints if table is not None else ():
            if {c.name for c in getattr(constraint, "columns", ())} == wanted and constraint.name:
                return str(constraint.name)
    return None


def integrity_message(error: IntegrityError) -> str:
    name = constraint_name(error)
    message = _CONSTRAINT_MESSAGES.get(name or "")
    if message is not None:
        return str(message())
    current_app.logger.warning("integrity error without a message (%s): %s", name, error.orig)
    return _("Someone else changed this at the same moment, or it refers to something "
             "that no longer exists. Nothing was saved: please look again and retry.")


def data_message(_error: Exception) -> str:
    return _("A value is outside what Forrás can store (too large, too long, not a valid "
             "date or with a NUL character). Nothing was saved.")


def init_app(app: Flask) -> None:
    @app.after_request
    def _status_of_refused_form(response):
        # A form page re-rendered after a conflict or bad value is a 4xx, not a 200.
        status = g.pop("error_status", None)
        if status and response.status_code == 200:
            response.status_code = status
        return response

"""Recording the audit log from the ORM's flushes, and reading it back.

Every insert, update and delete of an audited model is written to `audit_entry`
on the same connection, inside the same transaction, by an `after_flush` hook:
no service can forget to log, and a rolled-back change leaves no entry.
"""

import datetime as dt
import enum
import hashlib
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session as OrmSession

from lms.audit.models import AuditEntry
from lms.clock import instant_at, utcnow

# Models whose changes are kept, and fields not worth a line (bookkeeping) or never
# to be copied (secrets; the certificate's PDF bytes are summarised by their hash).
AUDITED = {
    "User",
    "Centre",
    "Course",
    "CourseModule",
    "Run",
    "Session",
    "Enrolment",
    "TrainerAssignment",
    "AttendanceMark",
    "Certificate",
    "Notification",
}
# Models of which only some fields are kept: of an e-mail, where it stands (queued,
# sent, failing, resent by an administrator), never its body, which holds links
# that log in or set a password.
ONLY_FIELDS = {"Notification": {"state"}}
SKIPPED_FIELDS = {"created_at", "last_login_at", "enrolled_count"}
SECRET_FIELDS = {"password_hash", "calendar_key"}  # the key opens the calendar feed


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"sha256:{hashlib.sha256(value).hexdigest()}"
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def _columns(obj):
    mapper = inspect(obj).mapper
    only = ONLY_FIELDS.get(type(obj).__name__)
    return [
        attr
        for attr in mapper.column_attrs
        if attr.key not in SKIPPED_FIELDS and (only is None or attr.key in only)
    ]


def _value(key: str, value):
    return "(changed)" if key in SECRET_FIELDS and value is not None else _plain(value)


def _changes(obj, action: str) -> dict:
    state = inspect(obj)
    changes = {}
    for attr in _columns(obj):
        key = attr.key
        if action == "create":
            value = getattr(obj, key)
            if value not in (None, "") and key != "id":
                changes[key] = [None, _value(key, value)]
        elif action == "delete":
            changes[key] = [_value(key, getattr(obj, key)), None]
        else:
            history = state.attrs[key].history
            if history.has_changes():
                before = history.deleted[0] if history.deleted else None
                after = history.added[0] if history.added else None
                if _plain(before) != _plain(after):
                    changes[key] = [_value(key, before), _value(key, after)]
    return changes


def _actor_id() -> int | None:
    """The logged-in user, without loading anything (we are inside a flush)."""
    if not has_request_context():
        return None
    user = getattr(g, "_login_user", None)
    return getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None


def _label(obj) -> str:
    for key in ("serial", "code", "email", "name", "title", "subject"):
        value = getattr(obj, key, None)
        if isinstance(value, str) and value:
            return value[:300]
    return ""


@event.listens_for(OrmSession, "after_flush")
def _record(session, _flush_context) -> None:
    rows = []
    for action, objects in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            entity = type(obj).__name__
            if entity not in AUDITED:
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _changes(obj, action)
            if not changes:
                continue
            rows.append(
                {
                    "at": utcnow(),
                    "actor_id": _actor_id(),
                    "action": action,
                    "entity": entity,
                    "entity_id": getattr(obj, "id", None),
                    "label": _label(obj),
                    "changes": changes,
                    "endpoint": (request.endpoint or "")[:100] if has_request_context() else "",
                }
            )
    if rows:
        session.connection().execute(sa.insert(AuditEntry), rows)


# ---------------------------------------------------------------- reading

PAGE_SIZE = 50
UTC_ZONE = ZoneInfo("UTC")
EXPORT_BATCH = 500


def _matching(
    entity: str,
    actor_email: str,
    entity_id: int | None,
    since: dt.date | None,
    until: dt.date | None,
    where: ZoneInfo,
) -> sa.Select:
    from sqlalchemy.orm import joinedload

    from lms.auth.models import User

    stmt = sa.select(AuditEntry).options(joinedload(AuditEntry.actor))
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if actor_email:
        stmt = stmt.join(AuditEntry.actor).where(User.email.contains(actor_email.casefold()))
    # The dates are whole days where the reader is.
    if since:
        stmt = stmt.where(AuditEntry.at >= instant_at(since, dt.time(), where))
    if until:
        next_day = until + dt.timedelta(days=1)
        stmt = stmt.where(AuditEntry.at < instant_at(next_day, dt.time(), where))
    return stmt


def search(
    entity: str = "",
    actor_email: str = "",
    entity_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    page: int = 1,
    where: ZoneInfo = UTC_ZONE,
) -> tuple[list[AuditEntry], bool]:
    """One page of entries, newest first, and whether there is a next page."""
    from lms.extensions import db

    stmt = _matching(entity, actor_email, entity_id, since, until, where)
    stmt = stmt.order_by(AuditEntry.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    entries = list(db.session.scalars(stmt).unique())
    return entries[:PAGE_SIZE], len(entries) > PAGE_SIZE


def export(
    entity: str = "",
    actor_email: str = "",
    entity_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    where: ZoneInfo = UTC_ZONE,
) -> Iterator[AuditEntry]:
    """Every matching entry, oldest first, read in batches (the log only grows)."""
    from lms.extensions import db

    stmt = _matching(entity, actor_email, entity_id, since, until, where).order_by(AuditEntry.id)
    last_id = 0
    while True:
        batch = list(
            db.session.scalars(stmt.where(AuditEntry.id > last_id).limit(EXPORT_BATCH)).unique()
        )
        yield from batch
        if len(batch) < EXPORT_BATCH:
            return
        last_id = batch[-1].id

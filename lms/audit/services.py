"""Recording the audit log, whichever code path changes a record, and reading it back.

Two hooks on every ORM session write `audit_entry` on the same connection, inside
the same transaction as the change, so no service can forget to log and a
rolled-back change leaves no entry:

- `after_flush`: every insert, update and delete of an audited object;
- `do_orm_execute`: every UPDATE or DELETE statement on an audited model run
  through the session (`db.session.execute(sa.update(Enrolment)...)`, the
  conditional UPDATEs of seats and enrolment states). The rows it matches are
  read (and locked) first, the statement is narrowed to exactly those rows, and
  they are read again after: before → after per row, as for a flush. The statement
  may name its actor and reason with `.execution_options(audit_actor_id=...,
  audit_reason=...)`.

Only a write that bypasses the session (a bare engine connection) escapes both:
none may touch an audited table. Events that change nothing (logins, failed
logins, exports, downloads of evidence) are written by `record_event`. At commit
every new entry is chained (lms/audit/chain.py).
"""

import datetime as dt
import enum
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapper, ORMExecuteState, joinedload
from sqlalchemy.orm import Session as OrmSession

from lms.audit.chain import mark_unchained
from lms.audit.models import AuditEntry
from lms.clock import instant_at, utcnow
from lms.extensions import db
from lms.paging import KeysetPage, keyset_page

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
    "Transcript",
    "Notification",
    "DocumentBlob",
    "SignedSheet",
    "Programme",
    "ParticipantData",
    "PrivacyRequest",
    # surveys and their questions; responses only as the event "answered"
    "Survey",
    "SurveySection",
    "SurveyQuestion",
    "SurveyOption",
    # who was invited to evaluate a run and whether they answered (never which response)
    "EvaluationInvitation",
}
# Models of which only some fields are kept: of an e-mail, where it stands (queued,
# sent, failing, resent by an administrator), never its body, which holds links
# that log in or set a password; of a stored document, its hash, size and type,
# never its bytes.
ONLY_FIELDS = {"Notification": {"state"}, "DocumentBlob": {"sha256", "size", "media_type"}}
# A run's first_day and last_day follow from its sessions, which are audited themselves.
SKIPPED_FIELDS = {"created_at", "last_login_at", "enrolled_count", "first_day", "last_day"}
SECRET_FIELDS = {"password_hash", "calendar_key",  # the key opens the calendar feed
                 "answer_key",  # opens a trainee's run evaluation
                 # special categories of personal data (lms.programmes.models.SENSITIVE):
                 # the log says they changed, never what they say, so erasing them
                 # erases them everywhere
                 "disability", "foreign_background", "minority", "homeless", "rural"}
# Personal data the log refers to by id only (docs/privacy.md): an entry says that a
# person's name or address changed, never what it was or became, so pseudonymising the
# person later (lms.privacy) leaves nothing of them in the log, whose hash chain
# covers every entry's fields and could not otherwise be kept unbroken.
PERSONAL_FIELDS = {"email", "pending_email", "full_name", "phone", "organisation",
                   "job_title", "county", "settlement", "register_number",
                   # what a person wrote in a request about their data (it may quote it)
                   "details"}
# Frozen documents that name their holder: the log keeps the SHA-256 of their facts.
DIGESTED_FIELDS = {"facts"}


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
    return _audited_columns(inspect(obj).mapper)


def _audited_columns(mapper: Mapper):
    only = ONLY_FIELDS.get(mapper.class_.__name__)
    return [
        attr
        for attr in mapper.column_attrs
        if attr.key not in SKIPPED_FIELDS and (only is None or attr.key in only)
    ]


def _digest(value) -> str:
    text = json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), default=str)
    return f"sha256:{hashlib.sha256(text.encode()).hexdigest()}"


def _value(key: str, value):
    if value is None:
        return None
    if key in SECRET_FIELDS or (key in PERSONAL_FIELDS and value != ""):
        return "(changed)"
    if key in DIGESTED_FIELDS:
        return _digest(value)
    return _plain(value)


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
    for key in LABEL_FIELDS:
        value = getattr(obj, key, None)
        if isinstance(value, str) and value:
            return value[:300]
    return ""


# Never a person's e-mail or name: the entry's entity and id say whose record it is.
LABEL_FIELDS = ("serial", "code", "name", "title", "subject", "filename", "sha256")
# A change that states its reason in one of these fields gives the entry its reason.
REASON_FIELDS = ("reason", "cancel_reason", "revoke_reason", "replace_reason")


def _reason(changes: dict) -> str:
    for key in REASON_FIELDS:
        after = changes.get(key, (None, None))[1]
        if isinstance(after, str) and after:
            return after[:1000]
    return ""


def _endpoint() -> str:
    return (request.endpoint or "")[:100] if has_request_context() else ""


def _write(session: OrmSession, rows: list[dict]) -> None:
    """Insert entries on the session's connection; they are chained at commit."""
    if rows:
        session.connection().execute(sa.insert(AuditEntry), rows)
        mark_unchained(session)


@event.listens_for(Mapper, "mapper_configured")
def _keep_old_values(mapper: Mapper, class_) -> None:
    """An audited field set while not loaded (after a commit expired it) would lose its
    old value, and its change would vanish from the log: load the old value first."""
    if class_.__name__ not in AUDITED:
        return
    for column in mapper.column_attrs:
        event.listen(getattr(class_, column.key), "set", _ignore, active_history=True)


def _ignore(_target, value, _old, _initiator):
    return value


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
                    "actor_id": session.info.get(ACTOR) or _actor_id(),
                    "action": action,
                    "entity": entity,
                    "entity_id": getattr(obj, "id", None),
                    "label": _label(obj),
                    "changes": changes,
                    "endpoint": _endpoint(),
                    "reason": session.info.get(REASON) or _reason(changes),
                }
            )
    _write(session, rows)


# session.info: the reason given for the changes being flushed, and who made them
REASON, ACTOR = "audit_reason", "audit_actor_id"


@contextmanager
def because(reason: str, by=None) -> Iterator[None]:
    """Give the changes flushed inside the block this reason in the audit log (when the
    reason is kept elsewhere than the changed record, e.g. an attendance correction's),
    and `by` (a user) as who made them, when the logged-in person is not (or none is)."""
    db.session.info[REASON] = reason[:1000]
    if by is not None:
        db.session.info[ACTOR] = by.id
    try:
        yield
    finally:
        db.session.info.pop(REASON, None)
        db.session.info.pop(ACTOR, None)


def _set_keys(statement, mapper: Mapper) -> set[str] | None:
    """The attributes an UPDATE sets, or None when they cannot be told (then all)."""
    values = getattr(statement, "_values", None)
    if not values:
        return None
    keys = set()
    for key in values:
        name = getattr(key, "key", key)
        if not isinstance(name, str):
            return None
        keys.add(name)
    return keys


@event.listens_for(OrmSession, "do_orm_execute")
def _record_statement(state: ORMExecuteState):
    """Log an UPDATE or DELETE statement on an audited model row by row (see the module)."""
    if not (state.is_update or state.is_delete):
        return None
    mapper = state.bind_mapper
    if mapper is None or mapper.class_.__name__ not in AUDITED:
        return None
    attrs = _audited_columns(mapper)
    if state.is_update:
        keys = _set_keys(state.statement, mapper)
        if keys is not None and not keys & {attr.key for attr in attrs}:
            return None  # bookkeeping only (a seat counter, a claim on an e-mail)
    session = state.session
    connection = session.connection()
    cls, table = mapper.class_, mapper.local_table
    (pk,) = mapper.primary_key
    if connection.dialect.name == "sqlite":
        # Take the write lock before reading, so no one changes the rows between
        # what we read as "before" and our UPDATE (an UPDATE of nothing takes it).
        connection.execute(sa.update(table).where(sa.false()).values({pk.key: pk}))
    columns = [getattr(cls, attr.key) for attr in attrs]
    read = sa.select(pk, *columns)
    if state.statement.whereclause is not None:
        read = read.where(state.statement.whereclause)
    # PostgreSQL: the matched rows stay locked until commit, so they are exactly
    # the rows the narrowed statement changes (a concurrent loser now matches none).
    before = {row[0]: row[1:] for row in connection.execute(read.with_for_update())}
    result = state.invoke_statement(statement=state.statement.where(pk.in_(list(before))))
    after = {}
    if state.is_update and before:
        reread = sa.select(pk, *columns).where(pk.in_(list(before)))
        after = {row[0]: row[1:] for row in connection.execute(reread)}
    options = state.execution_options
    actor_id = options.get("audit_actor_id") or _actor_id()
    rows = []
    for entity_id, old in before.items():
        new = after.get(entity_id, (None,) * len(attrs))
        changes = {
            attr.key: [_value(attr.key, was), _value(attr.key, now)]
            for attr, was, now in zip(attrs, old, new, strict=True)
            if _plain(was) != _plain(now)
        }
        if not changes:
            continue
        values = dict(zip((attr.key for attr in attrs), new if state.is_update else old,
                          strict=True))
        rows.append(
            {
                "at": utcnow(),
                "actor_id": actor_id,
                "action": "update" if state.is_update else "delete",
                "entity": cls.__name__,
                "entity_id": entity_id,
                "label": _label_of(values),
                "changes": changes,
                "endpoint": _endpoint(),
                "reason": (options.get("audit_reason") or _reason(changes))[:1000],
            }
        )
    _write(session, rows)
    return result


def _label_of(values: Mapping) -> str:
    for key in LABEL_FIELDS:
        value = values.get(key)
        if isinstance(value, str) and value:
            return value[:300]
    return ""


# ---------------------------------------------------------------- events

LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
SESSIONS_ENDED = "sessions_ended"
EXPORT = "export"
DOWNLOAD = "download"
# Someone else read or exported a person's data (an administrator opening their full
# profile, exporting a roster or register, downloading an evidence pack): one entry per
# person, on the person (entity "User"), so their own export lists it.
ACCESS = "access"


def record_event(
    name: str,
    entity: str = "",
    entity_id: int | None = None,
    label: str = "",
    actor_id: int | None = None,
    details: dict | None = None,
) -> None:
    """Log something that changes no record but an auditor asks about: a login, a
    failed login (never the password typed), an export of personal data, a
    download of evidence. `details` are shown as fields with no "before"."""
    _write(
        db.session,
        [
            {
                "at": utcnow(),
                "actor_id": actor_id or _actor_id(),
                "action": "event",
                "event": name,
                "entity": entity,
                "entity_id": entity_id,
                "label": label[:300],
                "changes": {key: [None, _plain(value)] for key, value in (details or {}).items()},
                "endpoint": _endpoint(),
                "reason": "",
            }
        ],
    )


def record_access(person_ids: Iterable[int], what: str, entity: str = "",
                  entity_id: int | None = None, actor_id: int | None = None) -> None:
    """Log that the people `person_ids` had their data read or exported (`what`: the
    page or file) through the record `entity` #`entity_id`; never for one's own data."""
    actor = actor_id or _actor_id()
    _write(db.session, [
        {
            "at": utcnow(),
            "actor_id": actor,
            "action": "event",
            "event": ACCESS,
            "entity": "User",
            "entity_id": person_id,
            "label": what[:300],
            "changes": {"through": [None, f"{entity} #{entity_id}" if entity else ""]},
            "endpoint": _endpoint(),
            "reason": "",
        }
        for person_id in sorted(set(person_ids)) if person_id != actor
    ])


# ---------------------------------------------------------------- reading

PAGE_SIZE = 50
UTC_ZONE = ZoneInfo("UTC")
EXPORT_BATCH = 500


def count_matching(
    entity: str = "",
    actor_email: str = "",
    entity_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    where: ZoneInfo = UTC_ZONE,
) -> int:
    """How many entries the filters match (what an export of them would hold)."""
    matching = _matching(entity, actor_email, entity_id, since, until, where)
    return db.session.scalar(sa.select(sa.func.count()).select_from(matching.subquery()))


def _matching(
    entity: str,
    actor_email: str,
    entity_id: int | None,
    since: dt.date | None,
    until: dt.date | None,
    where: ZoneInfo,
) -> sa.Select:
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
    after: str | None = None,
    before: str | None = None,
    where: ZoneInfo = UTC_ZONE,
) -> KeysetPage:
    """One page of entries, newest first: the newest, those older than cursor `after` or
    those newer than cursor `before`. Ordered by (at, id) so that the date filters and
    the paging both use the index on `at`, however deep the page."""
    stmt = _matching(entity, actor_email, entity_id, since, until, where)
    return keyset_page(stmt, (AuditEntry.at, AuditEntry.id), (dt.datetime, int),
                       after=after, before=before, size=PAGE_SIZE)


def export(
    entity: str = "",
    actor_email: str = "",
    entity_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    where: ZoneInfo = UTC_ZONE,
) -> Iterator[AuditEntry]:
    """Every matching entry, oldest first, read in batches (the log only grows)."""
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


def changes_of(records: Mapping[str, Iterable[int]]) -> Iterator[AuditEntry]:
    """Every change (not events) of the given records, {record type: ids}, oldest first,
    read in batches: a run's own trail, as its evidence pack carries it."""
    about = [
        sa.and_(AuditEntry.entity == entity, AuditEntry.entity_id.in_(sorted(ids)))
        for entity, ids in sorted(records.items())
        if ids
    ]
    if not about:
        return
    stmt = (
        sa.select(AuditEntry)
        .options(joinedload(AuditEntry.actor))
        .where(AuditEntry.action != "event", sa.or_(*about))
        .order_by(AuditEntry.id)
    )
    last_id = 0
    while True:
        batch = list(
            db.session.scalars(stmt.where(AuditEntry.id > last_id).limit(EXPORT_BATCH)).unique()
        )
        yield from batch
        if len(batch) < EXPORT_BATCH:
            return
        last_id = batch[-1].id

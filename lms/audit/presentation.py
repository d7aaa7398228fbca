"""The audit log as a centre's administrator or an auditor reads it: record names
instead of numbers, field labels instead of column names, translated states, Yes/No,
moments in the reader's zone and language, references as names linked to their pages.

Nothing here changes what is stored (lms/audit/services.py keeps the raw values the
hash chain covers); it only reads entries and the records they name, in a fixed
number of queries per page: one per kind of record, whatever the page holds.
"""

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

import sqlalchemy as sa
from flask import url_for
from sqlalchemy import inspect
from sqlalchemy.orm import defer

from lms.access import can, remember_centres
from lms.attendance.models import AttendanceMark
from lms.audit import services
from lms.audit.labels import (
    ACTIONS,
    EVENT_SENTENCES,
    KINDS,
    LANGUAGE_FIELDS,
    field_label,
    value_labels,
)
from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.certificates.models import Certificate, Transcript
from lms.clock import as_utc, wall_clock
from lms.courses.models import Centre, Course, CourseModule, Run, Session
from lms.enrolment.models import Enrolment
from lms.extensions import db
from lms.i18n import LANGUAGE_NAMES
from lms.i18n import gettext as _
from lms.programmes.models import Programme
from lms.templating import UrlPattern, format_day, format_when
from lms.trainers.models import TrainerAssignment

SHORT = 80  # characters of a long text shown in the table; all of it in its title


@dataclass
class Text:
    """A value as shown: `full` when `text` was shortened."""

    text: str
    full: str = ""


@dataclass
class Record:
    kind: str  # the entity, for machines ("Enrolment")
    id: int | None
    name: str
    url: str | None = None


@dataclass
class Change:
    key: str  # the stored field name, kept for auditors who filter the CSV
    label: str
    before: Text
    after: Text


@dataclass
class Line:
    """One audit entry, readable."""

    entry: AuditEntry
    who: str
    email: str
    record: Record | None
    what: str  # "changed", or an event's sentence
    reason: str
    changes: list[Change] = field(default_factory=list)


# ---------------------------------------------------------------- the records named


def _models() -> dict[str, type]:
    return {cls.__name__: cls for cls in (User, Centre, Course, CourseModule, Run, Session,
                                          Enrolment, TrainerAssignment, AttendanceMark,
                                          Certificate, Transcript, Programme)}


def _foreign_keys() -> dict[tuple[str, str], str]:
    """(entity, field) -> the entity it points to, from the models' foreign keys."""
    by_table = {cls.__table__.name: name for name, cls in _models().items()}
    targets = {}
    for name, cls in _models().items():
        for column in inspect(cls).columns:
            for key in column.foreign_keys:
                if key.column.table.name in by_table:
                    targets[(name, column.key)] = by_table[key.column.table.name]
    return targets


FOREIGN_KEYS = _foreign_keys()
# Loaded in this order, so each kind's references are known before the kinds they name.
LOAD_ORDER = ("AttendanceMark", "Certificate", "Transcript", "TrainerAssignment", "CourseModule",
              "Enrolment", "Session", "Run", "User", "Course", "Centre", "Programme")


@functools.cache
def _records_by_id(cls):
    """The records of one kind with these ids (`ids`, a list): built once, not for
    each of the twelve kinds on every page (building one costs about as much as
    running it)."""
    query = sa.select(cls).where(cls.id.in_(sa.bindparam("ids", expanding=True)))
    if cls is Certificate:  # its PDF bytes are not shown
        query = query.options(defer(Certificate.pdf))
    return query


class Records:
    """The records a page of entries names, loaded one query per kind."""

    def __init__(self, entries: list[AuditEntry]):
        wanted: dict[str, set[int]] = defaultdict(set)
        for entry in entries:
            if entry.entity_id is not None:
                wanted[entry.entity].add(entry.entity_id)
            for key, pair in (entry.changes or {}).items():
                target = FOREIGN_KEYS.get((entry.entity, key))
                for value in pair if target and entry.action != "event" else ():
                    if isinstance(value, int):
                        wanted[target].add(value)
        self.loaded: dict[str, dict[int, object]] = {}
        models = _models()
        for kind in LOAD_ORDER:
            # Asked even for no ids: a page costs the same queries whatever it shows.
            cls = models[kind]
            found = {obj.id: obj for obj in db.session.scalars(
                _records_by_id(cls), {"ids": list(wanted.get(kind, ()))})}
            self.loaded[kind] = found
            for obj in found.values():  # what this one names, for the kinds loaded later
                for (entity, key), target in FOREIGN_KEYS.items():
                    if entity == kind and isinstance(getattr(obj, key), int):
                        wanted[target].add(getattr(obj, key))
        self._run_numbers = self._number_runs()
        self._url_patterns: dict[tuple[str, str], UrlPattern] = {}
        self._tell_access()

    def get(self, kind: str, id_):
        return self.loaded.get(kind, {}).get(id_)

    def _number_runs(self) -> dict[int, str]:
        """"2027/1": a run's year (of its first session) and its place among the runs
        of the same course at the same centre that year."""
        runs = self.loaded["Run"].values()
        courses = {run.course_id for run in runs}
        first = sa.func.min(Session.date)
        rows = db.session.execute(
            sa.select(Run.id, Run.course_id, Run.centre_id, first)
            .outerjoin(Session, Session.run_id == Run.id)
            .where(Run.course_id.in_(courses)).group_by(Run.id, Run.course_id, Run.centre_id))
        editions: dict[tuple, list] = defaultdict(list)
        for run_id, course_id, centre_id, day in rows:
            if day is not None:
                editions[(course_id, centre_id, day.year)].append((day, run_id))
        numbers = {}
        for (_course, _centre, year), runs_of_year in editions.items():
            for place, (_day, run_id) in enumerate(sorted(runs_of_year), start=1):
                numbers[run_id] = f"{year}/{place}"
        return numbers

    def _tell_access(self) -> None:
        """The centres of the loaded records, so `can` asks the database nothing more."""
        runs = self.loaded["Run"]
        centre = {run_id: run.centre_id for run_id, run in runs.items()}
        remember_centres("run_id", centre)
        remember_centres("session_id", {
            s.id: centre.get(s.run_id) for s in self.loaded["Session"].values()
            if s.run_id in centre})

    # ------------------------------------------------------------ names

    def run_name(self, run_id) -> str:
        """"KAP-60 Debrecen 2027/1"."""
        run = self.get("Run", run_id)
        if run is None:
            return _("run #%(id)s", id=run_id)
        course, centre = self.get("Course", run.course_id), self.get("Centre", run.centre_id)
        parts = [course.code if course else "", centre.city if centre else "",
                 self._run_numbers.get(run.id, f"#{run.id}")]
        return " ".join(part for part in parts if part)

    def person_name(self, user_id) -> str:
        user = self.get("User", user_id)
        return user.full_name if user else _("person #%(id)s", id=user_id)

    def session_when(self, session) -> str:
        """"12 March 2027, 09:00–15:00", the centre's clock."""
        return _("%(day)s, %(start)s–%(end)s", day=format_day(session.date, "long"),
                 start=session.starts_at.strftime("%H:%M"),
                 end=session.ends_at.strftime("%H:%M"))

    def name(self, kind: str, id_, label: str = "") -> str:
        """The name of a record in a sentence's subject place."""
        obj = self.get(kind, id_)
        if obj is None:  # removed since, or never loaded: what the entry itself says
            kind_word = str(KINDS.get(kind, kind))
            shown = f"{kind_word} #{id_}" if id_ is not None else kind_word
            return f"{shown} ({label})" if label else shown
        if kind == "Enrolment":
            return _("Enrolment of %(person)s in %(run)s",
                     person=self.person_name(obj.user_id), run=self.run_name(obj.run_id))
        if kind == "Session":
            return _("Session of %(when)s of %(run)s", when=self.session_when(obj),
                     run=self.run_name(obj.run_id))
        if kind == "AttendanceMark":
            enrolment, session = self.get("Enrolment", obj.enrolment_id), self.get(
                "Session", obj.session_id)
            return _("Attendance of %(person)s at the session of %(when)s of %(run)s",
                     person=self.person_name(enrolment.user_id) if enrolment else "?",
                     when=self.session_when(session) if session else "?",
                     run=self.run_name(session.run_id) if session else "?")
        if kind == "TrainerAssignment":
            return _("Trainer assignment of %(person)s to %(run)s",
                     person=self.person_name(obj.trainer_id), run=self.run_name(obj.run_id))
        if kind == "CourseModule":
            course = self.get("Course", obj.course_id)
            return _("Module %(title)s of %(course)s", title=obj.title,
                     course=course.code if course else "?")
        return {
            "Run": lambda: _("Run %(name)s", name=self.run_name(obj.id)),
            "Certificate": lambda: _("Certificate %(serial)s", serial=obj.serial),
            "Transcript": lambda: _("Transcript of %(person)s",
                                    person=self.person_name(obj.user_id)),
            "User": lambda: _("Person %(name)s", name=obj.full_name),
            "Centre": lambda: _("Centre %(name)s", name=obj.name),
            "Course": lambda: _("Course %(code)s %(title)s", code=obj.code, title=obj.title),
            "Programme": lambda: _("Programme %(code)s", code=obj.code),
        }[kind]()

    def short_name(self, kind: str, id_) -> str:
        """The name of a record as the value of a field (a trainee, a run)."""
        obj = self.get(kind, id_)
        if obj is None:
            return f"#{id_}"
        return {
            "User": lambda: obj.full_name, "Run": lambda: self.run_name(obj.id),
            "Centre": lambda: obj.name, "Course": lambda: f"{obj.code} {obj.title}",
            "Certificate": lambda: obj.serial, "Programme": lambda: obj.code,
        }.get(kind, lambda: self.name(kind, id_))()

    def url(self, kind: str, id_) -> str | None:
        """The page of a record, when the reader may open it (the access table says)."""
        obj = self.get(kind, id_)
        if obj is None:
            return None
        enrolment = self.get("Enrolment", getattr(obj, "enrolment_id", None))
        target = {
            "Run": ("manage.run", {"run_id": obj.id}),
            "Session": ("manage.edit_session", {"session_id": obj.id}),
            "Enrolment": ("enrolment.roster", {"run_id": getattr(obj, "run_id", None)}),
            "AttendanceMark": ("attendance.session_history",
                               {"session_id": getattr(obj, "session_id", None)}),
            "Certificate": ("certificates.run_certificates",
                            {"run_id": enrolment.run_id if enrolment else None}),
            "TrainerAssignment": ("trainers.assignments",
                                  {"run_id": getattr(obj, "run_id", None)}),
            "User": ("manage.edit_user", {"user_id": obj.id}),
            "Centre": ("manage.edit_centre", {"centre_id": obj.id}),
            "Course": ("manage.edit_course", {"course_id": obj.id}),
            "Programme": ("programmes.edit_programme", {"programme_id": obj.id}),
            "CourseModule": ("manage.edit_course",
                             {"course_id": getattr(obj, "course_id", None)}),
        }.get(kind)
        if target is None or None in target[1].values():
            return None
        endpoint, args = target
        if any(key in ("run_id", "session_id") and not self._centre_known(key, value)
               for key, value in args.items()):
            return None
        if not can(endpoint, **args):
            return None
        if len(args) != 1:
            return url_for(endpoint, **args)
        ((name, value),) = args.items()
        if (endpoint, name) not in self._url_patterns:  # url_for once a kind of link
            self._url_patterns[endpoint, name] = UrlPattern(endpoint, name)
        return self._url_patterns[endpoint, name](value)

    def _centre_known(self, key: str, value: int) -> bool:
        # A record whose run was not loaded would make `can` ask the database.
        return value in self.loaded["Run" if key == "run_id" else "Session"]


# ---------------------------------------------------------------- values


def _shortened(text: str, short: bool) -> Text:
    if short and len(text) > SHORT:
        return Text(text[: SHORT - 1].rstrip() + "…", text)
    return Text(text)


def _moment(value: str) -> str:
    # format_when gives Flask-Babel's format_datetime(moment, "short"), for less.
    return format_when(as_utc(dt.datetime.fromisoformat(value)))


def _column_types() -> dict[tuple[str, str], type]:
    types = {}
    for name, cls in _models().items():
        for column in inspect(cls).columns:
            kind = getattr(column.type, "impl", column.type)  # UTCDateTime: a datetime
            try:
                types[(name, column.key)] = kind.python_type
            except NotImplementedError:
                types[(name, column.key)] = object
    return types


COLUMN_TYPES = _column_types()


class Values:
    """Stored values (JSON-plain, as lms/audit/services.py keeps them) as words."""

    def __init__(self, records: Records):
        self.records = records
        self.choices = value_labels()

    def text(self, entity: str, key: str, value, event: bool = False, short: bool = True) -> Text:
        if value is None or value == "":
            return Text("—")
        if key in services.SECRET_FIELDS and value == "(changed)":
            return Text(_("(changed)"))
        if isinstance(value, bool):
            return Text(_("Yes") if value else _("No"))
        if event:
            return _shortened(self._plain(value), short)
        target = FOREIGN_KEYS.get((entity, key))
        if target and isinstance(value, int):
            return Text(self.records.short_name(target, value))
        choices = self.choices.get((entity, key))
        if choices is not None and str(value) in choices:
            return Text(str(choices[str(value)]))
        if (entity, key) in LANGUAGE_FIELDS:
            return Text(LANGUAGE_NAMES.get(value, str(value)))
        kind = COLUMN_TYPES.get((entity, key))
        try:
            if kind is dt.datetime and isinstance(value, str):
                return Text(_moment(value))
            if kind is dt.date and isinstance(value, str):
                return Text(format_day(dt.date.fromisoformat(value), "medium"))
            if kind is dt.time and isinstance(value, str):
                return Text(dt.time.fromisoformat(value).strftime("%H:%M"))
        except ValueError:
            pass
        return _shortened(self._plain(value), short)

    @staticmethod
    def _plain(value) -> str:
        if isinstance(value, dict):
            return "; ".join(f"{key}: {Values._plain(item)}" for key, item in value.items())
        if isinstance(value, list):
            return ", ".join(Values._plain(item) for item in value)
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        return "—" if value is None else str(value)


# ---------------------------------------------------------------- entries


def _who(entry: AuditEntry) -> str:
    return entry.actor.full_name if entry.actor else _("system or command line")


def _sentence(entry: AuditEntry, record: Record | None) -> str:
    sentence = EVENT_SENTENCES.get(entry.event)
    if sentence is None:
        return entry.event
    text = str(sentence) % {"who": _who(entry), "label": entry.label or "—",
                            "record": record.name if record else entry.label or "—"}
    if entry.event in (services.EXPORT, services.DOWNLOAD) and record and entry.label:
        text += f" ({entry.label})"
    if entry.event == services.EXPORT and record:
        text += " – " + record.name
    return text


def present(entries: list[AuditEntry], short: bool = True, records: Records | None = None,
            links: bool = True) -> list[Line]:
    """The entries, readable; `short` shortens long texts (the page, not the CSV);
    `links` gives each record its page, where the reader may open it (the page: a CSV
    shows none). A record's page is asked of the access table once, however many of
    the entries are about it."""
    records = records or Records(entries)
    values = Values(records)
    urls: dict[tuple[str, int | None], str | None] = {}
    lines = []
    for entry in entries:
        record = None
        if entry.entity:
            key = (entry.entity, entry.entity_id)
            if links and key not in urls:
                urls[key] = records.url(*key)
            record = Record(entry.entity, entry.entity_id,
                            records.name(entry.entity, entry.entity_id, entry.label),
                            urls.get(key))
        event = entry.action == "event"
        what = _sentence(entry, record) if event else str(ACTIONS.get(entry.action,
                                                                      entry.action))
        changes = [
            Change(key, field_label(entry.entity, key, event) or key,
                   values.text(entry.entity, key, before, event, short),
                   values.text(entry.entity, key, after, event, short))
            for key, (before, after) in (entry.changes or {}).items()
        ]
        lines.append(Line(entry, _who(entry), entry.actor.email if entry.actor else "",
                          record, what, entry.reason, changes))
    return lines


def local_time(moment: dt.datetime, where) -> str:
    """A moment for a spreadsheet: the reader's wall clock, sortable."""
    return wall_clock(as_utc(moment), where).strftime("%Y-%m-%d %H:%M:%S")


def csv_header(where, chain: bool = False) -> list[str]:
    """The columns of the log as a spreadsheet: a row per changed field, in the reader's
    words; the last columns keep the stored names (and, with `chain`, each entry's
    place and hash in the chain) for filtering and checking."""
    header = [_("When (%(zone)s)", zone=where.key), _("Who"), _("E-mail"), _("Record"),
              _("What"), _("Reason"), _("Field"), _("Before"), _("After"),
              _("Record type (code)"), _("Record number"), _("Field (code)")]
    if chain:
        header += [_("Entry number"), _("Entry hash (SHA-256)")]
    return header


def csv_rows(entries: Iterator[AuditEntry], where, chain: bool = False) -> Iterator[list]:
    """The rows of `csv_header` for `entries` (oldest first), read a batch at a time:
    the records a batch names are loaded once per batch, as the entries are."""
    while batch := list(islice(entries, services.EXPORT_BATCH)):
        for line in present(batch, short=False, links=False):
            entry = line.entry
            common = [local_time(entry.at, where), line.who, line.email,
                      line.record.name if line.record else "", line.what, line.reason]
            machine = [entry.entity, "" if entry.entity_id is None else entry.entity_id]
            tail = [entry.seq, entry.hash] if chain else []
            for change in line.changes or [None]:
                if change is None:
                    yield [*common, "", "", "", *machine, "", *tail]
                else:
                    yield [*common, change.label, change.before.text, change.after.text,
                           *machine, change.key, *tail]

"""Build a benchmark dataset of a national network on PostgreSQL, in minutes.

    python bench/dataset.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/forras_bench \
        [--scale 1.0] [--force]

Scale 1.0 is the network of issue 13: 12 centres (11 in Hungary, Razgrad in
Bulgaria, each in its zone), about 200 courses, 2,000 runs (about 21,600
sessions), 50,000 trainees, about 59,000 enrolments (enrolled, pending,
waitlisted, cancelled; completed or not in closed runs), about 470,000
attendance marks (each with its first change), about 7,000 certificates (one
real PDF/A rendered once, its bytes reused), trainers with their assignments,
an e-mail per enrolment in the outbox, and about 700,000 audit entries whose
hash chain verifies (`flask audit verify`).

The schema comes from the application's migrations (as `flask db upgrade`), then
every table is filled with PostgreSQL COPY, not the ORM: the rows respect the
models' constraints (one enrolment per trainee and run, seats within capacity,
a trainer never in two overlapping sessions, a trainee never in two overlapping
runs, serials gap-free per centre and year). Runs are spread from four and a
half years ago to four months ahead of today, one every ~0.9 days, so the
catalogue shows about 230 upcoming runs. A database that holds rows is refused
unless `--force` (which empties it first).

Every account's password is `bench-password-2026`. Logins: `admin@bench.example`
(network administrator), `admin-<prefix>@bench.example` (e.g. admin-raz, a centre
administrator), `trainer<N>@bench.example`, `trainee<N>@bench.example`.

Prints the time taken per table, and as the last line `dataset_seconds=N rows=N`.
"""

import argparse
import hashlib
import json
import math
import os
import secrets
import sys
import tempfile
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSWORD = "bench-password-2026"
DOMAIN = "bench.example"
CAPACITY = 25
SPAN_DAYS = 1720  # runs start from 1,600 days ago to 120 days ahead
FUTURE_DAYS = 120
# 60-hour courses meet 12 times for 5 hours, 24-hour ones 6 times for 4 hours, weekly.
PLANS = {60: (12, time(9), time(14), 300), 24: (6, time(9), time(13), 240)}
MARK_CYCLE = ["present"] * 5 + ["late", "left_early", "excused", "absent"]


def positive_scale(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and 0 < value <= 10):
        raise argparse.ArgumentTypeError("the scale is a number above 0 and at most 10")
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="postgresql+psycopg://user@host:port/database (must exist)")
    parser.add_argument("--scale", type=positive_scale, default=1.0)
    parser.add_argument("--force", action="store_true",
                        help="empty a database that already holds rows, then fill it")
    return parser.parse_args(argv)


# ---------------------------------------------------------------- the app and schema


def make_app(database_url: str):
    os.environ.setdefault("LMS_INSTANCE_PATH", tempfile.mkdtemp(prefix="lms-bench-"))
    os.environ.setdefault("SECRET_KEY", "bench")
    from lms import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url})


def migrate(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


def filled_tables(app) -> list[str]:
    import sqlalchemy as sa

    from lms.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        return [t.name for t in db.metadata.sorted_tables
                if conn.scalar(sa.select(sa.literal(1)).select_from(t).limit(1))]


def empty_all(app) -> None:
    import sqlalchemy as sa

    from lms.extensions import db

    with app.app_context(), db.engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def is_empty(database_url: str) -> bool:
    """Whether the database has no rows in the application's tables (or no tables)."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        conn = engine.connect()
    except sa.exc.OperationalError as error:
        raise SystemExit(f"dataset.py: cannot open the database ({error.orig}); make it "
                         "first, e.g. createdb -h 127.0.0.1 -U postgres forras_bench") from None
    with conn:
        exists = conn.scalar(sa.text("SELECT to_regclass('public.run') IS NOT NULL"))
        count = conn.scalar(sa.text("SELECT count(*) FROM (SELECT 1 FROM \"user\" LIMIT 1) u")) \
            if exists else 0
    engine.dispose()
    return not count


# ---------------------------------------------------------------- building rows


class Builder:
    """Makes every table's rows in memory (plain tuples), ids given here."""

    def __init__(self, scale: float, today: date, pdf: bytes, password_hash: str):
        from lms.courses.services import fold
        from lms.demo.data import CENTRES, COUNTRY_RUN_FIELDS, COURSES, ROOMS

        self.fold = fold
        self.scale, self.today, self.pdf = scale, today, pdf
        self.now = datetime.now(UTC)
        self.pdf_sha = hashlib.sha256(pdf).hexdigest()
        self.password_hash = password_hash
        self.specs, self.centre_specs = COURSES, CENTRES
        self.rooms, self.country_fields = ROOMS, COUNTRY_RUN_FIELDS
        self.n_courses = max(12, round(200 * scale))
        self.n_runs = max(24, round(2000 * scale))
        self.n_trainees = max(100, round(50000 * scale))
        # A trainer takes every n-th run; with this many, consecutive runs of one
        # trainer start more than a run's length (77 days) apart: no overlap.
        step = SPAN_DAYS / self.n_runs
        self.n_trainers = max(3, math.ceil(80 / step) + 3)
        self.tables: dict[str, tuple[list[str], list[tuple]]] = {}
        self.audit: list[tuple] = []

    def table(self, name: str, columns: str) -> list[tuple]:
        rows: list[tuple] = []
        self.tables[name] = (columns.split(), rows)
        return rows

    def log(self, at, actor, entity, entity_id, label, changes, action="create", event="",
            endpoint=""):
        self.audit.append((at, actor, action, event, entity, entity_id, label, changes, endpoint))

    @staticmethod
    def moment(day: date, clock_time: time, zone: ZoneInfo) -> datetime:
        return datetime.combine(day, clock_time, tzinfo=zone).astimezone(UTC)

    def build(self) -> None:
        self.centres()
        self.users()
        self.courses()
        self.runs()

    # -- centres, people, courses

    def centres(self) -> None:
        rows = self.table("centre", "id name organisation city region country time_zone address "
                          "signatory_name signatory_title serial_prefix active created_at")
        self.centre_info = []
        started = datetime.combine(self.today - timedelta(days=SPAN_DAYS + 60), time(8),
                                   tzinfo=UTC)
        for index, spec in enumerate(self.centre_specs, start=1):
            country = spec.get("country", "HU")
            zone = "Europe/Sofia" if country == "BG" else "Europe/Budapest"
            rows.append((index, spec["name"], spec.get("organisation", ""), spec["city"],
                         spec["region"], country, zone, spec["address"], spec["signatory_name"],
                         spec["signatory_title"], spec["serial_prefix"], True, started))
            self.centre_info.append({**spec, "id": index, "country": country,
                                     "zone": ZoneInfo(zone), "organisation":
                                     spec.get("organisation", "")})
            self.log(started, None, "Centre", index, spec["name"],
                     {"name": [None, spec["name"]], "city": [None, spec["city"]],
                      "serial_prefix": [None, spec["serial_prefix"]]})

    def users(self) -> None:
        rows = self.table("user", "id email password_hash full_name role organisation job_title "
                          "county settlement locale active created_at email_confirmed_at "
                          "centre_id")
        first = datetime.combine(self.today - timedelta(days=SPAN_DAYS + 50), time(8), tzinfo=UTC)
        people = [("admin@" + DOMAIN, "Bench Administrator", "admin", None, "")]
        for centre in self.centre_info:
            prefix = centre["serial_prefix"].lower()
            people.append((f"admin-{prefix}@{DOMAIN}", f"Administrator {centre['city']}", "admin",
                           centre["id"], ""))
        self.trainer_ids = []
        for n in range(1, self.n_trainers + 1):
            people.append((f"trainer{n}@{DOMAIN}", f"Trainer {n} Kovács", "trainer", None, ""))
        self.first_trainee = len(people) + 1
        surnames = ("Nagy", "Kovács", "Tóth", "Szabó", "Horváth", "Varga", "Kiss", "Molnár",
                    "Németh", "Farkas", "Петрова", "Иванов")
        organisations = ("Családsegítő Szolgálat", "Polgármesteri Hivatal", "Egyesület",
                         "Gyermekjóléti Központ", "Община", "Alapítvány")
        for n in range(1, self.n_trainees + 1):
            people.append((f"trainee{n}@{DOMAIN}", f"{surnames[n % 12]} Trainee {n}", "trainee",
                           None, f"{organisations[n % 6]} {n % 97}"))
        span = SPAN_DAYS * 86400 / len(people)
        for uid, (email, name, role, centre_id, organisation) in enumerate(people, start=1):
            created = first + timedelta(seconds=int(uid * span))
            if role == "trainer":
                self.trainer_ids.append(uid)
            rows.append((uid, email, self.password_hash, name, role, organisation,
                         "social worker" if role == "trainee" else "", "", "", None, True,
                         created, created, centre_id))
            self.log(created, 1 if uid > 1 else None, "User", uid, email,
                     {"email": [None, email], "full_name": [None, name], "role": [None, role]})

    def courses(self) -> None:
        rows = self.table("course", "id code title summary description total_hours target_group "
                          "accreditation_number credit_points language status search_text "
                          "created_at")
        modules = self.table("course_module", "id course_id position title minutes")
        by_kind = {}
        for spec in self.specs:
            by_kind.setdefault((spec.language, spec.total_hours), []).append(spec)
        self.courses_by_language: dict[str, list[tuple[int, int, object]]] = {"hu": [], "bg": []}
        created = datetime.combine(self.today - timedelta(days=SPAN_DAYS + 40), time(9),
                                   tzinfo=UTC)
        module_id = 0
        for cid in range(1, self.n_courses + 1):
            language = "bg" if cid % 12 == 0 else "hu"
            hours = 24 if cid % 5 == 0 else 60
            choices = by_kind[(language, hours)]
            spec = choices[cid % len(choices)]
            code = f"{spec.code}-{cid:03d}"
            title = f"{spec.title} {cid}"
            rows.append((cid, code, title, spec.summary, spec.description, hours,
                         spec.target_group, spec.accreditation_number, spec.credit_points,
                         language, "published", self.fold(" ".join([code, title, spec.summary])),
                         created))
            self.log(created, 1, "Course", cid, code,
                     {"code": [None, code], "title": [None, title], "total_hours": [None, hours]})
            for position, (module_title, module_hours) in enumerate(spec.modules):
                module_id += 1
                modules.append((module_id, cid, position, module_title, module_hours * 60))
                self.log(created, 1, "CourseModule", module_id, module_title,
                         {"title": [None, module_title], "minutes": [None, module_hours * 60]})
            self.courses_by_language[language].append((cid, hours, spec, code, title))

    # -- runs and everything in them

    def runs(self) -> None:  # noqa: C901 (one pass keeps the ids consistent)
        runs = self.table("run", "id course_id centre_id venue capacity enrolled_count "
                          "enrolment_opens enrolment_closes approval_required min_attendance_pct "
                          "certificate_style language certificate_bilingual registration_number "
                          "funding_note status published_at cancelled_at cancelled_by_id "
                          "cancel_reason closed_at closed_by_id created_at first_day last_day")
        sessions = self.table("session", "id run_id date starts_at ends_at minutes topic room "
                              "sequence updated_at")
        assignments = self.table("trainer_assignment", "id run_id trainer_id role")
        enrolments = self.table("enrolment", "id run_id user_id state waitlisted_at outcome "
                                "created_at updated_at cancelled_at cancelled_by_id cancel_kind "
                                "cancel_reason")
        events = self.table("enrolment_event", "id enrolment_id at by_id from_state to_state "
                            "reason")
        marks = self.table("attendance_mark", "id session_id enrolment_id status minutes note "
                           "marked_by_id marked_at")
        changes = self.table("attendance_change", "id mark_id changed_by_id changed_at "
                             "old_status new_status old_minutes new_minutes reason")
        certificates = self.table("certificate", "id enrolment_id centre_id year sequence serial "
                                  "verification_code issue_date issued_at issued_by_id facts pdf "
                                  "pdf_sha256 status revoke_reason")
        outbox = self.table("notification", "id user_id centre_id kind subject body created_at "
                            "seen_at state sent_at attempts next_attempt_at last_error")
        sequences: dict[tuple[int, int], int] = {}
        session_id = enrolment_id = event_id = mark_id = certificate_id = notification_id = 0
        step = SPAN_DAYS / self.n_runs
        origin = self.today - timedelta(days=SPAN_DAYS - FUTURE_DAYS)
        trainee = 0  # enrolments take trainees in turn: one's runs are far apart in time
        for rid in range(1, self.n_runs + 1):
            centre = self.centre_info[(rid - 1) % len(self.centre_info)]
            language = "bg" if centre["country"] == "BG" else "hu"
            pool = self.courses_by_language[language]
            cid, hours, spec, code, title = pool[(rid * 7) % len(pool)]
            count, starts_at, ends_at, minutes = PLANS[hours]
            start = origin + timedelta(days=int((rid - 1) * step))
            days = [start + timedelta(weeks=k) for k in range(count)]
            zone = centre["zone"]
            first_start = self.moment(days[0], starts_at, zone)
            last_end = self.moment(days[-1], ends_at, zone)
            finished = days[-1] < self.today - timedelta(days=14)
            future = days[0] > self.today
            cancelled = rid % 50 == 7
            draft = future and not cancelled and rid % 37 == 3
            admin = 1 + centre["id"]  # the centre's own administrator
            # Nothing happens after now: a run starting months ahead was made last week.
            created = min(self.moment(start - timedelta(days=90), time(10), zone),
                          self.now - timedelta(days=7, minutes=rid))
            published = min(created + timedelta(days=20), self.now - timedelta(days=6))
            status = ("cancelled" if cancelled else "draft" if draft
                      else "closed" if finished else "published")
            cancelled_at = (min(first_start - timedelta(days=5), self.now - timedelta(days=1))
                            if cancelled else None)
            closed_at = (last_end + timedelta(days=10)) if status == "closed" else None
            approval = future and rid % 10 == 0
            fields = self.country_fields["BG" if language == "bg" else "HU"]
            trainer = self.trainer_ids[rid % len(self.trainer_ids)]
            # Enrolments: enrolled (some pending when approval is needed), waitlisted when
            # full, cancelled ones; none in a draft run.
            opened = self.moment(start - timedelta(days=60), time(8), zone)
            if draft or opened > self.now - timedelta(days=1):  # enrolment not open yet
                seated = waiting = dropped = 0
            elif future:
                seated, waiting, dropped = 8 + (rid * 7) % 18, 0, 3
            else:
                seated, waiting, dropped = 22 + rid % 4, 0, 5 + rid % 3
            if seated == CAPACITY:
                waiting = 2
            pending = 3 if approval and seated >= 3 else 0
            enrolled_count = 0 if cancelled else seated
            runs.append((rid, cid, centre["id"], f"{centre['name']}, {centre['address']}",
                         CAPACITY, enrolled_count, (start - timedelta(days=60)),
                         (start - timedelta(days=2)), approval, 90,
                         fields["certificate_style"].value, language, True,
                         f"REG/{start.year}/{rid:04d}", fields["funding_note"], status,
                         None if draft else published, cancelled_at,
                         admin if cancelled else None,
                         "Not enough applicants" if cancelled else "", closed_at,
                         admin if closed_at else None, created, days[0], days[-1]))
            self.log(created, admin, "Run", rid, "",
                     {"course_id": [None, cid], "centre_id": [None, centre["id"]],
                      "capacity": [None, CAPACITY], "status": [None, "draft"]})
            if not draft:
                self.log(published, admin, "Run", rid, "", {"status": ["draft", "published"]},
                         action="update")
            if cancelled_at or closed_at:
                self.log(cancelled_at or closed_at, admin, "Run", rid, "",
                         {"status": ["published", status]}, action="update")
            run_sessions = []
            for k, day in enumerate(days):
                session_id += 1
                topic = spec.modules[k % len(spec.modules)][0]
                sessions.append((session_id, rid, day, starts_at, ends_at, minutes, topic,
                                 self.rooms[centre["serial_prefix"]], 0, created))
                run_sessions.append((session_id, day))
                self.log(created, admin, "Session", session_id, "",
                         {"date": [None, day.isoformat()],
                          "starts_at": [None, starts_at.isoformat()],
                          "minutes": [None, minutes]})
            assignments.append((rid, rid, trainer, "lead"))
            self.log(created, admin, "TrainerAssignment", rid, "",
                     {"trainer_id": [None, trainer], "role": [None, "lead"]})
            # Trainees: the run's roster in enrolment order.
            roster = []
            total = seated + waiting + dropped
            # Enrolments come in from the window's opening until now (or the start).
            until = min(first_start, self.now, cancelled_at or self.now) - timedelta(hours=1)
            spread = (until - opened) / (total + 2)
            for n in range(total):
                trainee = trainee % self.n_trainees + 1
                uid = self.first_trainee + trainee - 1
                enrolment_id += 1
                at = opened + spread * (n + 1) + timedelta(seconds=rid % 60)
                if n < seated:
                    state = "pending" if n >= seated - pending else "enrolled"
                elif n < seated + waiting:
                    state = "waitlisted"
                else:
                    state = "cancelled"
                kind, reason, cancelled_on = None, "", None
                if cancelled:
                    state, kind = "cancelled", "run_cancelled"
                    reason, cancelled_on = "Not enough applicants", cancelled_at
                elif state == "cancelled":
                    kind, reason = "by_trainee", "Cannot attend"
                    cancelled_on = at + spread / 2
                roster.append([enrolment_id, uid, state, at])
                first_state = "waitlisted" if state == "waitlisted" else (
                    "pending" if approval else "enrolled")
                enrolments.append([enrolment_id, rid, uid, state,
                                   at if state == "waitlisted" else None, None, at,
                                   cancelled_on or at, cancelled_on,
                                   (admin if cancelled else uid) if cancelled_on else None, kind,
                                   reason])
                event_id += 1
                events.append((event_id, enrolment_id, at, uid, None, first_state, ""))
                self.log(at, uid, "User", uid, f"trainee{trainee}@{DOMAIN}",
                         {"address": [None, "127.0.0.1"]}, action="event", event="login")
                self.log(at, uid, "Enrolment", enrolment_id, "",
                         {"run_id": [None, rid], "user_id": [None, uid],
                          "state": [None, first_state]}, endpoint="enrolment.enrol")
                if approval and state == "enrolled":
                    event_id += 1
                    approved = at + spread / 4
                    events.append((event_id, enrolment_id, approved, admin, "pending", "enrolled",
                                   ""))
                    self.log(approved, admin, "Enrolment", enrolment_id, "",
                             {"state": ["pending", "enrolled"]}, action="update")
                if cancelled_on:
                    event_id += 1
                    events.append((event_id, enrolment_id, cancelled_on,
                                   admin if cancelled else uid, first_state, "cancelled", reason))
                    self.log(cancelled_on, admin if cancelled else uid, "Enrolment",
                             enrolment_id, "", {"state": [first_state, "cancelled"],
                                                "cancel_reason": [None, reason]},
                             action="update")
                notification_id += 1
                outbox.append((notification_id, uid, centre["id"], f"enrolment_{first_state}",
                               f"{title}: {first_state}", f"{title}\n{centre['name']}\n", at,
                               None, "sent", at + timedelta(minutes=1), 1,
                               at + timedelta(minutes=1), ""))
                self.log(at, uid, "Notification", notification_id, f"{title}: {first_state}",
                         {"state": [None, "waiting"]})
            # Marks: every past session, every enrolled trainee.
            attended = {}
            for sid, day in run_sessions:
                if cancelled or day >= self.today:
                    continue
                marked_at = self.moment(day, ends_at, zone) + timedelta(minutes=5)
                for enrolment_row in roster:
                    eid, _, state, _ = enrolment_row
                    if state != "enrolled":
                        continue
                    mark_id += 1
                    # Most trainees come to every session (late now and then); one in
                    # eight misses some, and may not complete.
                    if eid % 8:
                        mark = "late" if (eid + sid) % 11 == 0 else "present"
                    else:
                        mark = MARK_CYCLE[(eid * 7 + sid * 13) % len(MARK_CYCLE)]
                    got = {"present": minutes, "late": minutes - 60,
                           "left_early": minutes - 60}.get(mark, 0)
                    attended[eid] = attended.get(eid, 0) + got
                    marks.append((mark_id, sid, eid, mark, got, "", trainer, marked_at))
                    changes.append((mark_id, mark_id, trainer, marked_at, None, mark, None,
                                    got, ""))
                    self.log(marked_at, trainer, "AttendanceMark", mark_id, "",
                             {"status": [None, mark], "minutes": [None, got]},
                             endpoint="attendance.session_attendance")
            if status != "closed":
                continue
            required = -(-hours * 60 * 90 // 100)
            enrolment_rows = {row[0]: row for row in enrolments[-total:]}
            issue = rid % 5 == 0
            issue_day = (closed_at + timedelta(days=1)).date()
            for eid, uid, state, _ in roster:
                if state != "enrolled":
                    continue
                done = attended.get(eid, 0) >= required
                enrolment_rows[eid][5] = "completed" if done else "not_completed"
                if not (done and issue):
                    continue
                certificate_id += 1
                key = (centre["id"], issue_day.year)
                sequences[key] = sequences.get(key, 0) + 1
                serial = f"{centre['serial_prefix']}-{issue_day.year}-{sequences[key]:04d}"
                verification = secrets.token_urlsafe(16)
                issued_at = closed_at + timedelta(days=1)
                facts = {
                    "serial": serial, "verification_code": verification,
                    "verification_url": f"{self.base_url}/v/{verification}",
                    "issue_date": issue_day.isoformat(),
                    "holder": self.tables["user"][1][uid - 1][3], "course": title,
                    "course_code": code, "hours": hours,
                    "attended_hours": round(attended.get(eid, 0) / 60, 2),
                    "first_day": days[0].isoformat(), "last_day": days[-1].isoformat(),
                    "modules": [m[0] for m in spec.modules],
                    "accreditation_number": spec.accreditation_number,
                    "credit_points": spec.credit_points,
                    "registration_number": f"REG/{start.year}/{rid:04d}",
                    "funding_note": fields["funding_note"], "language": language,
                    "style": fields["certificate_style"].value, "bilingual": True,
                    "centre": {k: centre[k] for k in ("name", "organisation", "city", "region",
                                                      "country", "address", "signatory_name",
                                                      "signatory_title")},
                }
                certificates.append((certificate_id, eid, centre["id"], issue_day.year,
                                     sequences[key], serial, verification, issue_day,
                                     issued_at, admin,
                                     json.dumps(facts, ensure_ascii=False), self.pdf,
                                     self.pdf_sha, "valid", ""))
                self.log(issued_at, admin, "Certificate", certificate_id, serial,
                         {"serial": [None, serial], "status": [None, "valid"],
                          "pdf": [None, f"sha256:{self.pdf_sha}"]},
                         endpoint="certificates.issue_all")
        rows = self.table("certificate_sequence", "centre_id year last_number")
        rows.extend((centre, year, last) for (centre, year), last in sorted(sequences.items()))
        self.tables["enrolment"] = (self.tables["enrolment"][0],
                                    [tuple(row) for row in enrolments])


def chained_audit(entries: list[tuple]):
    """The audit rows in time order, each with its number and link of the hash chain
    (lms/audit/chain.py's own functions, so `flask audit verify` agrees)."""
    from lms.audit.chain import GENESIS, entry_hash

    entries.sort(key=lambda entry: entry[0])
    previous = GENESIS
    for seq, (at, actor, action, event, entity, entity_id, label, changes, endpoint) in \
            enumerate(entries, start=1):
        fields = {"seq": seq, "at": at, "actor_id": actor, "action": action, "event": event,
                  "entity": entity, "entity_id": entity_id, "label": label,
                  "changes": changes, "reason": "", "endpoint": endpoint}
        previous = entry_hash(fields, previous)
        yield (seq, at, actor, action, event, entity, entity_id, label,
               json.dumps(changes, ensure_ascii=False), endpoint, "", seq, previous)


AUDIT_COLUMNS = ("id at actor_id action event entity entity_id label changes endpoint reason "
                 "seq hash").split()

# Tables in an order that respects their foreign keys.
ORDER = ("centre", "user", "course", "course_module", "run", "session", "trainer_assignment",
         "enrolment", "enrolment_event", "attendance_mark", "attendance_change", "certificate",
         "certificate_sequence", "notification")


def model_defaults(name: str, columns: list[str]) -> tuple[list[str], tuple]:
    """The NOT NULL columns of table `name` not given in `columns` (the database has no
    default for them), with the model's default value for each."""
    from lms.extensions import db

    table = db.metadata.tables[name]
    extra, values = [], []
    for column in table.columns:
        if column.name in columns or column.nullable or column.server_default is not None:
            continue
        default = column.default
        if default is None:
            raise SystemExit(f"dataset.py: {name}.{column.name} needs a value")
        extra.append(column.name)
        values.append(default.arg if default.is_scalar else datetime.now(UTC))
    return extra, tuple(values)


def copy_rows(conn, name: str, columns: list[str], rows) -> int:
    extra, values = model_defaults(name, columns)
    if extra:
        columns = [*columns, *extra]
        rows = (row + values for row in rows)
    count = 0
    cols = ", ".join(f'"{c}"' for c in columns)
    with conn.cursor() as cursor, cursor.copy(f'COPY "{name}" ({cols}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def render_sample_pdf(app, base_url: str) -> bytes:
    """One real certificate (PDF/A-3b, Razgrad style), rendered once and reused."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from certificates import sample_facts

    from lms.certificates.rendering import render_certificate

    facts = sample_facts(1)
    facts["verification_url"] = f"{base_url}/v/{facts['verification_code']}"
    with app.test_request_context():
        return render_certificate(facts)


def build(database_url: str, scale: float, force: bool = False) -> dict:
    """Migrate and fill the database; returns the figures printed."""
    started = clock.perf_counter()
    app = make_app(database_url)
    try:
        figures = fill(app, database_url, scale, force)
    finally:
        with app.app_context():
            from lms.extensions import db

            db.engine.dispose()
    figures["seconds"] = round(clock.perf_counter() - started, 1)
    return figures


def fill(app, database_url: str, scale: float, force: bool) -> dict:
    import psycopg
    import sqlalchemy as sa
    from werkzeug.security import generate_password_hash

    started = clock.perf_counter()
    migrate(app)
    filled = filled_tables(app)
    if filled and not force:
        raise SystemExit(f"dataset.py: the database already holds rows ({', '.join(filled[:5])}"
                         f"{'...' if len(filled) > 5 else ''}); --force empties it first")
    if filled:
        empty_all(app)
    print(f"schema migrated: {clock.perf_counter() - started:.1f} s", flush=True)

    t = clock.perf_counter()
    base_url = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    pdf = render_sample_pdf(app, base_url)
    password_hash = generate_password_hash(PASSWORD, method=app.config["PASSWORD_HASH_METHOD"])
    builder = Builder(scale, datetime.now(UTC).date(), pdf, password_hash)
    builder.base_url = base_url
    builder.build()
    print(f"rows built in memory: {clock.perf_counter() - t:.1f} s "
          f"({builder.n_runs} runs, {builder.n_trainees} trainees, "
          f"{builder.n_trainers} trainers)", flush=True)

    url = sa.make_url(database_url).set(drivername="postgresql")
    figures = {}
    with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
        for name in ORDER:
            t = clock.perf_counter()
            columns, rows = builder.tables[name]
            figures[name] = copy_rows(conn, name, columns, rows)
            print(f"{name:>22}: {figures[name]:>9,} rows {clock.perf_counter() - t:6.1f} s",
                  flush=True)
        t = clock.perf_counter()
        figures["audit_entry"] = copy_rows(conn, "audit_entry", AUDIT_COLUMNS,
                                           chained_audit(builder.audit))
        print(f"{'audit_entry':>22}: {figures['audit_entry']:>9,} rows "
              f"{clock.perf_counter() - t:6.1f} s (hash chain included)", flush=True)
        t = clock.perf_counter()
        with conn.cursor() as cursor:
            for name in (*ORDER, "audit_entry"):
                if "id" in builder.tables.get(name, (AUDIT_COLUMNS,))[0]:
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM \"{name}\"))")
        conn.commit()
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"sequences and VACUUM ANALYZE: {clock.perf_counter() - t:.1f} s", flush=True)
    return figures


def main(argv=None) -> None:
    args = parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("dataset.py: --database-url must be a PostgreSQL URL "
                         "(postgresql+psycopg://...): it fills tables with COPY")
    is_empty(args.database_url)  # a clear message when the database cannot be opened
    figures = build(args.database_url, args.scale, args.force)
    rows = sum(v for k, v in figures.items() if k != "seconds")
    print(f"dataset_seconds={figures['seconds']} rows={rows}")


if __name__ == "__main__":
    main()

"""How the back office's long lists cost at the scale of a national network.

    python bench/lists.py [--database-url postgresql+psycopg://postgres@127.0.0.1/lists_bench]
                          [--scale 1.0] [--repeat 20]

Fills an empty database (on PostgreSQL, created if missing) with `--scale` times
50,000 people, 2,000 runs of 11 sessions, 705,000 audit entries and 20,000 outbox
messages, then asks each list page `--repeat` times in-process (the server's time:
SQL and templates, no HTTP) as a network administrator, and prints per page p50 and
p95 in ms and the SQL statements it ran. A populated database is reused as it is.
The last line: `pages=N worst_p95_ms=X most_statements=Y`.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lists_bench"
PASSWORD = "bench-password-2026"
FIRST_NAMES = ["Ágnes", "Péter", "Zsuzsanna", "Gábor", "Иван", "Мария", "Éva", "László"]
LAST_NAMES = ["Kovács", "Nagy", "Tóth", "Szabó", "Петров", "Иванова", "Horváth", "Varga"]
ORGANISATIONS = ["Szolnoki Családsegítő", "Békési Gyermekjóléti Központ",
                 "Община Разград", "Ресурсен център Разград", "Debreceni Szociális Szolgálat"]


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database if it is not there yet."""
    target = sa.engine.make_url(url)
    if not target.drivername.startswith("postgresql"):
        return
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                             {"n": target.database})
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def fill(db, scale: float) -> None:
    from lms.audit.models import AuditEntry
    from lms.auth.models import Role, User
    from lms.courses.models import Centre, Course, CourseStatus, Run, RunStatus, Session
    from lms.notifications.models import Notification, OutboxState

    people, runs = int(50_000 * scale), max(1, int(2_000 * scale))
    audit, messages = int(705_000 * scale), int(20_000 * scale)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(sa.insert(Centre), [
            {"name": f"Forrásközpont {n}", "city": f"Város {n}", "region": "Régió",
             "country": "BG" if n % 4 == 0 else "HU", "serial_prefix": f"C{chr(65 + n)}",
             "organisation": "", "time_zone": "", "created_at": now} for n in range(12)])
        conn.execute(sa.insert(Course), [
            {"code": f"K-{n:03d}", "title": f"Közösségi szolgáltatások {n}", "total_hours": 60,
             "status": CourseStatus.PUBLISHED, "search_text": f"k-{n:03d} kozossegi",
             "created_at": now} for n in range(40)])
        centre_ids = conn.scalars(sa.select(Centre.id)).all()
        course_ids = conn.scalars(sa.select(Course.id)).all()
        conn.execute(sa.insert(Run), [
            {"course_id": course_ids[n % len(course_ids)],
             "centre_id": centre_ids[n % len(centre_ids)], "capacity": 30, "enrolled_count": 0,
             "status": RunStatus.CLOSED if n < runs * 0.85 else RunStatus.PUBLISHED,
             "created_at": now} for n in range(runs)])
        sessions = []
        first_day = date.today() - timedelta(days=8 * 365)
        for n, run_id in enumerate(conn.scalars(sa.select(Run.id).order_by(Run.id))):
            start = first_day + timedelta(days=(n * 8 * 365 * 1.1) // runs)
            sessions += [{"run_id": run_id, "date": start + timedelta(days=k),
                          "starts_at": datetime(2000, 1, 1, 9).time(),
                          "ends_at": datetime(2000, 1, 1, 15).time(), "minutes": 330,
                          "updated_at": now} for k in range(11)]
        conn.execute(sa.insert(Session), sessions)
        admin = {"email": "admin@bench.example", "full_name": "Bench Admin", "role": Role.ADMIN}
        conn.execute(sa.insert(User), [
            {"email": f"person{n}@example.org", "password_hash": "x",
             "full_name": f"{LAST_NAMES[n % 8]} {FIRST_NAMES[n // 8 % 8]} {n}",
             "role": Role.TRAINEE, "organisation": ORGANISATIONS[n % len(ORGANISATIONS)],
             "created_at": now, "email_confirmed_at": now} for n in range(people)])
        user_ids = conn.scalars(sa.select(User.id).limit(1000)).all()
        step = timedelta(days=8 * 365) / max(audit, 1)
        for batch in range(0, audit, 50_000):
            conn.execute(sa.insert(AuditEntry), [
                {"at": now - (audit - n) * step, "actor_id": user_ids[n % len(user_ids)],
                 "action": "update", "event": "",
                 "entity": ("Run", "Enrolment", "Attendance")[n % 3],
                 "entity_id": n % 5000 + 1, "label": f"record {n}",
                 "changes": {"state": ["pending", "enrolled"]}, "endpoint": "", "reason": "",
                 "seq": n + 1} for n in range(batch, min(batch + 50_000, audit))])
        conn.execute(sa.insert(Notification), [
            {"user_id": user_ids[n % len(user_ids)], "kind": "bench", "subject": f"Message {n}",
             "body": "", "state": OutboxState.SENT, "attempts": 1, "last_error": "",
             "created_at": now - timedelta(minutes=messages - n),
             "next_attempt_at": now} for n in range(messages)])
    from lms.auth import services as accounts

    accounts.create_user(admin["email"], PASSWORD, admin["full_name"], Role.ADMIN)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # the statistics autovacuum would gather
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    print(f"filled in {time.perf_counter() - started:.0f} s: {people} people, {runs} runs, "
          f"{len(sessions)} sessions, {audit} audit entries, {messages} messages")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("LMS_INSTANCE_PATH", tempfile.mkdtemp(prefix="lms-bench-"))
    ensure_database(args.database_url)
    from lms import create_app
    from lms.audit.models import AuditEntry
    from lms.auth.models import User
    from lms.courses.models import Run
    from lms.extensions import db
    from lms.paging import encode_cursor

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "RATELIMIT_ENABLED": False, "SERVER_NAME": "localhost"})
    with app.app_context():
        if not sa.inspect(db.engine).has_table("alembic_version"):
            # The models are the migrations' head (tests/test_migrations.py): make the
            # tables at once and record them as migrated, as /healthz asks.
            db.create_all()
            flask_migrate.stamp()
        if not db.session.scalar(sa.select(sa.func.count(User.id))):
            fill(db, args.scale)
        deep = db.session.execute(
            sa.select(AuditEntry.at, AuditEntry.id).order_by(AuditEntry.at.desc(),
                                                             AuditEntry.id.desc())
            .offset(db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) * 2 // 3)
            .limit(1)).first()
        run_id = db.session.scalar(sa.select(sa.func.max(Run.id)))
        year = date.today().year - 2
    pages = {
        "/healthz (for scale)": "/healthz",
        "people": "/manage/users/",
        "people, search 'kovacs agnes'": "/manage/users/?q=kovacs+agnes",
        "people, search 'разград'": "/manage/users/?q=%D1%80%D0%B0%D0%B7%D0%B3%D1%80%D0%B0%D0%B4",
        "people, page 500": "/manage/users/?page=500",
        "runs": "/manage/runs/",
        "runs, page 30": "/manage/runs/?page=30",
        f"runs, closed in {year}": f"/manage/runs/?status=closed&year={year}",
        "courses": "/manage/courses/",
        "centres": "/manage/centres/",
        "roster": f"/manage/runs/{run_id}/roster",
        "audit log": "/manage/audit",
        "audit log, runs only": "/manage/audit?entity=Run",
        f"audit log, January {year}": f"/manage/audit?since={year}-01-01&until={year}-01-31",
        "audit log, 2/3 deep": "/manage/audit?after=" + encode_cursor(list(deep)),
        "outbox": "/manage/outbox",
    }
    client = app.test_client()
    with app.app_context():
        response = client.post("/login", data={"email": "admin@bench.example",
                                               "password": PASSWORD})
        assert response.status_code == 302, response.status_code
    worst, most = 0.0, 0
    statements: list[str] = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute",
                        lambda _c, _cur, statement, *_a: statements.append(statement))
    print(f"{'page':36} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>5} {'p50/healthz':>12}")
    healthz = None
    for name, url in pages.items():
        timings = []
        for _n in range(args.repeat + 2):
            statements.clear()
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        timings = sorted(timings[2:])  # the first two warm the caches
        p50 = statistics.median(timings)
        p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
        healthz = healthz or p50
        if url != "/healthz":
            worst, most = max(worst, p95), max(most, len(statements))
        print(f"{name:36} {p50:8.1f} {p95:8.1f} {len(statements):5d} {p50 / healthz:11.1f}x")
    print(f"pages={len(pages) - 1} worst_p95_ms={worst:.1f} most_statements={most}")


if __name__ == "__main__":
    main()

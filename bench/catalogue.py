"""The catalogue and a trainer's "My sessions" at two sizes: their cost must not grow
with the runs the network has held.

    python bench/catalogue.py [--database-url URL] [--small 60] [--runs 2000] [--requests 50]

On an empty database (a scratch SQLite file by default; PostgreSQL with
`--database-url`), loads SMALL runs of 60 or 24 hours (six-hour sessions, spread over
the past five years and the next one, at 12 centres in Budapest and Razgrad time)
with bulk inserts, one trainer holding 3 of them and another holding a third of
them; times `/`, `/?page=2` and both trainers' `/trainer/sessions` through the test
client, with /healthz in the same process; then grows to RUNS runs and times them
again. Prints p50/p95 and SQL statements per request at both sizes, and ends with
`catalogue_small_ms=N catalogue_large_ms=N trainer_small_ms=N trainer_large_ms=N
statements_same=yes|no` (p50s; the statements must be the same at both sizes).
"""

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FAST_HASH = "pbkdf2:sha256:1000"
PASSWORD = "bench catalogue password"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def make_app(database_url: str | None):
    os.environ.setdefault("LMS_INSTANCE_PATH", tempfile.mkdtemp(prefix="lms-catalogue-"))
    os.environ.setdefault("SECRET_KEY", "bench-catalogue")
    from lms import create_app

    url = database_url or f"sqlite:///{tempfile.mkdtemp(prefix='lms-catalogue-db-')}/bench.db"
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": FAST_HASH,
                       "RATELIMIT_ENABLED": False})


class World:
    """Centres, courses and two trainers; runs added in bulk by `grow`."""

    def __init__(self, app):
        from flask_migrate import upgrade

        from lms.auth.models import Role
        from lms.auth.services import create_user
        from lms.courses import services as courses
        from lms.courses.models import CourseStatus
        from lms.extensions import db

        self.app = app
        with app.app_context():
            upgrade()
            self.centres = []
            for n in range(12):
                country, city = ("HU", "Budapest") if n % 2 else ("BG", "Razgrad")
                self.centres.append(courses.save_centre(
                    None, name=f"Centre {n}", city=f"{city} {n}", region=city, country=country,
                    address="", signatory_name="", signatory_title="",
                    serial_prefix=f"BC{n}", active=True).id)
            self.courses = []
            for n in range(30):
                course = courses.save_course(
                    None, [], code=f"BENCH-{n}", title=f"Bench course {n}", summary="",
                    description="", total_hours=60 if n % 3 == 0 else 24, target_group="",
                    accreditation_number="", credit_points=None, language="hu")
                courses.set_course_status(course, CourseStatus.PUBLISHED)
                self.courses.append((course.id, course.total_hours))
            self.trainers = {
                name: create_user(f"{name}@bench.example", PASSWORD, name.title(), Role.TRAINER).id
                for name in ("few", "many")
            }
            db.session.commit()
        self.runs = 0

    def grow(self, total: int) -> None:
        """Runs up to `total`: published, with their sessions, first and last days set."""
        import sqlalchemy as sa

        from lms.courses.models import Run, RunStatus, Session
        from lms.courses.services import update_all_run_days
        from lms.extensions import db
        from lms.trainers.models import TrainerAssignment, TrainerRole

        with self.app.app_context():
            first = date.today() - timedelta(days=5 * 365)
            span = 6 * 365
            for n in range(self.runs, total):
                course_id, hours = self.courses[n % len(self.courses)]
                start = first + timedelta(days=n * span // max(total, 1))
                run_id = db.session.execute(sa.insert(Run).values(
                    course_id=course_id, centre_id=self.centres[n % len(self.centres)],
                    venue="Hall", capacity=20, enrolled_count=0, status=RunStatus.PUBLISHED,
                    enrolment_closes=start - timedelta(days=2),
                ).returning(Run.id)).scalar_one()
                db.session.execute(sa.insert(Session), [
                    {"run_id": run_id, "date": start + timedelta(days=day),
                     "starts_at": clock(9), "ends_at": clock(15), "minutes": 360,
                     "topic": f"Topic {day}", "room": ""}
                    for day in range(hours // 6)
                ])
                trainer = ("few" if n < 3 else "many" if n % 3 == 0 else None)
                if trainer:
                    db.session.execute(sa.insert(TrainerAssignment).values(
                        run_id=run_id, trainer_id=self.trainers[trainer],
                        role=TrainerRole.LEAD))
            update_all_run_days()
            db.session.commit()
            self.runs = total


def login(client, email: str) -> None:
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"email": email, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code in (302, 303), response.status_code


def measure(app, client, url: str, requests: int) -> tuple[float, float, int]:
    """p50 and p95 in ms, and the SQL statements of one request."""
    import sqlalchemy as sa

    from lms.extensions import db

    with app.app_context():
        engine = db.engine
    statements = []

    def record(*_args):
        statements.append(1)

    client.get(url)  # warm
    sa.event.listen(engine, "before_cursor_execute", record)
    assert client.get(url).status_code == 200, url
    sa.event.remove(engine, "before_cursor_execute", record)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(statements)


def run_pages(app, world: World, requests: int) -> dict[str, tuple[float, float, int]]:
    results = {}
    anonymous = app.test_client()
    for url in ("/healthz", "/", "/?page=2"):
        results[url] = measure(app, anonymous, url, requests)
    for name in ("few", "many"):
        client = app.test_client()
        login(client, f"{name}@bench.example")
        results[f"/trainer/sessions ({name})"] = measure(app, client, "/trainer/sessions",
                                                         requests)
        results[f"/trainer/sessions?page=3 ({name})"] = measure(
            app, client, "/trainer/sessions?page=3", requests)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database (default: scratch SQLite)")
    parser.add_argument("--small", type=int, default=60)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    app = make_app(args.database_url)
    world = World(app)
    sizes = {}
    for size in (args.small, args.runs):
        started = time.perf_counter()
        world.grow(size)
        print(f"# {size} runs loaded in {time.perf_counter() - started:.1f} s")
        sizes[size] = run_pages(app, world, args.requests)
        print(f"{'page':40} {'runs':>6} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>4}")
        for url, (p50, p95, sql) in sizes[size].items():
            print(f"{url:40} {size:>6} {p50:8.1f} {p95:8.1f} {sql:>4}")
    small, large = sizes[args.small], sizes[args.runs]
    same = all(small[url][2] == large[url][2] for url in small)
    print(f"catalogue_small_ms={small['/'][0]:.1f} catalogue_large_ms={large['/'][0]:.1f} "
          f"trainer_small_ms={small['/trainer/sessions (many)'][0]:.1f} "
          f"trainer_large_ms={large['/trainer/sessions (many)'][0]:.1f} "
          f"statements_same={'yes' if same else 'no'}")


if __name__ == "__main__":
    main()

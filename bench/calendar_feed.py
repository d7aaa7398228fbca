"""How fast a personal calendar feed answers, for a trainee with few and with many runs.

    python bench/calendar_feed.py [--database-url URL] [--runs 40] [--requests 200]

makes one trainee with a place in 2 runs and another with a place in RUNS runs (each
of six sessions, half at a Budapest and half at a Razgrad centre), then times their
feeds (full answers, and the 304 a calendar program gets when nothing changed) and
/healthz in the same process, through the test client. The last line reads
`healthz_ms=N feed_small_ms=N feed_large_ms=N not_modified_ms=N large_per_small=N`:
the feed's cost grows with the events it writes, never with queries per run.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FAST_HASH = "pbkdf2:sha256:1000"  # bench accounts only; nobody logs in with them


def make_app(database_url: str | None):
    os.environ.setdefault("LMS_INSTANCE_PATH", tempfile.mkdtemp(prefix="lms-feed-"))
    os.environ.setdefault("SECRET_KEY", "calendar-feed")
    from lms import create_app

    url = database_url or f"sqlite:///{tempfile.mkdtemp(prefix='lms-feed-db-')}/bench.db"
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": FAST_HASH,
                       "PUBLIC_BASE_URL": "http://127.0.0.1:5000"})


def prepare(app, runs: int) -> tuple[str, str]:
    """Two trainees with feeds (2 runs, `runs` runs); the paths of their feeds."""
    from flask_migrate import upgrade

    from lms.auth.models import Role
    from lms.auth.services import create_user
    from lms.calendars.services import feed_address, start_feed
    from lms.clock import utcnow
    from lms.courses import services as courses
    from lms.courses.models import CourseStatus
    from lms.enrolment.services import enrol
    from lms.extensions import db

    with app.app_context():
        upgrade()
        tag = uuid.uuid4().hex[:6]
        centres = [
            courses.save_centre(None, name=f"Centre {country} {tag}", city=city, region=city,
                                country=country, address="", signatory_name="",
                                signatory_title="", serial_prefix=f"B{country}{n}", active=True)
            for n, (country, city) in enumerate((("HU", "Budapest"), ("BG", "Razgrad")))
        ]
        small = create_user(f"small-{tag}@example.org", "bench password 1", "Small",
                            Role.TRAINEE)
        large = create_user(f"large-{tag}@example.org", "bench password 1", "Large",
                            Role.TRAINEE)
        first = date.today() + timedelta(days=30)
        for n in range(runs):
            course = courses.save_course(
                None, [], code=f"FEED-{tag}-{n}", title=f"Course {n}", summary="",
                description="", total_hours=6, target_group="", accreditation_number="",
                credit_points=None, language="hu")
            courses.set_course_status(course, CourseStatus.PUBLISHED)
            run = courses.save_run(None, course, centres[n % 2], capacity=5, venue="Hall",
                                   enrolment_opens=None, enrolment_closes=None)
            for day in range(6):  # one hour a day, a week per run, no clashes
                courses.save_session(run, None, day=first + timedelta(days=7 * n + day),
                                     starts_at=clock(9), ends_at=clock(10), minutes=60,
                                     topic=f"Topic {day}")
            courses.publish_run(run)
            enrol(large, run, utcnow())
            if n < 2:
                enrol(small, run, utcnow())
        start_feed(small)
        start_feed(large)
        db.session.commit()
        paths = [feed_address(user).https.split("5000", 1)[1] for user in (small, large)]
    return paths[0], paths[1]


def timed(client, path: str, requests: int, headers=None) -> tuple[float, object]:
    """The median milliseconds of `requests` GETs, and the last response."""
    samples, response = [], None
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(path, headers=headers or {})
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples), response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    app = make_app(args.database_url)
    small, large = prepare(app, args.runs)
    client = app.test_client()
    healthz, _ = timed(client, "/healthz", args.requests)
    small_ms, answer = timed(client, small, args.requests)
    large_ms, answer = timed(client, large, args.requests)
    events = answer.get_data(as_text=True).count("BEGIN:VEVENT")
    etag = answer.headers["ETag"]
    not_modified, unchanged = timed(client, large, args.requests, {"If-None-Match": etag})
    assert unchanged.status_code == 304, unchanged.status_code
    print(f"healthz: {healthz:.2f} ms; feed of 12 events: {small_ms:.2f} ms; "
          f"feed of {events} events: {large_ms:.2f} ms ({len(answer.data) // 1024} KB); "
          f"304 for it: {not_modified:.2f} ms")
    print(f"healthz_ms={healthz:.2f} feed_small_ms={small_ms:.2f} feed_large_ms={large_ms:.2f} "
          f"not_modified_ms={not_modified:.2f} large_per_small={large_ms / small_ms:.1f}")


if __name__ == "__main__":
    main()

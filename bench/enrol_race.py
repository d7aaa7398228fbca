"""Race many trainees for a few seats from several processes at once.

    python bench/enrol_race.py --database-url URL --seats 10 --attempts 60

creates a fresh run with SEATS places and ATTEMPTS trainees, releases WORKERS
processes at the same instant, each enrolling its share of the trainees as fast
as it can, then counts what the database holds. The last line reads
`enrolled=10 waitlisted=50 errors=0 attempts_per_s=N`.
"""

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FAST_HASH = "pbkdf2:sha256:1000"  # bench accounts only; nobody logs in with them


@contextmanager
def _app(database_url: str):
    """An app context on `database_url` that closes every connection it opened."""
    os.environ.setdefault("LMS_INSTANCE_PATH", tempfile.mkdtemp(prefix="lms-race-"))
    os.environ.setdefault("SECRET_KEY", "enrol-race")
    from lms import create_app
    from lms.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "PASSWORD_HASH_METHOD": FAST_HASH})
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()
            db.engine.dispose()


def prepare(database_url: str, seats: int, attempts: int) -> tuple[int, list[int]]:
    """A fresh published run with `seats` places and `attempts` trainees; their ids."""
    from flask_migrate import upgrade

    from lms.auth.models import Role
    from lms.auth.services import create_user
    from lms.courses import services as courses
    from lms.courses.models import CourseStatus
    from lms.extensions import db

    with _app(database_url):
        tables = sa.inspect(db.engine).get_table_names()
        if "alembic_version" in tables or "run" not in tables:
            upgrade()
        else:  # a schema made by the test suite's create_all()
            db.create_all()
        tag = uuid.uuid4().hex[:8]
        centre = courses.save_centre(
            None,
            name=f"Race centre {tag}",
            city="Szolnok",
            region="",
            country="HU",
            address="",
            signatory_name="",
            signatory_title="",
            serial_prefix="R" + "".join(c for c in tag if c.isalpha())[:4].upper().ljust(4, "X"),
        )
        course = courses.save_course(
            None,
            [],
            code=f"RACE-{tag}",
            title="Race",
            summary="",
            description="",
            total_hours=6,
            target_group="",
            accreditation_number="",
            credit_points=None,
            language="hu",
        )
        courses.set_course_status(course, CourseStatus.PUBLISHED)
        start = date.today() + timedelta(days=30)
        run = courses.save_run(
            None, course, centre, capacity=seats, enrolment_closes=start - timedelta(days=1)
        )
        courses.save_session(
            run, None, day=start, starts_at=clock(9), ends_at=clock(15), minutes=None
        )
        courses.publish_run(run)
        users = [
            create_user(
                f"race-{tag}-{i}@example.org", "race-password-123", f"Racer {i}", Role.TRAINEE
            )
            for i in range(attempts)
        ]
        db.session.commit()
        return run.id, [u.id for u in users]


def _worker(database_url: str, run_id: int, user_ids: list[int], barrier, results) -> None:
    from lms.auth.models import User
    from lms.clock import utcnow
    from lms.courses.models import Run
    from lms.enrolment.services import enrol
    from lms.errors import DomainError
    from lms.extensions import db

    errors, told = 0, {}
    with _app(database_url):
        db.session.execute(sa.text("SELECT 1"))  # connect before the start signal
        db.session.rollback()
        barrier.wait()
        for user_id in user_ids:
            try:
                enrolment = enrol(db.session.get(User, user_id), db.session.get(Run, run_id),
                                  utcnow())
                db.session.commit()
                if enrolment.waitlist_position is not None:
                    told[user_id] = enrolment.waitlist_position
            except DomainError:
                db.session.rollback()
            except Exception as error:  # what the race must never produce
                db.session.rollback()
                errors += 1
                if errors <= 3:
                    print(f"worker error: {type(error).__name__}: {error}", file=sys.stderr)
    results.put((errors, told))


def race(database_url: str, run_id: int, user_ids: list[int], workers: int) -> dict:
    """Release `workers` processes together; return what the database then holds."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(workers + 1)
    results = context.Queue()
    shares = [user_ids[i::workers] for i in range(workers)]
    processes = [
        context.Process(target=_worker, args=(database_url, run_id, share, barrier, results))
        for share in shares
    ]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    errors, told = 0, {}
    for _ in processes:
        worker_errors, worker_told = results.get(timeout=300)
        errors += worker_errors
        told.update(worker_told)
    elapsed = time.perf_counter() - started
    for process in processes:
        process.join(timeout=60)
    return {
        **count(database_url, run_id, told),
        "errors": errors,
        "attempts_per_s": round(len(user_ids) / elapsed, 1),
    }


def count(database_url: str, run_id: int, told: dict[int, int] | None = None) -> dict:
    """What the database holds; `positions_told_ok`: each waitlisted trainee was told
    the position they hold now (nobody left the line during the race)."""
    from lms.courses.models import Run
    from lms.enrolment.models import Enrolment, EnrolmentState
    from lms.enrolment.queries import waitlist_positions
    from lms.extensions import db

    with _app(database_url):
        rows = list(db.session.scalars(sa.select(Enrolment).where(Enrolment.run_id == run_id)))
        by_state = {state: [e for e in rows if e.state == state] for state in EnrolmentState}
        held = waitlist_positions(rows)
        positions = sorted(held.values())
        held_by_user = {e.user_id: held[e.id] for e in rows if e.id in held}
        result = {
            "enrolled": len(by_state[EnrolmentState.ENROLLED]),
            "waitlisted": len(by_state[EnrolmentState.WAITLISTED]),
            "seats_counted": db.session.get(Run, run_id).enrolled_count,
            "positions_ok": positions == list(range(1, len(positions) + 1)),
            "positions_told_ok": told is None or told == held_by_user,
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seats", type=int, default=10)
    parser.add_argument("--attempts", type=int, default=60)
    parser.add_argument("--workers", type=int, default=6)
    args = parser.parse_args()
    run_id, user_ids = prepare(args.database_url, args.seats, args.attempts)
    result = race(args.database_url, run_id, user_ids, args.workers)
    print(
        f"workers={args.workers} seats_counted={result['seats_counted']} "
        f"waitlist_positions_gap_free={result['positions_ok']} "
        f"positions_told_true={result['positions_told_ok']}"
    )
    print(
        f"enrolled={result['enrolled']} waitlisted={result['waitlisted']} "
        f"errors={result['errors']} attempts_per_s={result['attempts_per_s']}"
    )


if __name__ == "__main__":
    main()

"""Many administrators assign one trainer to overlapping sessions at the same instant.

    python bench/trainer_race.py --database-url URL --admins 8

creates ADMINS published runs at different centres whose sessions all overlap and
one trainer, then releases ADMINS threads at once (each with its own application
context, database session and connection), each assigning the trainer to its own
run. A trainer is never booked twice: the last line reads
`assigned=1 refused=7 errors=0 assignments_kept=1 attempts_per_s=N`.
"""

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FAST_HASH = "pbkdf2:sha256:1000"  # bench accounts only; nobody logs in with them


def make_app(database_url: str):
    os.environ.setdefault("LMS_INSTANCE_PATH", tempfile.mkdtemp(prefix="lms-race-"))
    os.environ.setdefault("SECRET_KEY", "trainer-race")
    from lms import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url,
                       "PASSWORD_HASH_METHOD": FAST_HASH})


def prepare(app, runs: int) -> tuple[int, list[int]]:
    """One trainer and `runs` published runs whose sessions overlap; their ids."""
    from flask_migrate import upgrade

    from lms.auth.models import Role
    from lms.auth.services import create_user
    from lms.courses import services as courses
    from lms.courses.models import CourseStatus
    from lms.extensions import db

    with app.app_context():
        tables = sa.inspect(db.engine).get_table_names()
        if "alembic_version" in tables or "run" not in tables:
            upgrade()
        tag = uuid.uuid4().hex[:8]
        course = courses.save_course(None, [], code=f"TRACE-{tag}", title="Race", summary="",
                                     description="", total_hours=4, target_group="",
                                     accreditation_number="", credit_points=None, language="hu")
        courses.set_course_status(course, CourseStatus.PUBLISHED)
        day = date.today() + timedelta(days=60)
        run_ids = []
        for n in range(runs):
            centre = courses.save_centre(
                None, name=f"Race centre {tag} {n}", city=f"City {n}", region="",
                country="HU", address="", signatory_name="", signatory_title="",
                serial_prefix=f"T{n:03d}"[:4] + "".join(c for c in tag if c.isalpha())[:2])
            run = courses.save_run(None, course, centre, capacity=10,
                                   enrolment_closes=day - timedelta(days=1))
            # 09:00-13:00, 09:15-13:15, ...: every two of them overlap
            courses.save_session(run, None, day=day, starts_at=clock(9, n % 4 * 15),
                                 ends_at=clock(13, n % 4 * 15), minutes=240)
            courses.publish_run(run)
            run_ids.append(run.id)
        trainer = create_user(f"trainer-{tag}@example.org", "race-password-123",
                              f"Trainer {tag}", Role.TRAINER)
        db.session.commit()
        return trainer.id, run_ids


def _assign(app, trainer_id: int, run_id: int, barrier, outcomes: list) -> None:
    from lms.auth.models import User
    from lms.courses.models import Run
    from lms.errors import DomainError
    from lms.extensions import db
    from lms.trainers.models import TrainerRole
    from lms.trainers.services import assign_trainer

    with app.app_context():
        db.session.execute(sa.text("SELECT 1"))  # connect before the start signal
        db.session.rollback()
        barrier.wait()
        try:
            assign_trainer(db.session.get(Run, run_id), db.session.get(User, trainer_id),
                           TrainerRole.LEAD)
            db.session.commit()
            outcomes.append(("assigned", ""))
        except DomainError as refused:
            db.session.rollback()
            outcomes.append(("refused", refused.message))
        except Exception as error:  # what the race must never produce
            db.session.rollback()
            outcomes.append(("error", f"{type(error).__name__}: {error}"))
        finally:
            db.session.remove()


def race(app, trainer_id: int, run_ids: list[int]) -> dict:
    """One thread per run, released together; what they were told and what is kept."""
    from lms.extensions import db
    from lms.trainers.models import TrainerAssignment

    barrier = threading.Barrier(len(run_ids) + 1)
    outcomes: list[tuple[str, str]] = []
    threads = [threading.Thread(target=_assign, args=(app, trainer_id, run_id, barrier,
                                                      outcomes)) for run_id in run_ids]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with app.app_context():
        kept = db.session.scalar(sa.select(sa.func.count(TrainerAssignment.id)).where(
            TrainerAssignment.trainer_id == trainer_id, TrainerAssignment.removed_at.is_(None)))
    return {
        "assigned": sum(kind == "assigned" for kind, _m in outcomes),
        "refused": sum(kind == "refused" for kind, _m in outcomes),
        "errors": sum(kind == "error" for kind, _m in outcomes),
        "messages": [message for kind, message in outcomes if kind != "assigned"],
        "assignments_kept": kept,
        "attempts_per_s": round(len(run_ids) / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--admins", type=int, default=8)
    args = parser.parse_args()
    app = make_app(args.database_url)
    trainer_id, run_ids = prepare(app, args.admins)
    result = race(app, trainer_id, run_ids)
    for message in result["messages"][:3]:
        print(message)
    print(f"admins={args.admins} assigned={result['assigned']} refused={result['refused']} "
          f"errors={result['errors']} assignments_kept={result['assignments_kept']} "
          f"attempts_per_s={result['attempts_per_s']}")


if __name__ == "__main__":
    main()

"""Serial numbers stay unique and gap-free when several processes issue at once."""

import multiprocessing
import os
import tempfile

from lms.certificates.models import Certificate

WORKERS = 3


def _issue(database_url: str, enrolment_ids: list[int], barrier, results) -> None:
    os.environ.setdefault("LMS_INSTANCE_PATH", tempfile.mkdtemp(prefix="lms-serial-"))
    from datetime import date

    from lms import create_app
    from lms.auth.models import Role, User
    from lms.certificates.services import issue_certificate
    from lms.enrolment.models import Enrolment
    from lms.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "race",
                      "SERVER_NAME": "localhost"})
    errors = 0
    with app.app_context():
        admin = db.session.scalar(db.select(User).where(User.role == Role.ADMIN))
        barrier.wait()
        for enrolment_id in enrolment_ids:
            try:
                issue_certificate(db.session.get(Enrolment, enrolment_id), admin, date.today())
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - counted and reported
                db.session.rollback()
                errors += 1
                print(f"issue failed: {type(error).__name__}: {error}")
        db.session.remove()
        db.engine.dispose()
    results.put(errors)


def test_concurrent_issuers_get_unique_gap_free_serials(db, database_url, closed_run):
    names = [f"Résztvevő {n}" for n in range(9)]
    run, _admin, enrolments = closed_run(names=names)
    completed = [e.id for e in enrolments if e.outcome.value == "completed"]
    assert len(completed) >= 6
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(WORKERS), context.Queue()
    workers = [context.Process(target=_issue, args=(database_url, completed[i::WORKERS],
                                                    barrier, results))
               for i in range(WORKERS)]
    for worker in workers:
        worker.start()
    errors = sum(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
    assert errors == 0
    db.session.expire_all()
    sequences = sorted(db.session.scalars(db.select(Certificate.sequence)))
    assert sequences == list(range(1, len(completed) + 1))

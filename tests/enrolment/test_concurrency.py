"""Rule 1 under real concurrency: several processes race for the last seats.

Runs against whichever database the suite uses (SQLite file by default,
PostgreSQL with TEST_DATABASE_URL), with worker processes, not threads.
"""

import pytest
import sqlalchemy as sa
from flask import g

from bench.enrol_race import prepare, race
from lms.courses.models import Run
from lms.enrolment.services import change_capacity
from lms.pipeline import perform


@pytest.mark.parametrize("seats, attempts", [(1, 8), (5, 24)])
def test_racing_processes_never_overbook(app, database_url, seats, attempts):
    run_id, user_ids = prepare(database_url, seats=seats, attempts=attempts)
    result = race(database_url, run_id, user_ids, workers=4)
    assert result["errors"] == 0
    assert result["enrolled"] == seats
    assert result["seats_counted"] == seats
    assert result["waitlisted"] == attempts - seats
    assert result["positions_ok"]  # waitlist positions 1..n, unique, no gaps
    assert result["positions_told_ok"]  # and each trainee was told the one they hold


def test_capacity_lowered_while_trainees_take_places_says_so(app, db, make_run):
    """The administrator's page showed no places held; trainees took two meanwhile."""
    run_id = make_run(capacity=5).id
    with app.test_request_context("/"):
        run = db.session.get(Run, run_id)
        assert run.enrolled_count == 0
        with db.engine.begin() as other:  # the concurrent enrolments
            other.execute(sa.update(Run).where(Run.id == run_id).values(enrolled_count=2))
        told = []
        assert not perform(lambda: change_capacity(run, 1), explain=told.append)
        assert g.error_status == 409
        assert "capacity cannot go below the places now held" in told[0].message
        assert "already" not in told[0].message
    db.session.expire_all()
    assert db.session.get(Run, run_id).capacity == 5

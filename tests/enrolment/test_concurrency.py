"""Rule 1 under real concurrency: several processes race for the last seats.

Runs against whichever database the suite uses (SQLite file by default,
PostgreSQL with TEST_DATABASE_URL), with worker processes, not threads.
"""

import pytest

from bench.enrol_race import prepare, race


@pytest.mark.parametrize("seats, attempts", [(1, 8), (5, 24)])
def test_racing_processes_never_overbook(app, database_url, seats, attempts):
    run_id, user_ids = prepare(database_url, seats=seats, attempts=attempts)
    result = race(database_url, run_id, user_ids, workers=4)
    assert result["errors"] == 0
    assert result["enrolled"] == seats
    assert result["seats_counted"] == seats
    assert result["waitlisted"] == attempts - seats
    assert result["positions_ok"]  # waitlist positions 1..n, unique, no gaps

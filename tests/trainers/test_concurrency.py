"""A trainer is never booked into two overlapping sessions, however many administrators
assign at once: threads with their own application contexts, sessions and connections,
on whichever database the suite uses (SQLite file, or PostgreSQL with TEST_DATABASE_URL).
"""

import threading

import pytest

from bench.trainer_race import prepare as prepare_race
from bench.trainer_race import race
from lms.extensions import db
from lms.trainers import services


@pytest.fixture
def race_app(app):
    yield app
    db.session.remove()
    db.engine.dispose()


@pytest.fixture
def checks_meet(monkeypatch):
    """Widen the race window: each administrator, having checked for clashes, waits for
    another one to have checked too (unless none can, being held by the trainer's lock)."""
    meeting = threading.Barrier(2, timeout=1)
    check = services.find_trainer_clash

    def check_then_meet(*args, **kwargs):
        found = check(*args, **kwargs)
        try:
            meeting.wait()
        except threading.BrokenBarrierError:
            pass  # nobody else got past the lock: the checks did not interleave
        return found

    monkeypatch.setattr(services, "find_trainer_clash", check_then_meet)


def test_two_administrators_assigning_at_once_book_the_trainer_once(race_app, checks_meet):
    trainer_id, run_ids = prepare_race(race_app, runs=2)
    result = race(race_app, trainer_id, run_ids)
    assert result["errors"] == 0, result["messages"]
    assert result["assigned"] == 1 and result["refused"] == 1
    assert result["assignments_kept"] == 1
    assert "already trains" in result["messages"][0]


def test_many_administrators_assigning_at_once_book_the_trainer_once(race_app):
    trainer_id, run_ids = prepare_race(race_app, runs=6)
    result = race(race_app, trainer_id, run_ids)
    assert result["errors"] == 0, result["messages"]
    assert result["assigned"] == 1 and result["refused"] == 5
    assert result["assignments_kept"] == 1
    assert all("already trains" in message for message in result["messages"])

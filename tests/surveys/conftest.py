"""The surveys' tests' fixtures: a closed run whose trainees are invited to evaluate it
(overrides the suite's `closed_run`, for the evaluations' own shape)."""

from datetime import date, time, timedelta

import pytest

from lms.attendance.models import AttendanceStatus
from lms.attendance.services import MarkInput, close_run, mark_session
from lms.enrolment.services import enrol
from lms.trainers.models import TrainerRole
from lms.trainers.services import assign_trainer
from tests.conftest import at

NAMES = ("Мария Петрова", "Szőke Tünde", "Иван Георгиев", "Kiss Anna", "Nagy Béla",
         "Петър Илиев", "Tóth Éva")


@pytest.fixture
def closed_run(db, make_user, make_run, make_course):
    """A closed one-day run: its trainees all present but those named `absent`."""

    def build(names=NAMES[:3], trainer=None, centre=None, course=None, absent=(), ago=10):
        day = date.today() - timedelta(days=ago)
        run = make_run(course=course or make_course(total_hours=6), centre=centre,
                       sessions=[(day, time(9), time(15), 360)])
        admin = make_user(role="admin")
        if trainer is not None:
            assign_trainer(run, trainer, TrainerRole.LEAD)
        before = at(day - timedelta(days=5), time(8))
        enrolments = [enrol(make_user(full_name=name), run, before, by=admin)
                      for name in names]
        mark_session(run.sessions[0], [
            MarkInput(e.id, AttendanceStatus.ABSENT if e.user.full_name in absent
                      else AttendanceStatus.PRESENT) for e in enrolments],
            admin, run.sessions[0].ends)
        close_run(run, admin)
        db.session.commit()
        return run, admin, enrolments

    return build

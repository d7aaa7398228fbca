from datetime import date, time, timedelta

import pytest

from lms.attendance.models import AttendanceStatus
from lms.attendance.services import MarkInput, close_run, mark_session
from lms.enrolment.services import enrol
from tests.conftest import at

TODAY = date.today()


@pytest.fixture
def closed_run(db, make_user, make_centre, make_course, make_run):
    """A closed 24-hour Razgrad-style run: who attended 24 h, 21.75 h and 18 h."""

    def build(
        style="razgrad", language="bg", names=("Мария Петрова", "Szőke Tünde", "Иван Георгиев")
    ):
        day = TODAY - timedelta(days=10)
        run = make_run(
            course=make_course(total_hours=24, title="Работа със семейства в риск"),
            centre=make_centre(serial_prefix="RAZ", city="Разград"),
            certificate_style=style,
            language=language,
            funding_note="Швейцарско-българска програма за сътрудничество",
            sessions=[(day + timedelta(days=i), time(9), time(15), 360) for i in range(4)],
        )
        admin = make_user(role="admin")
        before = at(day - timedelta(days=5), time(8))
        enrolments = [enrol(make_user(full_name=name), run, before, by=admin) for name in names]
        # who attended 24 h, 21.75 h and 18 h; anyone further attended all 24 h
        attended = [(360, 360, 360, 360), (360, 360, 360, 225), (360, 360, 360, 0)]
        attended += [(360, 360, 360, 360)] * (len(names) - 3)
        for index, session in enumerate(run.sessions):
            items = []
            for enrolment, minutes in zip(enrolments, attended, strict=False):
                m = minutes[index]
                items.append(
                    MarkInput(enrolment.id, AttendanceStatus.PRESENT)
                    if m == 360
                    else MarkInput(enrolment.id, AttendanceStatus.LATE, m)
                    if m
                    else MarkInput(enrolment.id, AttendanceStatus.ABSENT)
                )
            mark_session(session, items, admin, session.ends)
        close_run(run, admin)
        db.session.commit()
        return run, admin, enrolments

    return build

"""A trainee's progress on a run: hours attended, percentage, and the completion rule.

Completion (DESIGN rule 5): attended minutes >= the run's minimum percentage of the
course hours. "Reachable" means the sessions not yet marked could still get them there.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from lms.attendance.models import AttendanceMark
from lms.enrolment.models import Enrolment
from lms.extensions import db


@dataclass
class Progress:
    enrolment: Enrolment
    attended: int  # minutes
    open_minutes: int  # minutes of sessions not yet marked for this trainee
    required: int
    total: int
    cells: dict[int, AttendanceMark] = field(default_factory=dict)  # session id -> mark

    @property
    def percent(self) -> float:
        return 100 * self.attended / self.total if self.total else 0.0

    @property
    def met(self) -> bool:
        return self.attended >= self.required

    @property
    def reachable(self) -> bool:
        return self.attended + self.open_minutes >= self.required


def progress_for(enrolments: list[Enrolment]) -> dict[int, Progress]:
    """Each enrolment's progress (for the trainee's dashboard), in two queries."""
    if not enrolments:
        return {}
    ids = [e.id for e in enrolments]
    attended = dict(db.session.execute(
        sa.select(AttendanceMark.enrolment_id, sa.func.sum(AttendanceMark.minutes))
        .where(AttendanceMark.enrolment_id.in_(ids)).group_by(AttendanceMark.enrolment_id)
    ).all())
    marked = {(e, s) for e, s in db.session.execute(
        sa.select(AttendanceMark.enrolment_id, AttendanceMark.session_id)
        .where(AttendanceMark.enrolment_id.in_(ids))
    )}
    result = {}
    for enrolment in enrolments:
        run = enrolment.run
        open_minutes = sum(s.minutes for s in run.sessions if (enrolment.id, s.id) not in marked)
        result[enrolment.id] = Progress(enrolment, attended.get(enrolment.id, 0), open_minutes,
                                        run.required_minutes, run.course.total_hours * 60)
    return result

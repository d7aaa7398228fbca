"""Read-only enrolment queries shared by the services and the messages."""

import sqlalchemy as sa

from lms.enrolment.models import Enrolment, EnrolmentState
from lms.extensions import db


def waitlist_positions(enrolments: list[Enrolment]) -> dict[int, int]:
    """Position ("3rd on the waitlist") of each waitlisted enrolment, in one query."""
    run_ids = {e.run_id for e in enrolments if e.state == EnrolmentState.WAITLISTED}
    if not run_ids:
        return {}
    ranked = (
        sa.select(
            Enrolment.id,
            sa.func.row_number().over(
                partition_by=Enrolment.run_id, order_by=(Enrolment.waitlisted_at, Enrolment.id)
            ).label("position"),
        )
        .where(Enrolment.run_id.in_(run_ids), Enrolment.state == EnrolmentState.WAITLISTED)
    )
    return {row.id: row.position for row in db.session.execute(ranked)}


def people_of_run(run_id: int) -> list[int]:
    """The ids of everyone ever enrolled in a run (cancelled too): whose data its
    roster, register and evidence pack hold."""
    return list(db.session.scalars(sa.select(Enrolment.user_id).where(Enrolment.run_id == run_id)))

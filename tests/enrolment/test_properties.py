"""Property-based tests of the enrolment rules (DESIGN rules 1-3 and 8), with Hypothesis.

A state machine drives random sequences of enrol / cancel / approve / refuse /
capacity change / move through the real services against two runs of one
course, committing each operation as a request would (and rolling back a
refused one), and after every step checks what must always hold:

- the seats held (enrolled + pending) equal the run's `enrolled_count` and
  never exceed its capacity (rule 1);
- nobody waits while a seat is free (rule 2: a freed seat is handed on at
  once; a pending enrolment holds its seat, so approvals change nothing here);
- the waitlist is first come, first served: positions are 1..n, a newcomer
  joins at the end, and whoever leaves it for a seat was ahead of everyone
  still waiting;
- a trainee has at most one live enrolment per run;
- an operation is refused exactly when the rules say so, and a refused one
  changes nothing (rule 8).

Each example builds its own course, runs and people, so examples never see
each other's rows (the `app` fixture empties the tables after the test).
"""

from datetime import date, time, timedelta

import sqlalchemy as sa
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from lms.courses.models import Run
from lms.enrolment import services
from lms.enrolment.models import (
    ACTIVE_STATES,
    SEAT_STATES,
    CancelKind,
    Enrolment,
    EnrolmentState,
)
from lms.enrolment.queries import waitlist_positions
from lms.errors import DomainError
from tests.conftest import at

TRAINEES = 5
trainee = st.integers(0, TRAINEES - 1)
run_index = st.integers(0, 1)


def build_machine(db, make_user, make_course, make_centre, make_run):
    class Enrolments(RuleBasedStateMachine):
        """Two runs of one course (the second starts later, so they never overlap)."""

        @initialize(
            capacities=st.tuples(st.integers(1, 3), st.integers(1, 3)),
            approval=st.tuples(st.booleans(), st.booleans()),
        )
        def setup(self, capacities, approval):
            course = make_course(total_hours=24)
            centre = make_centre()
            first = date.today() + timedelta(days=30)
            self.runs = [
                make_run(
                    course=course,
                    centre=centre,
                    start=first + timedelta(days=10 * i),
                    capacity=capacities[i],
                    approval_required=approval[i],
                )
                for i in range(2)
            ]
            self.run_ids = [run.id for run in self.runs]
            self.trainees = [make_user() for _ in range(TRAINEES)]
            self.admin = make_user(role="admin")
            self.now = at(date.today(), time(8))
            self.waitlists = [self.waitlist(i) for i in range(2)]

        # ------------------------------------------------------------ helpers

        def run(self, index: int) -> Run:
            return db.session.get(Run, self.run_ids[index])

        def enrolment(self, who: int, index: int) -> Enrolment | None:
            return services.find_enrolment(self.trainees[who], self.run(index))

        def state(self, who: int, index: int) -> EnrolmentState | None:
            enrolment = self.enrolment(who, index)
            return enrolment.state if enrolment else None

        def snapshot(self):
            rows = db.session.execute(
                sa.select(Enrolment.id, Enrolment.state, Enrolment.waitlisted_at)
                .where(Enrolment.run_id.in_(self.run_ids))
                .order_by(Enrolment.id)
            ).all()
            seats = db.session.execute(
                sa.select(Run.id, Run.capacity, Run.enrolled_count)
                .where(Run.id.in_(self.run_ids))
                .order_by(Run.id)
            ).all()
            return [tuple(r) for r in rows], [tuple(s) for s in seats]

        def waitlist(self, index: int) -> list[int]:
            """User ids on the run's waitlist, in the order of their shown positions."""
            waiting = list(
                db.session.scalars(
                    sa.select(Enrolment).where(
                        Enrolment.run_id == self.run_ids[index],
                        Enrolment.state == EnrolmentState.WAITLISTED,
                    )
                )
            )
            positions = waitlist_positions(waiting)
            assert sorted(positions.values()) == list(range(1, len(waiting) + 1))
            return [e.user_id for e in sorted(waiting, key=lambda e: positions[e.id])]

        def attempt(self, should_refuse: bool, operation) -> None:
            """Run one operation as a request would: commit it, or roll back a refusal."""
            self.now += timedelta(minutes=1)
            before = self.snapshot()
            try:
                operation()
            except DomainError as error:
                db.session.rollback()
                assert should_refuse, f"refused unexpectedly: {error.message}"
                assert self.snapshot() == before, "a refused operation changed something"
            else:
                db.session.commit()
                assert not should_refuse, "accepted, but the rules forbid it"
            db.session.expire_all()

        # ------------------------------------------------------------ operations

        @rule(who=trainee, index=run_index, by_admin=st.booleans())
        def enrol(self, who, index, by_admin):
            refuse = self.state(who, index) in ACTIVE_STATES
            self.attempt(
                refuse,
                lambda: services.enrol(
                    self.trainees[who],
                    self.run(index),
                    self.now,
                    by=self.admin if by_admin else None,
                ),
            )

        @rule(who=trainee, index=run_index, by_admin=st.booleans())
        def cancel(self, who, index, by_admin):
            enrolment = self.enrolment(who, index)
            if enrolment is None:
                return
            refuse = enrolment.state == EnrolmentState.CANCELLED
            if by_admin:
                self.attempt(
                    refuse,
                    lambda: services.cancel_enrolment(
                        enrolment, self.admin, self.now, "Asked by phone", CancelKind.BY_ADMIN
                    ),
                )
            else:
                self.attempt(
                    refuse,
                    lambda: services.cancel_enrolment(enrolment, self.trainees[who], self.now),
                )

        @rule(who=trainee, index=run_index)
        def approve(self, who, index):
            enrolment = self.enrolment(who, index)
            if enrolment is not None:
                self.attempt(
                    enrolment.state != EnrolmentState.PENDING,
                    lambda: services.approve(enrolment, self.admin),
                )

        @rule(who=trainee, index=run_index)
        def refuse(self, who, index):
            enrolment = self.enrolment(who, index)
            if enrolment is not None:
                self.attempt(
                    enrolment.state != EnrolmentState.PENDING,
                    lambda: services.refuse(enrolment, self.admin, "No funding", self.now),
                )

        @rule(index=run_index, capacity=st.integers(1, 5))
        def change_capacity(self, index, capacity):
            run = self.run(index)
            self.attempt(
                capacity < run.enrolled_count, lambda: services.change_capacity(run, capacity)
            )

        @rule(who=trainee, index=run_index)
        def move(self, who, index):
            enrolment = self.enrolment(who, index)
            if enrolment is None:
                return
            target = self.run(1 - index)
            refuse = (
                enrolment.state not in SEAT_STATES
                or self.state(who, 1 - index) in ACTIVE_STATES
                or target.seats_left < 1
            )
            self.attempt(
                refuse, lambda: services.move_enrolment(enrolment, target, self.admin, self.now)
            )

        # ------------------------------------------------------------ invariants

        @invariant()
        def seats_match_the_count_and_the_capacity(self):
            if not hasattr(self, "runs"):
                return
            for run_id in self.run_ids:
                run = db.session.get(Run, run_id)
                held = db.session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Enrolment)
                    .where(Enrolment.run_id == run_id, Enrolment.state.in_(SEAT_STATES))
                )
                assert held == run.enrolled_count <= run.capacity

        @invariant()
        def nobody_waits_while_a_seat_is_free(self):
            if not hasattr(self, "runs"):
                return
            for index in range(2):
                run = self.run(index)
                if run.enrolled_count < run.capacity:
                    assert self.waitlist(index) == [], "a free seat was not handed on"

        @invariant()
        def the_waitlist_is_first_come_first_served(self):
            if not hasattr(self, "runs"):
                return
            for index in range(2):
                before, after = self.waitlists[index], self.waitlist(index)
                stayed = [u for u in before if u in after]
                assert after[: len(stayed)] == stayed, "the waitlist order changed"
                seated = {
                    e.user_id
                    for e in db.session.scalars(
                        sa.select(Enrolment).where(
                            Enrolment.run_id == self.run_ids[index],
                            Enrolment.state.in_(SEAT_STATES),
                        )
                    )
                }
                promoted = [before.index(u) for u in before if u in seated]
                if promoted and stayed:
                    assert max(promoted) < before.index(stayed[0]), (
                        "someone was promoted past an earlier trainee"
                    )
                self.waitlists[index] = after

        @invariant()
        def one_live_enrolment_per_trainee_and_run(self):
            if not hasattr(self, "runs"):
                return
            rows = db.session.execute(
                sa.select(Enrolment.run_id, Enrolment.user_id, sa.func.count())
                .where(Enrolment.run_id.in_(self.run_ids), Enrolment.state.in_(ACTIVE_STATES))
                .group_by(Enrolment.run_id, Enrolment.user_id)
            ).all()
            assert all(n == 1 for _run, _user, n in rows)
            waiting = db.session.execute(
                sa.select(Enrolment.state, Enrolment.waitlisted_at).where(
                    Enrolment.run_id.in_(self.run_ids)
                )
            ).all()
            assert all(
                (state == EnrolmentState.WAITLISTED) == (at is not None) for state, at in waiting
            )

        def teardown(self):
            db.session.rollback()

    return Enrolments


def test_enrolment_rules_hold_after_every_step(db, make_user, make_course, make_centre, make_run):
    # The fixtures are made once for the whole test and shared by every example;
    # that is safe because each example creates fresh runs and people of its own.
    machine = build_machine(db, make_user, make_course, make_centre, make_run)
    run_state_machine_as_test(
        machine, settings=settings(max_examples=40, stateful_step_count=25, deadline=None)
    )

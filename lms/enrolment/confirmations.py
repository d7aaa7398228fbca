"""What cancelling an enrolment or a run will do, in numbers, for the pages that ask
to confirm it (templates/_confirm.html)."""

import sqlalchemy as sa

from lms.courses.models import Run
from lms.enrolment.models import Enrolment, EnrolmentState
from lms.enrolment.queries import waitlist_positions
from lms.extensions import db
from lms.i18n import gettext as _
from lms.i18n import ngettext
from lms.templating import format_day


def _counts(run: Run) -> dict[EnrolmentState, int]:
    rows = db.session.execute(
        sa.select(Enrolment.state, sa.func.count()).where(Enrolment.run_id == run.id)
        .group_by(Enrolment.state)
    ).all()
    return {state: count for state, count in rows}


def _first_in_line(run: Run) -> Enrolment | None:
    return db.session.scalar(
        sa.select(Enrolment)
        .where(Enrolment.run_id == run.id, Enrolment.state == EnrolmentState.WAITLISTED)
        .order_by(Enrolment.waitlisted_at, Enrolment.id).limit(1)
    )


def cancel_enrolment_effects(enrolment: Enrolment, by_trainee: bool) -> list[str]:
    """Who loses what and who gains the seat when `enrolment` is cancelled."""
    run, name = enrolment.run, enrolment.user.full_name
    counts = _counts(run)
    behind = counts.get(EnrolmentState.WAITLISTED, 0)
    if enrolment.state == EnrolmentState.WAITLISTED:
        position = waitlist_positions([enrolment]).get(enrolment.id) or 0
        behind -= position
        lines = [
            _("You leave the waitlist, where you are number %(position)d.", position=position)
            if by_trainee else
            _("%(name)s leaves the waitlist, where they are number %(position)d, and is told "
              "by e-mail.", name=name, position=position),
            ngettext("%(num)d trainee behind in line moves up one place.",
                     "%(num)d trainees behind in line move up one place.", behind),
        ]
    else:
        first = _first_in_line(run)
        lines = [
            _("You give up your place; the invitation leaves your calendar.")
            if by_trainee else
            _("%(name)s loses their place and is told by e-mail; the invitation leaves their "
              "calendar.", name=name),
            _("The seat goes at once to %(name)s, first of %(num)d on the waitlist, who is "
              "told by e-mail.", name=first.user.full_name, num=behind)
            if first is not None else
            _("Nobody is on the waitlist: the seat becomes free for anyone to enrol."),
        ]
    if by_trainee:
        lines.append(_("You can enrol again while enrolment is open, if a seat is free."))
    else:
        lines.append(_("The enrolment stays on record as cancelled, with your reason."))
    return lines


def cancel_run_effects(run: Run) -> list[str]:
    """Who is told what when `run` is cancelled."""
    counts = _counts(run)
    return [
        _("The run leaves the catalogue: nobody can enrol any more."),
        ngettext("%(num)d trainee with a place is told by e-mail, and the invitation leaves "
                 "their calendar.",
                 "%(num)d trainees with a place are told by e-mail, and the invitation leaves "
                 "their calendars.", counts.get(EnrolmentState.ENROLLED, 0)),
        ngettext("%(num)d trainee awaiting approval is told by e-mail.",
                 "%(num)d trainees awaiting approval are told by e-mail.",
                 counts.get(EnrolmentState.PENDING, 0)),
        ngettext("%(num)d trainee on the waitlist is told by e-mail.",
                 "%(num)d trainees on the waitlist are told by e-mail.",
                 counts.get(EnrolmentState.WAITLISTED, 0)),
        _("The run and every enrolment stay on record as cancelled, with your reason; this "
          "cannot be undone."),
    ]


def _seat_line(run: Run) -> str:
    """Who gets the seat an enrolment of `run` frees."""
    first = _first_in_line(run)
    if first is None:
        return _("Nobody is on the waitlist: the seat becomes free for anyone to enrol.")
    return _("The seat goes at once to %(name)s, first of %(num)d on the waitlist, who is "
             "told by e-mail.", name=first.user.full_name,
             num=_counts(run).get(EnrolmentState.WAITLISTED, 0))


def refuse_effects(enrolment: Enrolment) -> list[str]:
    """Who is told what, and who gets the seat, when a pending `enrolment` is refused."""
    return [
        _("%(name)s is told by e-mail that their enrolment is refused, with your reason.",
          name=enrolment.user.full_name),
        _seat_line(enrolment.run),
        _("The enrolment stays on record as refused, with your reason."),
    ]


def move_effects(enrolment: Enrolment, target: Run) -> list[str]:
    """What moving `enrolment` to `target` changes in both runs."""
    name = enrolment.user.full_name
    return [
        _("%(name)s leaves this run; the enrolment here stays on record as moved.", name=name),
        _seat_line(enrolment.run),
        ngettext("%(name)s takes a seat in the run in %(city)s from %(day)s, where %(num)d "
                 "seat is free now, and is told by e-mail.",
                 "%(name)s takes a seat in the run in %(city)s from %(day)s, where %(num)d "
                 "seats are free now, and is told by e-mail.",
                 target.seats_left, name=name, city=target.centre.city,
                 day=format_day(target.first_date)),
    ]

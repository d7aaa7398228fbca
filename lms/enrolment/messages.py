"""What a trainee is told when their enrolment changes: in-app notice and e-mail."""

import sqlalchemy as sa
from flask import current_app

from lms.enrolment.models import Enrolment, EnrolmentEvent, EnrolmentState
from lms.enrolment.queries import waitlist_positions
from lms.extensions import db
from lms.i18n import gettext as _
from lms.notifications import ics
from lms.notifications.services import notify
from lms.templating import format_clock, format_day, zone_name
from lms.urls import public_url


def _places_lost(enrolment: Enrolment) -> int:
    """How many times the trainee's place in this run was cancelled (their calendar was
    sent a CANCEL each time): the SEQUENCE of later messages must pass those."""
    return db.session.scalar(
        sa.select(sa.func.count(EnrolmentEvent.id)).where(
            EnrolmentEvent.enrolment_id == enrolment.id,
            EnrolmentEvent.from_state == EnrolmentState.ENROLLED,
            EnrolmentEvent.to_state == EnrolmentState.CANCELLED,
        )
    )


def _people(enrolment: Enrolment) -> tuple[str, ics.Person, ics.Person]:
    config = current_app.config
    organizer = ics.sender(enrolment.run.centre.name, config["MAIL_DEFAULT_SENDER"])
    return config["MAIL_DOMAIN"], organizer, ics.Person(
        enrolment.user.full_name, enrolment.user.email
    )


def invitation_for(enrolment: Enrolment, on_behalf: bool = False) -> str:
    """The run's sessions as an invitation (METHOD:REQUEST) to the trainee with a place."""
    domain, organizer, attendee = _people(enrolment)
    return ics.invitation(
        enrolment.run, domain, organizer, attendee, _places_lost(enrolment), not on_behalf
    )


def cancellation_for(enrolment: Enrolment) -> str:
    """METHOD:CANCEL for the sessions of the invitation, once the place is cancelled (the
    cancellation is already recorded, so it is not counted among the earlier ones)."""
    domain, organizer, attendee = _people(enrolment)
    return ics.cancellation(
        enrolment.run, domain, organizer, attendee, max(_places_lost(enrolment) - 1, 0)
    )


def _when(day, starts_at, ends_at) -> str:
    """A session's day and times as the e-mails give them, in the current language."""
    return f"{format_day(day, 'full')}, {format_clock(starts_at)}–{format_clock(ends_at)}"


def _facts(enrolment: Enrolment) -> dict:
    run = enrolment.run
    sessions = "\n".join(
        f"- {_when(s.date, s.starts_at, s.ends_at)}"
        + (f", {s.topic}" if s.topic else "")
        for s in run.sessions
    )
    if sessions:  # a reader elsewhere must know whose clock these are
        sessions += "\n" + _(
            "Times are local time in %(city)s (%(zone)s).",
            city=run.centre.city,
            zone=zone_name(run.zone),
        )
    dates = format_day(run.first_date) if run.first_date else ""
    if run.last_date and run.last_date != run.first_date:
        dates += " – " + format_day(run.last_date)
    link = public_url("enrolment.dashboard")
    return {
        "name": enrolment.user.full_name,
        "course": run.course.title,
        "centre": run.centre.name,
        "city": run.centre.city,
        "venue": run.venue or "",
        "dates": dates,
        "sessions": sessions,
        "link": link,
        "reason": enrolment.cancel_reason,
    }


def _body(opening: str, facts: dict, closing: str = "") -> str:
    parts = [_("Dear %(name)s,", name=facts["name"]), opening]
    if facts["sessions"]:
        parts.append(_("Sessions:") + "\n" + facts["sessions"])
    if closing:
        parts.append(closing)
    if facts["link"]:
        parts.append(_("Your trainings: %(link)s", link=facts["link"]))
    parts.append(_("Forrás – trainings of the social-sector resource centres"))
    return "\n\n".join(parts)


def tell_about(
    enrolment: Enrolment,
    state: EnrolmentState,
    promoted: bool = False,
    approved: bool = False,
    on_behalf: bool = False,
    had_place: bool = False,
    position: int | None = None,
) -> None:
    """Queue the news of `enrolment` reaching `state`, with an invitation once they have a
    place, and its cancellation when a place they had (`had_place`) is cancelled.

    `on_behalf`: an administrator gave the place without the trainee asking;
    `position`: the waitlist position already counted (else it is counted here).
    """
    if position is None and state == EnrolmentState.WAITLISTED:
        position = waitlist_positions([enrolment]).get(enrolment.id)

    def render():
        facts = _facts(enrolment)  # here, so that dates read in the recipient's language
        where = _("%(course)s at %(centre)s (%(dates)s)", **facts)
        if state == EnrolmentState.ENROLLED and promoted:
            return (
                _("A place opened for you: %(course)s", **facts),
                _body(
                    _(
                        "A seat became free and it is yours: you now have a place in %(where)s.",
                        where=where,
                    ),
                    facts,
                    _(
                        "If you can no longer come, please cancel on your dashboard so "
                        "that the next person gets the seat."
                    ),
                ),
            )
        if state == EnrolmentState.ENROLLED and approved:
            return (
                _("Enrolment approved: %(course)s", **facts),
                _body(_("Your enrolment in %(where)s is approved.", where=where), facts),
            )
        if state == EnrolmentState.ENROLLED:
            return (
                _("Your place is confirmed: %(course)s", **facts),
                _body(_("You have a place in %(where)s.", where=where), facts),
            )
        if state == EnrolmentState.PENDING:
            opening = (
                _(
                    "A seat became free for you in %(where)s; the centre will now approve "
                    "your enrolment.",
                    where=where,
                )
                if promoted
                else _(
                    "We received your enrolment in %(where)s. The centre approves enrolments "
                    "for this run; we will tell you its decision.",
                    where=where,
                )
            )
            return (_("Enrolment received: %(course)s", **facts), _body(opening, facts))
        if state == EnrolmentState.WAITLISTED:
            return (
                _("You are on the waitlist: %(course)s", **facts),
                _body(
                    _(
                        "%(where)s is full. You are number %(position)d on the waitlist; "
                        "if a seat frees, it goes to the first in line and we tell you at "
                        "once.",
                        where=where,
                        position=position or 0,
                    ),
                    facts,
                ),
            )
        if enrolment.cancel_kind == "refused":
            return (
                _("Enrolment not approved: %(course)s", **facts),
                _body(
                    _(
                        "The centre did not approve your enrolment in %(where)s. "
                        "Reason: %(reason)s",
                        where=where,
                        reason=facts["reason"],
                    ),
                    facts,
                ),
            )
        if enrolment.cancel_kind == "moved":
            return (
                _("Your place has moved: %(course)s", **facts),
                _body(
                    _(
                        "Your place in %(where)s has moved to another run of the same "
                        "course (%(reason)s). Its details follow in a separate message; the "
                        "calendar file attached here takes the old dates out of your "
                        "calendar.",
                        where=where,
                        reason=facts["reason"],
                    ),
                    {**facts, "sessions": ""},
                ),
            )
        opening = _("Your enrolment in %(where)s is cancelled.", where=where)
        if facts["reason"]:
            opening += " " + _("Reason: %(reason)s", reason=facts["reason"])
        return _("Enrolment cancelled: %(course)s", **facts), _body(
            opening, {**facts, "sessions": ""}
        )

    if state == EnrolmentState.ENROLLED:
        calendar = invitation_for(enrolment, on_behalf)
    elif state == EnrolmentState.CANCELLED and had_place:
        calendar = cancellation_for(enrolment)
    else:  # no invitation was sent, so there is nothing to take back
        calendar = None
    notify(
        enrolment.user,
        f"enrolment_{state.value}",
        render,
        ics=calendar,
        language=enrolment.run.language,
        centre_id=enrolment.run.centre_id,
    )


def tell_run_cancelled(enrolment: Enrolment, reason: str, had_place: bool = False) -> None:
    """Queue the news that the run is cancelled; to a trainee who had a place (and so an
    invitation), with the cancellation of its sessions."""

    def render():
        facts = _facts(enrolment)
        return (
            _("Training cancelled: %(course)s", **facts),
            _body(
                _(
                    "We are sorry: %(course)s at %(centre)s (%(dates)s) is cancelled. "
                    "Reason: %(reason)s",
                    **{**facts, "reason": reason},
                ),
                {**facts, "sessions": ""},
            ),
        )

    notify(
        enrolment.user,
        "run_cancelled",
        render,
        ics=cancellation_for(enrolment) if had_place else None,
        language=enrolment.run.language,
        centre_id=enrolment.run.centre_id,
    )


def tell_session_moved(enrolment: Enrolment, session, was: tuple) -> None:
    """Queue the news that a session of the trainee's run has moved from `was` (day,
    start, end); one who holds a place gets the run's invitation again, its SEQUENCE
    higher, so calendars move the event."""

    def render():
        # Both times here, so that they read in the recipient's language.
        facts = _facts(enrolment)
        now = _when(session.date, session.starts_at, session.ends_at)
        return (
            _("A session has moved: %(course)s", **facts),
            _body(
                _(
                    "A session of %(course)s at %(centre)s has moved: it was on %(was)s, "
                    "it is now on %(now)s.",
                    was=_when(*was),
                    now=now,
                    **facts,
                ),
                facts,
            ),
        )

    holds_place = enrolment.state == EnrolmentState.ENROLLED
    notify(
        enrolment.user,
        "session_moved",
        render,
        ics=invitation_for(enrolment) if holds_place else None,
        language=enrolment.run.language,
        centre_id=enrolment.run.centre_id,
    )

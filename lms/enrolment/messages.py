"""What a trainee is told when their enrolment changes: in-app notice and e-mail."""

from flask import current_app

from lms.enrolment.models import Enrolment, EnrolmentState
from lms.enrolment.queries import waitlist_positions
from lms.i18n import gettext as _
from lms.notifications.ics import run_calendar
from lms.notifications.services import notify
from lms.templating import format_clock, format_day, zone_name
from lms.urls import public_url


def calendar_for(run) -> str:
    return run_calendar(run, current_app.config["MAIL_DOMAIN"])


def _facts(enrolment: Enrolment) -> dict:
    run = enrolment.run
    sessions = "\n".join(
        f"- {format_day(s.date, 'full')}, {format_clock(s.starts_at)}–{format_clock(s.ends_at)}"
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
    enrolment: Enrolment, state: EnrolmentState, promoted: bool = False, approved: bool = False
) -> None:
    """Queue the news of `enrolment` reaching `state`, with a calendar once they have a place."""
    position = (
        waitlist_positions([enrolment]).get(enrolment.id)
        if state == EnrolmentState.WAITLISTED
        else None
    )

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
        opening = _("Your enrolment in %(where)s is cancelled.", where=where)
        if facts["reason"]:
            opening += " " + _("Reason: %(reason)s", reason=facts["reason"])
        return _("Enrolment cancelled: %(course)s", **facts), _body(
            opening, {**facts, "sessions": ""}
        )

    ics = calendar_for(enrolment.run) if state == EnrolmentState.ENROLLED else None
    notify(
        enrolment.user,
        f"enrolment_{state.value}",
        render,
        ics=ics,
        language=enrolment.run.language,
        centre_id=enrolment.run.centre_id,
    )


def tell_run_cancelled(enrolment: Enrolment, reason: str) -> None:
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
        language=enrolment.run.language,
        centre_id=enrolment.run.centre_id,
    )

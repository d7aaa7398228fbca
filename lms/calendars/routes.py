
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms.access import can
from lms.calendars import bp, services
from lms.calendars.permissions import can_have_feed
from lms.clock import utcnow
from lms.courses.forms import ConfirmForm
from lms.i18n import gettext as _
from lms.i18n import ngettext
from lms.pipeline import perform

CALENDAR_TYPE = "text/calendar; charset=utf-8"


@bp.route("/runs/<int:run_id>/calendar.ics")
def run_calendar(run_id: int):
    """A run's sessions for one's own calendar ("Add to calendar")."""
    run = services.run_with_sessions(run_id)
    if run is None or not (services.run_is_public(run) or can("manage.run", run_id=run.id)):
        abort(404)
    response = Response(services.run_calendar(run), content_type=CALENDAR_TYPE)
    response.headers.set(
        "Content-Disposition", "attachment", filename=services.run_calendar_filename(run)
    )
    return response


@bp.route("/calendar/<int:user_id>.<token>.ics")
def feed(user_id: int, token: str):
    """A personal subscription feed, opened by its secret address alone (calendar
    programs log in nowhere)."""
    user = services.feed_owner(user_id, token)
    if user is None:
        abort(404)
    now = utcnow()
    feed = services.feed_of(user, now)
    etag = services.feed_fingerprint(user, feed)
    # An unchanged poll is answered before the calendar is written (most polls are).
    unchanged = etag in request.if_none_match
    body = "" if unchanged else services.feed_calendar(user, feed, now)
    response = Response(body, content_type=CALENDAR_TYPE)
    response.headers.set("Content-Disposition", "inline", filename="forras.ics")
    # Last-Modified is for programs that only send a date.
    response.set_etag(etag)
    if feed.last_modified is not None:
        response.last_modified = feed.last_modified
    response.cache_control.private = True
    response.cache_control.no_cache = True
    response.headers["X-Robots-Tag"] = "noindex"
    return response.make_conditional(request)


def _to_profile():
    return redirect(url_for("auth.profile") + "#calendar-heading")


def _upcoming(user) -> int:
    """How many sessions still to come the user's feed shows now."""
    now = utcnow()
    return sum(entry.session.date >= now.date() for entry in services.feed_of(user, now).entries)


def _feed_confirm(user, *, heading: str, action: str, button: str, effects: list[str]):
    return render_template(
        "_confirm.html", manage_nav=False, heading=heading, subject=_("My profile"),
        back=url_for("auth.profile") + "#calendar-heading", action=action, form=ConfirmForm(),
        button=button, button_class="button-danger", effects=effects, warnings=[], names=[],
        blocked=None if user.calendar_key is not None
        else _("You have no calendar address: there is nothing to turn off."))


@bp.route("/profile/calendar", methods=["GET", "POST"])
def start_feed():
    """POST: make the calendar address (a new one: the old one stops working). GET: what
    a new address changes, and the button (with no address yet: back to the profile)."""
    user = current_user._get_current_object()
    if not can_have_feed(user):
        abort(403)
    renewed = user.calendar_key is not None
    if request.method == "GET":
        if not renewed:
            return _to_profile()
        return _feed_confirm(
            user, heading=_("A new calendar address"), action=url_for("calendars.start_feed"),
            button=_("Make a new address"), effects=[
                _("Your calendar gets a new address; the old one stops working at once, for "
                  "whoever has it."),
                ngettext("Calendar programs subscribed to the old address no longer get your "
                         "%(num)d session to come, nor its changes.",
                         "Calendar programs subscribed to the old address no longer get your "
                         "%(num)d sessions to come, nor their changes.", _upcoming(user)),
                _("Add the new address to your own calendar programs again."),
            ])
    if ConfirmForm().validate_on_submit() and perform(lambda: services.start_feed(user)):
        flash(
            _("Your calendar has a new address; the old one no longer works.")
            if renewed
            else _("Your calendar address is ready. Add it to your calendar program."),
            "success",
        )
    return _to_profile()


@bp.route("/profile/calendar/off", methods=["GET", "POST"])
def stop_feed():
    """GET: what turning the address off changes, in sessions, and the button; POST: off."""
    user = current_user._get_current_object()
    if not can_have_feed(user):
        abort(403)
    if request.method == "GET":
        return _feed_confirm(
            user, heading=_("Turn off my calendar address"),
            action=url_for("calendars.stop_feed"), button=_("Turn it off"), effects=[
                _("Your calendar address stops working at once, for whoever has it."),
                ngettext("Calendar programs subscribed to it no longer get your %(num)d "
                         "session to come, nor its changes.",
                         "Calendar programs subscribed to it no longer get your %(num)d "
                         "sessions to come, nor their changes.", _upcoming(user)),
                _("You can make a new address at any time; the old one never works again."),
            ])
    if ConfirmForm().validate_on_submit() and perform(lambda: services.stop_feed(user)):
        flash(_("Your calendar address is turned off: it no longer works."), "success")
    return _to_profile()


@bp.app_template_global()
def calendar_feed_address():
    """The current user's feed addresses (https and webcal), or None."""
    return services.feed_address(current_user) if can_have_feed(current_user) else None

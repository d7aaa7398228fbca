"""The Outbox page: every e-mail the site queued, its state, and a way to send it again.

Network administrators see every message; an administrator scoped to a centre
sees only the news about that centre's runs (see lms.notifications.outbox).
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms.access import scoped_centre_id
from lms.courses.forms import ConfirmForm
from lms.i18n import gettext as _
from lms.i18n import lazy_gettext as _l
from lms.i18n import ngettext
from lms.manage import bp
from lms.notifications import outbox
from lms.notifications.models import OutboxState
from lms.pipeline import perform
from lms.urls import safe_next

STATES = {
    OutboxState.WAITING: _l("waiting"),
    OutboxState.FAILING: _l("failing"),
    OutboxState.SENT: _l("sent"),
    OutboxState.NO_SERVER: _l("not sent: no mail server"),
}


@bp.route("/outbox")
def outbox_list():
    state = request.args.get("state", "")
    state = OutboxState(state) if state in OutboxState._value2member_map_ else None
    found = outbox.outbox_page(scoped_centre_id(current_user), state,
                               after=request.args.get("after"), before=request.args.get("before"))
    return render_template("manage/outbox.html", messages=found.items, slice=found,
                           state=state.value if state else "", states=STATES,
                           resendable=outbox.RESENDABLE, confirm_form=ConfirmForm())


def _back():
    """Back to the page (filter and position) the button was pressed on."""
    back = safe_next(request.form.get("back"))
    if back is None or not back.startswith(url_for("manage.outbox_list")):
        back = url_for("manage.outbox_list")
    return redirect(back)


@bp.route("/outbox/<int:notification_id>/resend", methods=["POST"])
def resend_message(notification_id: int):
    message = outbox.visible_message(notification_id, scoped_centre_id(current_user))
    if message is None:
        abort(404)  # no such message, or another centre's: not even its existence is told
    if ConfirmForm().validate_on_submit() and perform(lambda: outbox.resend(message)):
        flash(_("The message to %(email)s will be sent again on the mail worker's next pass.",
                 email=message.user.email), "success")
    return _back()


@bp.route("/outbox/resend-failing", methods=["GET", "POST"])
def resend_failing():
    """GET: how many messages will be sent again, and the button; POST: queue them."""
    centre_id = scoped_centre_id(current_user)
    if request.method == "GET":
        count = outbox.count_failing(centre_id)
        return render_template(
            "_confirm.html", heading=_("Resend all failing and unsent messages"),
            subject=_("Outbox"), back=url_for("manage.outbox_list"),
            action=url_for("manage.resend_failing"), form=ConfirmForm(),
            button=_("Resend them"), warnings=[], names=[],
            effects=[ngettext("%(num)d message is sent again on the mail worker's next pass.",
                              "%(num)d messages are sent again on the mail worker's next pass.",
                              count),
                     _("Each is tried again as if new; who resent it is in the audit log.")],
            blocked=None if count else _("No message is failing or unsent."))
    if ConfirmForm().validate_on_submit():
        done = perform(lambda: outbox.resend_all_failing(centre_id))
        if done:
            flash(ngettext("%(num)d message will be sent again on the mail worker's next pass.",
                           "%(num)d messages will be sent again on the mail worker's next pass.",
                           done.value), "success")
    return _back()

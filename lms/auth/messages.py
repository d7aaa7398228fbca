"""E-mails about the account itself: confirm the address, reset the password.

They go through the outbox like every other message, but are marked seen at once:
they are not news for the dashboard.
"""

from flask import current_app, url_for

from lms.auth.models import User
from lms.auth.tokens import CONFIRM_EMAIL, RESET_PASSWORD, make_token
from lms.db import utcnow
from lms.i18n import gettext as _
from lms.notifications.services import notify


def _send(user: User, kind: str, render) -> None:
    notify(user, kind, render).seen_at = utcnow()


def send_confirmation(user: User, next_path: str = "") -> None:
    link = url_for("auth.confirm_email", token=make_token(CONFIRM_EMAIL, user, n=next_path),
                   _external=True)
    _send(user, "confirm_email", lambda: (
        _("Confirm your e-mail address for Forrás"),
        "\n\n".join((
            _("Dear %(name)s,", name=user.full_name),
            _("Thank you for registering. Open this link to confirm your e-mail address "
              "and start using your account (the link works for %(hours)d hours):",
              hours=current_app.config["EMAIL_CONFIRM_MAX_AGE"] // 3600),
            link,
            _("If you did not register, ignore this message: without confirmation "
              "the account cannot be used."),
        )),
    ))


def send_account_exists(user: User) -> None:
    login, reset = (url_for("auth.login", _external=True),
                    url_for("auth.forgot_password", _external=True))
    _send(user, "account_exists", lambda: (
        _("You already have a Forrás account"),
        "\n\n".join((
            _("Dear %(name)s,", name=user.full_name),
            _("Someone, probably you, tried to register with this e-mail address, but "
              "you already have an account. Log in here:"),
            login,
            _("Forgot your password? Set a new one here:"),
            reset,
            _("If it was not you, you can ignore this message: nothing has changed."),
        )),
    ))


def send_password_reset(user: User) -> None:
    link = url_for("auth.reset_password", token=make_token(RESET_PASSWORD, user),
                   _external=True)
    _send(user, "password_reset", lambda: (
        _("Set a new password for Forrás"),
        "\n\n".join((
            _("Dear %(name)s,", name=user.full_name),
            _("Open this link to choose a new password (it works once, for %(minutes)d "
              "minutes):", minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60),
            link,
            _("If you did not ask for this, ignore this message: your password stays as "
              "it is."),
        )),
    ))

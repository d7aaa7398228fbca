"""E-mails about the account itself: confirm the address, reset the password, change
the address.

They go through the outbox like every other message, but are marked seen at once:
they are not news for the dashboard.
"""

from flask import current_app

from lms.auth.models import User
from lms.auth.tokens import CHANGE_EMAIL, CONFIRM_EMAIL, RESET_PASSWORD, make_token
from lms.clock import utcnow
from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import gettext as _
from lms.notifications.services import notify
from lms.urls import public_url


def _send(user: User, kind: str, render, to_address: str | None = None) -> None:
    notify(user, kind, render, to_address=to_address).seen_at = utcnow()


def send_confirmation(user: User, next_path: str = "") -> None:
    link = public_url("auth.confirm_email", token=make_token(CONFIRM_EMAIL, user, n=next_path))
    user.confirmation_sent_at = utcnow()
    _send(
        user,
        "confirm_email",
        lambda: (
            _("Confirm your e-mail address for Forrás"),
            "\n\n".join(
                (
                    _("Dear %(name)s,", name=user.full_name),
                    _(
                        "Thank you for registering. Open this link to confirm your e-mail address "
                        "and start using your account (the link works for %(hours)d hours):",
                        hours=current_app.config["EMAIL_CONFIRM_MAX_AGE"] // 3600,
                    ),
                    link,
                    _(
                        "If you did not register, ignore this message: without confirmation "
                        "the account cannot be used."
                    ),
                )
            ),
        ),
    )


def reinvite(user: User) -> None:
    """An administrator sends a new confirmation link to an address not yet confirmed."""
    if user.email_confirmed_at is not None:
        raise DomainError(_("The address of %(name)s is already confirmed.", name=user.full_name))
    send_confirmation(user)
    db.session.flush()


def send_account_exists(user: User) -> None:
    login, reset = public_url("auth.login"), public_url("auth.forgot_password")
    _send(
        user,
        "account_exists",
        lambda: (
            _("You already have a Forrás account"),
            "\n\n".join(
                (
                    _("Dear %(name)s,", name=user.full_name),
                    _(
                        "Someone, probably you, tried to register with this e-mail address, but "
                        "you already have an account. Log in here:"
                    ),
                    login,
                    _("Forgot your password? Set a new one here:"),
                    reset,
                    _("If it was not you, you can ignore this message: nothing has changed."),
                )
            ),
        ),
    )


def send_password_reset(user: User) -> None:
    link = public_url("auth.reset_password", token=make_token(RESET_PASSWORD, user))
    _send(
        user,
        "password_reset",
        lambda: (
            _("Set a new password for Forrás"),
            "\n\n".join(
                (
                    _("Dear %(name)s,", name=user.full_name),
                    _(
                        "Open this link to choose a new password (it works once, for %(minutes)d "
                        "minutes):",
                        minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
                    ),
                    link,
                    _(
                        "If you did not ask for this, ignore this message: your password stays as "
                        "it is."
                    ),
                )
            ),
        ),
    )


def send_email_change_confirmation(user: User) -> None:
    """To the pending address: the link that makes it the account's address."""
    address = user.pending_email
    link = public_url("auth.confirm_email_change", token=make_token(CHANGE_EMAIL, user, e=address))
    _send(
        user,
        "confirm_email_change",
        lambda: (
            _("Confirm your new e-mail address for Forrás"),
            "\n\n".join(
                (
                    _("Dear %(name)s,", name=user.full_name),
                    _(
                        "Open this link to use %(email)s for your Forrás account from now on (the "
                        "link works for %(hours)d hours):",
                        email=address,
                        hours=current_app.config["EMAIL_CONFIRM_MAX_AGE"] // 3600,
                    ),
                    link,
                    _(
                        "Until then your account keeps its current address. If you did not ask for "
                        "this, ignore this message."
                    ),
                )
            ),
        ),
        to_address=address,
    )


def send_email_change_notice(user: User) -> None:
    """To the current address: someone asked to move the account to the pending one."""
    old, new = user.email, user.pending_email
    reset = public_url("auth.forgot_password")
    _send(
        user,
        "email_change_notice",
        lambda: (
            _("Your Forrás e-mail address is being changed"),
            "\n\n".join(
                (
                    _("Dear %(name)s,", name=user.full_name),
                    _(
                        "Someone logged in to your Forrás account asked to change its e-mail "
                        "address to %(email)s. The change takes effect when the link we sent to "
                        "that address is opened.",
                        email=new,
                    ),
                    _(
                        "If this was not you, set a new password now: it logs everyone else out of "
                        "your account."
                    ),
                    reset,
                )
            ),
        ),
        to_address=old,
    )

"""Login throttling that an attacker cannot turn against the account's owner.

Three limits count failed logins only (a successful one costs nothing):

- per account *and* address (`LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS`): guessing one
  person's password from one machine. A browser the account has logged in from
  before (it holds a device cookie for it) has a counter of its own instead, so
  whoever shares the owner's address cannot use it up.
- per address (`LOGIN_LIMIT_PER_ADDRESS`): trying many accounts from one machine;
  a known device of the account tried is exempt.
- per account (`LOGIN_LIMIT_PER_ACCOUNT`): guessing from many machines. It only
  counts and stops attempts from strangers: browsers with the account's device
  cookie and addresses the account logged in from in the last KNOWN_ADDRESS_DAYS
  days are exempt.

So an account is never locked against its owner on their own device or address
(ASVS 2.2.1 soft lockout; OWASP "device cookies"). The device cookie holds, for
each account that logged in on the browser, an HMAC of its e-mail address under
the secret key: it reveals nothing and cannot be forged.
"""

import hashlib
import hmac
from datetime import timedelta

from flask import Response, current_app, request
from flask_limiter.util import get_remote_address

from lms.auth import sessions
from lms.auth.services import normalise_email

DEVICE_COOKIE = "forras_device"
DEVICE_COOKIE_DAYS = 365
DEVICES_KEPT = 5  # accounts remembered per browser
KNOWN_ADDRESS_DAYS = 90


def posted_email() -> str:
    return normalise_email(request.form.get("email", ""))[:254]


def address() -> str:
    return get_remote_address() or ""


def device_tag(email: str) -> str:
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, b"device:" + email.encode(), hashlib.sha256).hexdigest()[:24]


def _device_tags() -> list[str]:
    return [tag for tag in request.cookies.get(DEVICE_COOKIE, "").split(".") if tag]


def is_known_device() -> bool:
    """Whether this browser has logged in to the posted account before."""
    return device_tag(posted_email()) in _device_tags()


def is_known_place() -> bool:
    """A known device, or an address the posted account logged in from lately."""
    return is_known_device() or sessions.has_logged_in_from(
        posted_email(), address(), timedelta(days=KNOWN_ADDRESS_DAYS))


def account_and_address_key() -> str:
    place = "device:" + device_tag(posted_email()) if is_known_device() else address()
    return f"login-pair:{posted_email()}:{place}"


def account_key() -> str:
    return "login-account:" + posted_email()


def login_failed(response: Response) -> bool:
    return response.status_code != 302  # a successful login redirects


def remember_device(response: Response, email: str) -> None:
    """After a successful login: mark this browser as a known device of the account."""
    tag = device_tag(email)
    tags = [tag, *(t for t in _device_tags() if t != tag)][:DEVICES_KEPT]
    response.set_cookie(
        DEVICE_COOKIE, ".".join(tags), max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax",
    )

"""Accounts: registration, authentication and profile changes."""

import hashlib
import hmac
import re
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from lms.audit.services import LOGIN_FAILED, record_event
from lms.auth import sessions
from lms.auth.models import Role, User
from lms.auth.passwords import password_problem
from lms.clock import utcnow
from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import gettext as _

PROFILE_FIELDS = ("full_name", "organisation", "job_title", "county", "settlement", "phone")
# A number in the operational register of social professionals (Hungary), as accepted.
REGISTER_NUMBER = re.compile(r"[0-9A-Za-z/-]{0,30}")
# A training period lasts four years (the decree on the continuing training of social
# professionals, 9/2000. (VIII. 4.) SzCsM); the register it belongs to dates from 2000.
PERIOD_YEARS = 4
FIRST_PERIOD_START = date(2000, 1, 1)
LONGEST_PERIOD_YEARS = 10  # four years, extended (leave, illness): never this long

# A hash to compare against when the e-mail is unknown, so that a failed login
# takes as long for a stranger's address as for a member's.
_DUMMY_HASH: dict[str, str] = {}


def normalise_email(email: str) -> str:
    return email.strip().casefold()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(
    email: str,
    password: str,
    full_name: str,
    role: Role = Role.TRAINEE,
    confirmed: bool = True,
    **profile,
) -> User:
    """Create an account; refuses an e-mail already in use (case-insensitively).

    `confirmed=False` (self-registration) leaves the address to be confirmed by e-mail.
    """
    if find_user_by_email(email) is not None:
        raise DomainError(_("An account with this e-mail address already exists."), "email")
    problem = password_problem(password, email, full_name)
    if problem:
        raise DomainError(problem, "password")
    user = User(
        email=normalise_email(email),
        password_hash=hash_password(password),
        full_name=full_name.strip(),
        role=role,
        email_confirmed_at=utcnow() if confirmed else None,
        locale=profile.get("locale") or None,
        **{k: (v or "").strip() for k, v in profile.items() if k in PROFILE_FIELDS},
    )
    db.session.add(user)
    db.session.flush()
    return user


def unknown_address_digest(email: str) -> str:
    """A short keyed digest of an address that has no account (the failed-login label)."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, normalise_email(email).encode(), hashlib.sha256).hexdigest()
    return f"hmac:{digest[:16]}"


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None. A failure is logged as an
    event with the address typed, never the password; logging in is
    `sessions.open_session`."""
    user = find_user_by_email(email)
    if user is None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        dummy = _DUMMY_HASH.setdefault(method, generate_password_hash("x", method=method))
        check_password_hash(dummy, password)
    elif check_password_hash(user.password_hash, password) and user.active:
        return user
    # Never the address typed (the log cannot forget it): the account's id, or for an
    # address with no account a keyed digest, so repeated tries on one address group.
    record_event(LOGIN_FAILED, "User", user.id if user else None,
                 "" if user else unknown_address_digest(email))
    return None


def add_years(day: date, years: int) -> date:
    """The same day `years` later (or earlier); 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def default_period_end(start: date) -> date:
    """The last day of a training period starting on `start`: four years less a day."""
    return add_years(start, PERIOD_YEARS) - timedelta(days=1)


def set_training_record(user: User, register_number: str | None, start: date | None,
                        end: date | None, today: date) -> User:
    """Record the person's register number and current training period (all optional);
    an end left empty is the start plus four years less a day."""
    number = (register_number or "").strip()
    if not REGISTER_NUMBER.fullmatch(number):
        raise DomainError(_("Use only letters, digits, hyphens and slashes, at most 30 "
                            "characters."), "register_number")
    if start is None and end is not None:
        raise DomainError(_("Enter the first day of the period too."), "training_period_start")
    if start is not None:
        if not FIRST_PERIOD_START <= start <= add_years(today, 1):
            raise DomainError(_("Enter a first day between %(first)s and %(last)s.",
                                first=FIRST_PERIOD_START.isoformat(),
                                last=add_years(today, 1).isoformat()), "training_period_start")
        end = end or default_period_end(start)
        if end <= start:
            raise DomainError(_("The period must end after it starts."), "training_period_end")
        if end >= add_years(start, LONGEST_PERIOD_YEARS):
            raise DomainError(_("A training period lasts four years: check the last day."),
                              "training_period_end")
    user.register_number = number
    user.training_period_start, user.training_period_end = start, end
    db.session.flush()
    return user


def update_profile(user: User, **changes) -> User:
    """Change a user's own details (not the e-mail: see `request_email_change`)."""
    for key, value in changes.items():
        if key in PROFILE_FIELDS:
            setattr(user, key, (value or "").strip())
        elif key == "locale":
            user.locale = value or None
        elif key == "time_zone":
            user.time_zone = value or None
    db.session.flush()
    return user


def change_password(user: User, current: str, new: str, keep_session: str | None = None) -> None:
    """Change one's own password; every other session of the account ends (ASVS 3.3.3),
    the one with key `keep_session` (the one making the change) stays."""
    if not check_password_hash(user.password_hash, current):
        raise DomainError(_("The current password is not correct."), "current_password")
    problem = password_problem(new, user.email, user.full_name)
    if problem:
        raise DomainError(problem, "new_password")
    user.password_hash = hash_password(new)
    sessions.end_sessions_of(user, sessions.PASSWORD_CHANGED, keep=keep_session)
    db.session.flush()


def request_email_change(user: User, new_email: str, password: str) -> User:
    """Ask to move the account to `new_email`: it becomes the pending address, and
    replaces the current one only when confirmed (`confirm_email_change`)."""
    if not check_password_hash(user.password_hash, password):
        raise DomainError(_("The current password is not correct."), "current_password")
    address = normalise_email(new_email)
    if address == user.email:
        raise DomainError(_("This is already your e-mail address."), "new_email")
    if find_user_by_email(address) is not None:
        raise DomainError(_("An account with this e-mail address already exists."), "new_email")
    user.pending_email = address
    db.session.flush()
    return user


def confirm_email_change(user: User, address: str) -> User:
    """The link sent to the pending address was opened: it becomes the account's address.
    Refused when another address was asked for since, or the address was taken meanwhile."""
    if user.pending_email != address or find_user_by_email(address) is not None:
        raise DomainError(_("This link no longer works."))
    user.email, user.pending_email = address, None
    user.email_confirmed_at = utcnow()
    db.session.flush()
    return user


def set_role_and_status(user: User, role: Role, active: bool, acting: User) -> User:
    """An admin changes someone's role or (de)activates them; never themself."""
    if user.id == acting.id and (role != user.role or not active):
        raise DomainError(_("You cannot change your own role or deactivate yourself."), "role")
    user.role = role
    if user.active and not active:
        sessions.end_sessions_of(user, sessions.DEACTIVATED)
    user.active = active
    db.session.flush()
    return user


def confirm_email(user: User) -> None:
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        db.session.flush()


def reset_password(user: User, new: str) -> None:
    """Set a new password from a reset link (the link is then spent: see tokens).
    Every session of the account ends: whoever was in with the old password is out."""
    problem = password_problem(new, user.email, user.full_name)
    if problem:
        raise DomainError(problem, "new_password")
    user.password_hash = hash_password(new)
    # Whoever holds the mailbox has shown it is theirs.
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    user.pending_email = None  # a change asked for by whoever else was in is dropped
    sessions.end_sessions_of(user, sessions.PASSWORD_RESET)
    db.session.flush()


def _centre_scope(role: Role, centre_id: int | None) -> int | None:
    """Only an administrator is scoped to a centre; 0 or None means the whole network."""
    return (centre_id or None) if role == Role.ADMIN else None


def create_account(email: str, password: str, role: Role, centre_id: int | None, **profile) -> User:
    """An administrator creates an account (confirmed), scoped to a centre if an admin."""
    user = create_user(email=email, password=password, role=role, **profile)
    user.centre_id = _centre_scope(role, centre_id)
    db.session.flush()
    return user


def edit_account(
    user: User, acting: User, role: Role, active: bool, centre_id: int | None, **profile
) -> User:
    """An administrator changes someone's details, role, status and centre scope."""
    update_profile(user, **profile)
    set_role_and_status(user, role, active, acting=acting)
    user.centre_id = _centre_scope(user.role, centre_id)
    db.session.flush()
    return user

"""Accounts: registration, authentication and profile changes."""

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from lms.auth.models import Role, User
from lms.auth.passwords import password_problem
from lms.db import utcnow
from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import gettext as _

PROFILE_FIELDS = ("full_name", "organisation", "job_title", "county", "settlement", "phone")

# A hash to compare against when the e-mail is unknown, so that a failed login
# takes as long for a stranger's address as for a member's.
_DUMMY_HASH: dict[str, str] = {}


def normalise_email(email: str) -> str:
    return email.strip().casefold()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(
    email: str, password: str, full_name: str, role: Role = Role.TRAINEE,
    confirmed: bool = True, **profile
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


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = find_user_by_email(email)
    if user is None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        dummy = _DUMMY_HASH.setdefault(method, generate_password_hash("x", method=method))
        check_password_hash(dummy, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def update_profile(user: User, **changes) -> User:
    """Change a user's own details; e-mail stays unique."""
    new_email = changes.pop("email", None)
    if new_email is not None and normalise_email(new_email) != user.email:
        other = find_user_by_email(new_email)
        if other is not None and other.id != user.id:
            raise DomainError(_("An account with this e-mail address already exists."), "email")
        user.email = normalise_email(new_email)
    for key, value in changes.items():
        if key in PROFILE_FIELDS:
            setattr(user, key, (value or "").strip())
        elif key == "locale":
            user.locale = value or None
    db.session.flush()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise DomainError(_("The current password is not correct."), "current_password")
    problem = password_problem(new, user.email, user.full_name)
    if problem:
        raise DomainError(problem, "new_password")
    user.password_hash = hash_password(new)
    db.session.flush()


def set_role_and_status(user: User, role: Role, active: bool, acting: User) -> User:
    """An admin changes someone's role or (de)activates them; never themself."""
    if user.id == acting.id and (role != user.role or not active):
        raise DomainError(_("You cannot change your own role or deactivate yourself."), "role")
    user.role = role
    user.active = active
    db.session.flush()
    return user


def confirm_email(user: User) -> None:
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        db.session.flush()


def reset_password(user: User, new: str) -> None:
    """Set a new password from a reset link (the link is then spent: see tokens)."""
    problem = password_problem(new, user.email, user.full_name)
    if problem:
        raise DomainError(problem, "new_password")
    user.password_hash = hash_password(new)
    # Whoever holds the mailbox has shown it is theirs.
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    db.session.flush()

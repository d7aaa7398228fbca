"""Server-side session records: a login lasts only while its `user_session` row is open.

The browser's (signed) session cookie carries a random key; the database keeps its
hash. Every request looks the row up (`load_user`, Flask-Login's user loader), so
ending the row ends the session for every copy of the cookie: logout ends one,
a password change ends the others, a reset or a deactivation ends them all.
Flask-Login's remember cookie is never issued, and would open nothing anyway: a
request without an open session key is anonymous.
"""

import functools
import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import session

from lms.audit import services as audit
from lms.auth.models import User, UserSession
from lms.clock import utcnow
from lms.extensions import db

SESSION_KEY = "sid"  # where the key sits in Flask's session
# last_seen_at is refreshed at most this often, so reading pages is not a write each time.
LAST_SEEN_EVERY = timedelta(minutes=5)

LOGOUT = "logout"
PASSWORD_CHANGED = "password-changed"
PASSWORD_RESET = "password-reset"
DEACTIVATED = "deactivated"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def open_session(user: User, address: str) -> str:
    """Record a login of `user` from `address`; returns the key for the session cookie."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        UserSession(
            key_hash=_hash(key),
            user=user,
            address=(address or "")[:45],
            created_at=now,
            last_seen_at=now,
        )
    )
    user.last_login_at = now
    # By id only (docs/privacy.md): the address it came from stays in user_session.
    audit.record_event(audit.LOGIN, "User", user.id, actor_id=user.id)
    db.session.flush()
    return key


def find_session(key: str | None) -> UserSession | None:
    """The open session with this key, or None."""
    if not key or not isinstance(key, str):
        return None
    return db.session.scalar(
        sa.select(UserSession).where(
            UserSession.key_hash == _hash(key), UserSession.ended_at.is_(None)
        )
    )


def end_session(key: str | None, reason: str = LOGOUT) -> None:
    """End the session with this key (if it is open)."""
    record = find_session(key)
    if record is not None:
        record.ended_at, record.end_reason = utcnow(), reason
        audit.record_event(audit.LOGOUT, "User", record.user_id, actor_id=record.user_id)
        db.session.flush()


def end_sessions_of(user: User, reason: str, keep: str | None = None) -> int:
    """End every open session of `user`, except the one whose key is `keep`."""
    keep_hash = _hash(keep) if keep else None
    now, ended = utcnow(), 0
    for record in db.session.scalars(
        sa.select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    ):
        if record.key_hash != keep_hash:
            record.ended_at, record.end_reason = now, reason
            ended += 1
    if ended:
        audit.record_event(audit.SESSIONS_ENDED, "User", user.id,
                           details={"sessions": ended, "why": reason})
    db.session.flush()
    return ended


def has_logged_in_from(email: str, address: str, since: timedelta) -> bool:
    """Whether the account with this e-mail has logged in from `address` recently."""
    return (
        db.session.scalar(
            sa.select(sa.literal(True))
            .select_from(UserSession)
            .join(User, User.id == UserSession.user_id)
            .where(
                User.email == email,
                UserSession.address == address,
                UserSession.created_at >= utcnow() - since,
            )
            .limit(1)
        )
        is not None
    )


@functools.cache
def _open_session_statement():
    """The user loader's query, built once (every request asks it): the open session
    with this key and its user, if active (deactivated: out on the next request)."""
    return (
        sa.select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(
            UserSession.key_hash == sa.bindparam("key_hash"),
            UserSession.ended_at.is_(None),
            User.id == sa.bindparam("user_id"),
            User.active,
        )
    )


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the user of this request's open session, if active.
    One query: the session row and its user together."""
    key = session.get(SESSION_KEY)
    if not key or not isinstance(key, str) or not user_id.isdigit():
        return None
    found = db.session.execute(
        _open_session_statement(), {"key_hash": _hash(key), "user_id": int(user_id)}
    ).first()
    if found is None:
        return None
    record, user = found
    now = utcnow()
    if now - record.last_seen_at >= LAST_SEEN_EVERY:
        # In a transaction of its own: a page that only reads never commits the request's.
        with db.engine.begin() as connection:
            connection.execute(
                sa.update(UserSession).where(UserSession.id == record.id).values(last_seen_at=now)
            )
    return user

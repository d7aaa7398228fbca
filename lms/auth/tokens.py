"""Signed, expiring, single-use links: e-mail confirmation, password reset, e-mail change.

A token carries the user's id and a fingerprint of what the link changes (the
password hash, the confirmation time): once used, the fingerprint no longer
matches, so the same link cannot be used twice. Nothing is stored server-side.
"""

import hashlib

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lms.auth.models import User
from lms.extensions import db

CONFIRM_EMAIL = "confirm-email"
RESET_PASSWORD = "reset-password"
CHANGE_EMAIL = "change-email"  # carries the new address; see services.confirm_email_change


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=f"forras-{purpose}")


def _fingerprint(user: User) -> str:
    state = f"{user.id}|{user.email}|{user.password_hash}|{user.email_confirmed_at}"
    return hashlib.sha256(state.encode()).hexdigest()[:20]


def make_token(purpose: str, user: User, **extra: str) -> str:
    return _serializer(purpose).dumps({"u": user.id, "f": _fingerprint(user), **extra})


def read_token(purpose: str, token: str, max_age: int) -> tuple[User, dict] | None:
    """The user a valid, unexpired, unused token was made for (and its extras), or None."""
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except BadSignature:  # also SignatureExpired
        return None
    user = db.session.get(User, payload.get("u")) if isinstance(payload, dict) else None
    if user is None or not user.active or payload.get("f") != _fingerprint(user):
        return None
    return user, payload

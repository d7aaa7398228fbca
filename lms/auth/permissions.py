"""Who may do what: small predicates, and a decorator that applies them to views."""

from functools import wraps

from flask import abort
from flask_login import current_user

from lms.auth.models import Role
from lms.extensions import login_manager


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.role == Role.ADMIN)


def is_trainer(user) -> bool:
    return bool(user and user.is_authenticated and user.role == Role.TRAINER)


def can_manage_catalogue(user) -> bool:
    return is_admin(user)


def can_manage_users(user) -> bool:
    return is_admin(user)


def require(predicate):
    """Allow the view only to a logged-in user the predicate accepts; others get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not predicate(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator

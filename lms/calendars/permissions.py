"""Who has a personal calendar feed."""

from lms.auth.models import Role


def can_have_feed(user) -> bool:
    """Trainees (their places) and trainers (their sessions); an administrator has no
    sessions of their own, so a feed of theirs would always be empty."""
    return bool(
        user and user.is_authenticated and user.active
        and user.role in (Role.TRAINEE, Role.TRAINER)
    )

"""Who may see and mark attendance (DESIGN rule 4)."""

from lms.auth.models import Role
from lms.trainers.services import is_trainer_of, is_trainer_of_run


def can_mark(user, session) -> bool:
    """The session's own trainers and administrators; nobody else."""
    if not user.is_authenticated:
        return False
    return user.role == Role.ADMIN or is_trainer_of(user, session)


def can_see_register(user, run) -> bool:
    if not user.is_authenticated:
        return False
    return user.role == Role.ADMIN or is_trainer_of_run(user, run)

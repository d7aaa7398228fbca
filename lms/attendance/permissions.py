"""Who may see and mark attendance (DESIGN rule 4)."""

from lms.auth.models import Role
from lms.trainers.services import is_trainer_of, is_trainer_of_run


def can_mark(user, session, trainers: list | None = None) -> bool:
    """The session's own trainers and administrators; nobody else. `trainers`: the
    session's trainer assignments, when the caller has read them already."""
    if not user.is_authenticated:
        return False
    if user.role == Role.ADMIN:
        return True
    if trainers is None:
        return is_trainer_of(user, session)
    return user.role == Role.TRAINER and any(a.trainer_id == user.id for a in trainers)


def can_see_register(user, run) -> bool:
    if not user.is_authenticated:
        return False
    return user.role == Role.ADMIN or is_trainer_of_run(user, run)

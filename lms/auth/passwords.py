"""What makes a password acceptable (ASVS 2.1): long enough, and not guessable.

A password is refused when it is shorter than MIN_PASSWORD characters, when it is
(case-insensitively, ignoring leading and trailing digits and punctuation) one of
the 10 000 most common passwords, when it uses almost a single character, or when
it is built from the person's own e-mail address or name.
"""

import re
import string
from functools import cache
from pathlib import Path

from lms.i18n import gettext as _

MIN_PASSWORD = 12
MAX_PASSWORD = 200
_EDGES = string.digits + string.punctuation + " "


@cache
def common_passwords() -> frozenset[str]:
    lines = (Path(__file__).with_name("common_passwords.txt").read_text().splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _personal_words(email: str, full_name: str) -> set[str]:
    local = email.split("@")[0].casefold()
    words = set(re.split(r"[\W_]+", f"{local} {full_name}".casefold()))
    return {w for w in words if len(w) >= 4} | ({local} if len(local) >= 4 else set())


def password_problem(password: str, email: str = "", full_name: str = "") -> str | None:
    """Why `password` is not acceptable, in words for the person choosing it; None if fine."""
    if len(password) < MIN_PASSWORD:
        return _("The password must be at least %(min)d characters long.", min=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return _("The password may be at most %(max)d characters long.", max=MAX_PASSWORD)
    folded = password.casefold()
    core = folded.strip(_EDGES)
    common = common_passwords()
    if folded in common or core in common or len(set(folded)) <= 3:
        return _("This password is too common and easy to guess. Choose another one, "
                 "for example a few unrelated words.")
    rest = core
    for word in sorted(_personal_words(email, full_name), key=len, reverse=True):
        rest = rest.replace(word, "")
    if len(rest.strip(_EDGES)) < 4:
        return _("The password must not be made of your name or e-mail address.")
    return None

"""constraints.txt cannot go stale: the virtualenv the suite runs in is exactly the pinned one.

`make install` installs with `-c constraints.txt`; `make constraints` rewrites it
from the virtualenv (pip freeze). A package added, removed or upgraded without
`make constraints` fails here.
"""

import re
from importlib.metadata import distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What `pip freeze` leaves out by default, and the project itself.
NOT_PINNED = {"pip", "setuptools", "wheel", "distribute", "forras-lms"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        assert sep, f"constraints.txt: {line!r} is not an exact pin (name==version)"
        pins[canonical(name)] = version.strip()
    return pins


def installed() -> dict[str, str]:
    found = {}
    for dist in distributions():
        name = canonical(dist.metadata["Name"])
        if name not in NOT_PINNED:
            found[name] = dist.version
    return found


def test_the_virtualenv_matches_the_pins():
    pins, have = pinned(), installed()
    problems = [f"{name}: pinned {pins[name]}, installed {have.get(name, 'nothing')}"
                for name in sorted(pins) if have.get(name) != pins[name]]
    problems += [f"{name} {have[name]}: installed but not pinned"
                 for name in sorted(set(have) - set(pins))]
    assert not problems, ("constraints.txt and .venv disagree (make install to follow the "
                          "pins, or make constraints to record the venv):\n" + "\n".join(problems))

"""The documentation names tests as proof: each one it names must exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_test_named_in_the_security_map_exists():
    named = set(re.findall(r"\b(test_\w+)(?!\w|\.py)", (ROOT / "docs" / "security.md").read_text()))
    defined = {match for path in (ROOT / "tests").rglob("*.py")
               for match in re.findall(r"^\s*def (test_\w+)", path.read_text(), re.M)}
    assert named, "docs/security.md names no tests"
    assert sorted(named - defined) == []

"""Every third-party module the application imports is declared in install_requires.

A module found only through another package's dependencies (or only in the test
extras) works in the development virtualenv and breaks a plain `pip install .`.
"""

import ast
import configparser
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What the installed application runs: the package, and the migrations it ships.
SHIPPED_CODE = ("lms", "migrations")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_distributions() -> set[str]:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg", encoding="utf-8")
    requirements = parser["options"]["install_requires"].splitlines()
    names = set()
    for line in requirements:
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(canonical(re.match(r"[A-Za-z0-9._-]+", line).group()))
    return names


def imported_modules() -> dict[str, str]:
    """Top-level module name -> the first file importing it (absolute imports only)."""
    found: dict[str, str] = {}
    for folder in SHIPPED_CODE:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_is_an_install_requirement():
    declared = declared_distributions()
    distributions = packages_distributions()
    missing = []
    for module, where in sorted(imported_modules().items()):
        if module in sys.stdlib_module_names or module == "lms":
            continue
        providers = {canonical(name) for name in distributions.get(module, [])}
        assert providers, f"{module} (imported in {where}) is not installed at all"
        if not providers & declared:
            missing.append(f"{module} ({where}): declare one of {sorted(providers)}")
    assert not missing, "imported at run time but not in install_requires:\n" + "\n".join(
        missing)


def test_the_walk_sees_the_imports_that_matter():
    # Guards the test itself: a walk that found nothing would pass vacuously.
    modules = imported_modules()
    assert {"flask", "sqlalchemy", "pypdf", "weasyprint", "alembic"} <= set(modules)

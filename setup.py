"""The build step of the wheel; the metadata is in setup.cfg.

A checkout keeps templates/, static/ and migrations/ at the repository's top and
compiles the catalogues with `make`. An installed Forrás has no checkout, so the
wheel carries copies of those folders inside the package and the compiled
catalogues (.mo files are never committed); lms/config.py finds either layout.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHARED_FOLDERS = ("templates", "static", "migrations")


class BuildWithResources(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install serves them from the checkout
        package = Path(self.build_lib) / "lms"
        for name in SHARED_FOLDERS:
            target = package / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(HERE / name, target,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        compile_catalogues(HERE / "lms" / "translations", package / "translations")


def compile_catalogues(source: Path, target: Path) -> None:
    """`pybabel compile` for each catalogue (fuzzy entries left out, as make does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in sorted(source.glob("*/LC_MESSAGES/messages.po")):
        mo = target / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        with mo.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)


setup(cmdclass={"build_py": BuildWithResources})

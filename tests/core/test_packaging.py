"""A plain `pip install` of the wheel, into a clean virtualenv, gives a Forrás that runs.

The wheel is built from the files git knows (as a fresh checkout would have
them: no compiled catalogues) and installed without extras, without the
development virtualenv and without network: every dependency comes from the
wheelhouse `make test` fills (`.venv/wheelhouse`, pinned by constraints.txt).
The installed app then migrates a new SQLite database, loads the demo, and
serves a Hungarian page and a static file through gunicorn, from a directory
that is not the checkout.
"""

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = Path(os.environ.get("FORRAS_WHEELHOUSE", Path(sys.prefix) / "wheelhouse"))

pytestmark = pytest.mark.packaging


def run(*args, cwd, env, timeout=300):
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, (f"{' '.join(map(str, args))} failed ({done.returncode}):\n"
                                  f"{done.stdout}\n{done.stderr}")
    return done.stdout


def clean_environment(**extra) -> dict[str, str]:
    """No settings of the developer's shell or of this suite leak into the installed app."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    # Machine-wide pip settings (extra indexes, find-links) play no part either.
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_NO_INPUT="1", PYTHONDONTWRITEBYTECODE="1")
    env.update(extra)
    return env


def checkout_copy(target: Path) -> Path:
    """The files of the checkout that git tracks (or would: new, not ignored ones)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, capture_output=True, check=True)
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if not (WHEELHOUSE / ".complete").exists():
        pytest.fail(f"no wheelhouse at {WHEELHOUSE}: `make test` (or "
                    f"`make .venv/wheelhouse/.complete`) fills it")
    base = tmp_path_factory.mktemp("packaging")
    source = checkout_copy(base / "src")
    assert not list(source.glob("lms/translations/*/LC_MESSAGES/*.mo"))
    env = clean_environment()
    offline = ("--no-index", "--find-links", WHEELHOUSE)
    # pip's own isolated build, its build requirements taken from the wheelhouse.
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", *offline, "-w", base / "dist",
        source, cwd=base, env=env)
    (wheel,) = (base / "dist").glob("forras_lms-*.whl")
    venv = base / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=base, env=env)
    run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", *offline, wheel,
        cwd=base, env=env)
    work = base / "work"
    work.mkdir()
    return venv / "bin", work


def app_environment(work: Path, **extra) -> dict[str, str]:
    return clean_environment(DATABASE_URL=f"sqlite:///{work / 'forras.db'}",
                             LMS_INSTANCE_PATH=str(work / "instance"),
                             SECRET_KEY="packaging-test", **extra)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, **headers) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def wait_until_serving(process: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + 60  # a bound on waiting, not a performance assertion
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited:\n" + process.stdout.read()
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} never answered")


def test_the_installed_package_is_the_one_that_runs(installed):
    bin_dir, work = installed
    out = run(bin_dir / "python", "-c",
              "import lms, lms.config as c; print(lms.__file__); print(c.INSTALLED); "
              "print(c.TEMPLATE_FOLDER)", cwd=work, env=app_environment(work))
    module, flag, templates = out.split()
    assert Path(module).is_relative_to(bin_dir.parent) and flag == "True"
    assert (Path(templates) / "base.html").is_file()
    # pytest and the test extras stay out of a plain install.
    assert not (bin_dir / "pytest").exists()


def test_migrations_ship_and_the_app_serves_templates_translations_and_static_files(installed):
    bin_dir, work = installed
    port = free_port()
    env = app_environment(work, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    run(bin_dir / "lms", "db", "upgrade", cwd=work, env=env)
    with sqlite3.connect(work / "forras.db") as db:
        (version,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
    assert version
    run(bin_dir / "flask", "--app", "lms:create_app", "db", "current", cwd=work, env=env)
    assert "Demo loaded" in run(bin_dir / "lms", "demo", cwd=work, env=env)

    options = ["--no-control-socket"] if "--no-control-socket" in run(
        bin_dir / "gunicorn", "--help", cwd=work, env=env) else []
    server = subprocess.Popen(
        [bin_dir / "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", *options,
         "lms.wsgi:app"], cwd=work, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_serving(server, f"http://127.0.0.1:{port}/healthz")
        status, page = get(f"http://127.0.0.1:{port}/courses/", **{"Accept-Language": "hu"})
        assert status == 200
        assert "Képzési katalógus" in page  # the compiled Hungarian catalogue
        status, css = get(f"http://127.0.0.1:{port}/static/css/app.css")
        assert status == 200 and css.strip()
    finally:
        server.terminate()
        server.communicate(timeout=30)

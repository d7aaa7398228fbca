"""Backups of the SQLite database: `flask backup PATH` and `flask restore PATH`.

Both go through SQLite's online backup API (`sqlite3.Connection.backup`), never
a file copy: the backup reads one committed snapshot while the application goes
on writing (WAL), and the restore writes the destination in one transaction, so
a crash halfway leaves the old database, not a mix. PostgreSQL has its own
tools (pg_dump, pg_restore), so both commands refuse it.

Signed sheets kept in SIGNED_SHEET_DIR rather than in the database are part of the
backup too: `flask backup PATH` copies every scan the copied database names into
the folder `PATH.signed-sheets/` (each checked against its SHA-256), and
`flask restore PATH` puts back into SIGNED_SHEET_DIR those missing there. The
files are named by their hash and never change, so nothing is ever overwritten.
"""

import hashlib
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import click
from flask import current_app

from lms.clock import utcnow
from lms.extensions import db
from lms.i18n import gettext as _
from lms.i18n import ngettext

BUSY_TIMEOUT_SECONDS = 10


@dataclass
class Check:
    """What a database file holds, read after a backup and before a restore."""

    ok: bool
    problem: str
    tables: int = 0
    rows: int = 0
    revision: str | None = None


def database_file() -> Path:
    """The configured SQLite file, or a ClickException naming what to use instead."""
    url = db.engine.url  # Flask-SQLAlchemy has already resolved relative paths
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(_(
            "The database is %(backend)s, not SQLite: back it up with its own tools, "
            "e.g. pg_dump -Fc (and restore with pg_restore).",
            backend=url.get_backend_name()))
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise click.ClickException(_("The database is not an SQLite file; nothing to copy."))
    return Path(url.database)


def _connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                               timeout=BUSY_TIMEOUT_SECONDS)
    return sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)


def _copy(source: sqlite3.Connection, target: Path) -> None:
    """A consistent copy of `source` into the single file `target` (no -wal beside it)."""
    with closing(sqlite3.connect(target)) as copy:
        # One step (pages=-1) copies every page under one read transaction: a
        # snapshot of the last commit, whatever other connections write meanwhile.
        source.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")


def check(path: Path) -> Check:
    """PRAGMA integrity_check on `path`, and its tables, rows and schema revision."""
    try:
        with closing(_connect(path, read_only=True)) as conn:
            verdict = conn.execute("PRAGMA integrity_check").fetchall()
            if verdict != [("ok",)]:
                return Check(False, "; ".join(row[0] for row in verdict[:5]))
            tables = [row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            rows = sum(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                       for table in tables)
            revision = None
            if "alembic_version" in tables:
                found = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = found[0] if found else None
    except sqlite3.DatabaseError as error:
        return Check(False, str(error))
    return Check(True, "", len(tables), rows, revision)


def _size(path: Path) -> str:
    size = path.stat().st_size
    if size < 1024 * 1024:
        return _("%(size).1f KB", size=size / 1024)
    return _("%(size).1f MB", size=size / (1024 * 1024))


def _describe(path: Path, found: Check) -> str:
    return _("%(path)s: %(size)s, %(tables)d tables, %(rows)d rows, schema revision "
             "%(revision)s, integrity check ok.", path=path, size=_size(path),
             tables=found.tables, rows=found.rows, revision=found.revision or _("none"))


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def backup_command(path: Path, force: bool) -> None:
    """Copy the SQLite database to PATH while the application runs, and check the copy."""
    source = database_file()
    if not source.exists():
        raise click.ClickException(_("There is no database at %(path)s.", path=source))
    if path.exists() and not force:
        raise click.ClickException(_("%(path)s already exists; choose another name or add "
                                     "--force to overwrite it.", path=path))
    if path.resolve() == source.resolve():
        raise click.ClickException(_("The backup cannot overwrite the database itself."))
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside PATH and renamed when checked: PATH is never a half-written file.
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with closing(_connect(source)) as conn:
            _copy(conn, partial)
        found = check(partial)
        if not found.ok:
            raise click.ClickException(_("The copy failed its integrity check (%(problem)s); "
                                         "nothing was written to %(path)s.",
                                         problem=found.problem, path=path))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    click.echo(_("Backup written to %(where)s", where=_describe(path, found)))
    backup_sheets(path)


def sheet_folder(backup: Path) -> Path:
    """Where the backup at `backup` keeps the scans of SIGNED_SHEET_DIR."""
    return backup.with_name(f"{backup.name}.signed-sheets")


def _hashes_in(database: Path) -> list[str]:
    """The scans the database at `database` keeps outside itself (content NULL)."""
    with closing(_connect(database, read_only=True)) as conn:
        tables = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "document_blob" not in tables:
            return []
        return [row[0] for row in conn.execute(
            "SELECT sha256 FROM document_blob WHERE content IS NULL ORDER BY sha256")]


def _copy_checked(source: Path, target: Path, digest: str) -> bool:
    """Copy a scan named by its hash, checking the bytes against it; False when the
    source is not there or not what its name says (nothing is written then)."""
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        return False
    if hashlib.sha256(data).hexdigest() != digest:
        return False
    partial = target.with_name(f".{target.name}.partial")
    partial.write_bytes(data)
    os.chmod(partial, 0o444)
    os.replace(partial, target)
    return True


def copy_sheets(database: Path, source: Path, target: Path) -> tuple[int, list[str]]:
    """Copy into `target` each scan `database` names that `target` lacks; how many
    were copied and which could not be (missing or altered in `source`)."""
    copied, lost = 0, []
    for digest in _hashes_in(database):
        if (target / digest).exists():
            continue
        target.mkdir(parents=True, exist_ok=True)
        if _copy_checked(source / digest, target / digest, digest):
            copied += 1
        else:
            lost.append(digest)
    return copied, lost


def _report_sheets(copied: int, lost: list[str], where: Path) -> None:
    click.echo(ngettext("%(num)d signed sign-in sheet copied to %(folder)s.",
                        "%(num)d signed sign-in sheets copied to %(folder)s.", copied,
                        folder=where))
    if lost:
        click.echo(ngettext(
            "Warning: %(num)d scan named in the database is missing or altered in its "
            "folder and was not copied: %(hashes)s",
            "Warning: %(num)d scans named in the database are missing or altered in their "
            "folder and were not copied: %(hashes)s", len(lost),
            hashes=", ".join(lost)), err=True)


def backup_sheets(path: Path) -> None:
    """With SIGNED_SHEET_DIR the scans are files beside the database: the backup at
    `path` takes those its database names, into `PATH.signed-sheets/`."""
    folder = current_app.config.get("SIGNED_SHEET_DIR")
    if not folder:
        return
    where = sheet_folder(path)
    copied, lost = copy_sheets(path, Path(folder), where)
    _report_sheets(copied, lost, where)


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path: Path, yes: bool) -> None:
    """Replace the SQLite database with the backup PATH. Stop the server first.

    The backup is checked before anything changes, and the current database is
    kept beside it as <name>.before-restore-<timestamp>.
    """
    target = database_file()
    found = check(path)
    if not found.ok:
        raise click.ClickException(_("%(path)s is not a sound SQLite database (%(problem)s); "
                                     "nothing was changed.", path=path, problem=found.problem))
    if found.revision is None:
        raise click.ClickException(_("%(path)s has no alembic_version table: it is not a "
                                     "Forrás backup; nothing was changed.", path=path))
    click.echo(_("Backup %(where)s", where=_describe(path, found)))
    if not yes and not click.confirm(_("Replace the database %(target)s with this backup? "
                                       "The server must be stopped.", target=target)):
        raise click.ClickException(_("Nothing was changed."))
    db.engine.dispose()  # this process holds no connection to the file it replaces
    kept = None
    if target.exists():
        stamp = utcnow().strftime("%Y%m%d-%H%M%SZ")
        kept = target.with_name(f"{target.name}.before-restore-{stamp}")
        with closing(_connect(target)) as current:
            _copy(current, kept)
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(_connect(path, read_only=True)) as source, closing(_connect(target)) as dest:
        # The backup API writes the live file in one transaction, WAL included:
        # no stale -wal file can be replayed over the restored pages.
        source.backup(dest, pages=-1)
    restored = check(target)
    if not restored.ok:
        raise click.ClickException(_("The restored database failed its integrity check "
                                     "(%(problem)s); the previous one is kept at %(kept)s.",
                                     problem=restored.problem, kept=kept))
    click.echo(_("Restored %(where)s", where=_describe(target, restored)))
    folder = current_app.config.get("SIGNED_SHEET_DIR")
    if folder and sheet_folder(path).is_dir():
        copied, lost = copy_sheets(target, sheet_folder(path), Path(folder))
        _report_sheets(copied, lost, Path(folder))
    if kept is not None:
        click.echo(_("The previous database is kept at %(path)s.", path=kept))

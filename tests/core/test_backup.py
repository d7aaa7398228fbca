"""`flask backup` and `flask restore`: a consistent copy while the app writes, a safe restore.

These tests build their own application on an SQLite file (its schema stamped
with the migrations' head, so it has the alembic_version table), whatever database
`TEST_DATABASE_URL` points the rest of the suite at; the refusal of PostgreSQL
is checked against a PostgreSQL URL, and against the suite's own database when
that is PostgreSQL.
"""

import hashlib
import sqlite3
import threading
from contextlib import closing

import pytest
import sqlalchemy as sa
from flask_migrate import stamp

from lms import create_app
from lms.auth import services as accounts
from lms.auth.models import Role, User
from lms.evidence.services import store_blob
from lms.extensions import db as _db
from tests.conftest import PASSWORD, _test_config, tiny_pdf


@pytest.fixture
def sqlite_app(tmp_path):
    app = create_app(_test_config(f"sqlite:///{tmp_path / 'forras.db'}"))
    with app.app_context():
        _db.create_all()
        stamp()  # the alembic_version table a migrated database has
        yield app
        _db.session.remove()
        _db.engine.dispose()


def add_users(*names: str) -> None:
    for name in names:
        accounts.create_user(f"{name.lower()}@example.org", PASSWORD, name, Role.TRAINEE)
    _db.session.commit()


def names_in(path) -> list[str]:
    with closing(sqlite3.connect(path)) as conn:
        return sorted(row[0] for row in conn.execute("SELECT full_name FROM user"))


def invoke(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=list(args), **kwargs)


def test_backup_copies_a_checked_snapshot(sqlite_app, tmp_path):
    add_users("Anna", "Béla")
    target = tmp_path / "backups" / "forras-1.db"
    result = invoke(sqlite_app, "backup", str(target))
    assert result.exit_code == 0, result.output
    assert str(target) in result.output and "integrity check ok" in result.output
    assert " tables, " in result.output and "KB" in result.output
    assert names_in(target) == ["Anna", "Béla"]
    # A single self-contained file: no -wal beside it, not in WAL mode.
    assert not target.with_name(target.name + "-wal").exists()
    with closing(sqlite3.connect(target)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_backup_ignores_an_open_write_transaction(sqlite_app, tmp_path):
    add_users("Anna")
    writer = sqlite3.connect(sqlite_app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):])
    with closing(writer):
        writer.execute("BEGIN IMMEDIATE")  # holds the write lock until the end
        writer.execute("UPDATE user SET full_name = 'Uncommitted'")
        result = invoke(sqlite_app, "backup", str(tmp_path / "copy.db"))
        assert result.exit_code == 0, result.output
        writer.rollback()
    assert names_in(tmp_path / "copy.db") == ["Anna"]


def test_backup_while_writes_go_on_is_consistent(sqlite_app, tmp_path):
    """Each writer transaction adds ten rows of one batch: a copy taken meanwhile holds whole
    batches only, and at least those committed before it started."""
    path = sqlite_app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):]
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE probe (batch INTEGER NOT NULL, n INTEGER NOT NULL)")
        conn.commit()
    add_users("Anna")
    stop, started = threading.Event(), threading.Event()
    committed = []

    def write():
        with closing(sqlite3.connect(path, timeout=10)) as conn:
            batch = 0
            while not stop.is_set():
                batch += 1
                with conn:  # one transaction per batch
                    conn.executemany("INSERT INTO probe VALUES (?, ?)",
                                     [(batch, n) for n in range(10)])
                committed.append(batch)
                if batch == 20:
                    started.set()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        assert started.wait(10)
        before = len(committed)
        results = [invoke(sqlite_app, "backup", str(tmp_path / f"copy-{i}.db"))
                   for i in range(3)]
    finally:
        stop.set()
        thread.join()
    assert all(r.exit_code == 0 for r in results), [r.output for r in results]
    for i in range(3):
        copy = tmp_path / f"copy-{i}.db"
        with closing(sqlite3.connect(copy)) as conn:
            batches = conn.execute("SELECT batch, count(*) FROM probe GROUP BY batch").fetchall()
        assert {n for _batch, n in batches} == {10}
        assert len(batches) >= before
        assert names_in(copy) == ["Anna"]
    assert len(committed) > before  # the writer really went on during the backups


def test_backup_refuses_to_overwrite_without_force(sqlite_app, tmp_path):
    target = tmp_path / "copy.db"
    target.write_bytes(b"an older backup")
    refused = invoke(sqlite_app, "backup", str(target))
    assert refused.exit_code != 0 and "--force" in refused.output
    assert target.read_bytes() == b"an older backup"
    add_users("Anna")
    forced = invoke(sqlite_app, "backup", str(target), "--force")
    assert forced.exit_code == 0, forced.output
    assert names_in(target) == ["Anna"]


def test_backup_and_restore_refuse_postgresql(tmp_path):
    # No connection is made: the URL alone tells the backend.
    app = create_app(_test_config("postgresql+psycopg://forras@127.0.0.1:1/forras"))
    with app.app_context():
        for args in (["backup", str(tmp_path / "copy.db")],
                     ["restore", "--yes", str(tmp_path / "copy.db")]):
            if args[0] == "restore":
                (tmp_path / "copy.db").write_bytes(b"")
            result = invoke(app, *args)
            assert result.exit_code != 0 and "pg_dump" in result.output, result.output
        _db.engine.dispose()


def test_backup_of_the_suites_database(app, db, make_user, tmp_path):
    """On PostgreSQL (TEST_DATABASE_URL) the command points to pg_dump; on SQLite it copies."""
    make_user(full_name="Anna")
    result = invoke(app, "backup", str(tmp_path / "copy.db"))
    if db.engine.dialect.name == "postgresql":
        assert result.exit_code != 0 and "pg_dump" in result.output
        assert not (tmp_path / "copy.db").exists()
    else:
        assert result.exit_code == 0, result.output
        assert names_in(tmp_path / "copy.db") == ["Anna"]


def test_restore_round_trip_keeps_the_replaced_database(sqlite_app, tmp_path):
    add_users("Anna", "Béla")
    backup = tmp_path / "backup.db"
    assert invoke(sqlite_app, "backup", str(backup)).exit_code == 0
    add_users("Csaba")
    _db.session.execute(sa.update(User).where(User.full_name == "Anna")
                        .values(full_name="Anna (changed)"))
    _db.session.commit()

    result = invoke(sqlite_app, "restore", "--yes", str(backup))

    assert result.exit_code == 0, result.output
    assert "Restored" in result.output and "integrity check ok" in result.output
    _db.session.remove()
    assert sorted(_db.session.scalars(sa.select(User.full_name))) == ["Anna", "Béla"]
    kept = list(tmp_path.glob("forras.db.before-restore-*"))
    assert len(kept) == 1 and str(kept[0]) in result.output
    assert names_in(kept[0]) == ["Anna (changed)", "Béla", "Csaba"]
    # The application goes on writing to the restored database.
    add_users("Dóra")
    assert names_in(tmp_path / "forras.db") == ["Anna", "Béla", "Dóra"]


def test_restore_asks_and_changes_nothing_when_told_no(sqlite_app, tmp_path):
    add_users("Anna")
    backup = tmp_path / "backup.db"
    assert invoke(sqlite_app, "backup", str(backup)).exit_code == 0
    add_users("Béla")
    result = invoke(sqlite_app, "restore", str(backup), input="n\n")
    assert result.exit_code != 0 and "Nothing was changed" in result.output
    assert "The server must be stopped" in result.output
    assert names_in(tmp_path / "forras.db") == ["Anna", "Béla"]
    assert not list(tmp_path.glob("forras.db.before-restore-*"))


@pytest.mark.parametrize("content, reason", [
    (b"not a database at all, just some bytes" * 200, "not a sound SQLite database"),
    (None, "no alembic_version table"),
])
def test_restore_refuses_a_file_that_is_not_a_sound_backup(sqlite_app, tmp_path, content,
                                                           reason):
    add_users("Anna")
    bad = tmp_path / "bad.db"
    if content is None:  # a sound SQLite file, but not one of ours
        with closing(sqlite3.connect(bad)) as conn:
            conn.execute("CREATE TABLE user (full_name TEXT)")
            conn.commit()
    else:
        bad.write_bytes(content)
    result = invoke(sqlite_app, "restore", "--yes", str(bad))
    assert result.exit_code != 0 and reason in result.output, result.output
    assert names_in(tmp_path / "forras.db") == ["Anna"]
    assert not list(tmp_path.glob("forras.db.before-restore-*"))


def test_backup_takes_the_signed_sheets_kept_in_a_directory(sqlite_app, tmp_path):
    quiet = invoke(sqlite_app, "backup", str(tmp_path / "copy.db"))
    assert quiet.exit_code == 0 and "signed sign-in sheet" not in quiet.output
    folder = tmp_path / "sheets"
    sqlite_app.config["SIGNED_SHEET_DIR"] = str(folder)
    scans = [store_blob(tiny_pdf(width), "application/pdf") for width in (200, 300)]
    _db.session.commit()
    told = invoke(sqlite_app, "backup", str(tmp_path / "copy-2.db"))
    assert told.exit_code == 0, told.output
    kept = tmp_path / "copy-2.db.signed-sheets"
    assert f"2 signed sign-in sheets copied to {kept}" in told.output
    assert sorted(p.name for p in kept.iterdir()) == sorted(b.sha256 for b in scans)
    for blob in scans:
        assert hashlib.sha256((kept / blob.sha256).read_bytes()).hexdigest() == blob.sha256

    # The directory loses a scan; the restore of the backup puts it back.
    lost = folder / scans[0].sha256
    lost.chmod(0o644)
    lost.unlink()
    restored = invoke(sqlite_app, "restore", "--yes", str(tmp_path / "copy-2.db"))
    assert restored.exit_code == 0, restored.output
    assert f"1 signed sign-in sheet copied to {folder}" in restored.output
    assert hashlib.sha256(lost.read_bytes()).hexdigest() == scans[0].sha256


def test_backup_names_a_scan_missing_or_altered_in_the_directory(sqlite_app, tmp_path):
    folder = tmp_path / "sheets"
    sqlite_app.config["SIGNED_SHEET_DIR"] = str(folder)
    scans = [store_blob(tiny_pdf(width), "application/pdf") for width in (200, 300)]
    _db.session.commit()
    altered = folder / scans[1].sha256
    altered.chmod(0o644)
    altered.write_bytes(b"%PDF-1.4 not what was signed")
    result = invoke(sqlite_app, "backup", str(tmp_path / "copy.db"))
    assert result.exit_code == 0, result.output
    assert "1 signed sign-in sheet copied" in result.output
    assert f"was not copied: {scans[1].sha256}" in result.output
    assert not (tmp_path / "copy.db.signed-sheets" / scans[1].sha256).exists()

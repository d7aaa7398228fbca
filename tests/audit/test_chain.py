"""The audit log is hash-chained: `flask audit verify` accepts an untouched log and
names the first entry altered, removed or moved; concurrent writers never fork it."""

import threading

import sqlalchemy as sa

from lms.audit.chain import GENESIS, entry_hash, verify_chain
from lms.audit.models import AuditEntry
from lms.courses import services as courses
from lms.extensions import db as _db

ENTRIES = AuditEntry.__table__


def verify(app):
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    return result.exit_code, result.output


def chained(db) -> list[AuditEntry]:
    db.session.expire_all()
    entries = list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)))
    db.session.expunge_all()  # plain values, whatever the test does to the rows next
    return entries


def some_entries(make_user, how_many: int = 5) -> None:
    for _ in range(how_many):
        make_user()


def test_each_committed_entry_gets_the_next_number_and_a_link_to_the_one_before(
        db, make_user):
    some_entries(make_user)
    entries = chained(db)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    previous = GENESIS
    for entry in entries:
        assert len(entry.hash) == 64 and entry.hash == entry_hash(
            {c: getattr(entry, c) for c in ("seq", "at", "actor_id", "action", "event", "entity",
                                            "entity_id", "label", "changes", "reason",
                                            "endpoint")}, previous)
        previous = entry.hash


def test_an_untouched_log_verifies_with_its_count_and_head(app, db, make_user):
    some_entries(make_user)
    entries = chained(db)
    code, output = verify(app)
    assert code == 0
    assert "OK" in output and f"{len(entries)} entries" in output
    assert entries[-1].hash in output


def test_an_empty_log_verifies(app):
    code, output = verify(app)
    assert code == 0 and "0 entries" in output and GENESIS in output


def test_a_changed_value_is_named(app, db, make_user):
    some_entries(make_user)
    victim = chained(db)[2]
    with db.engine.begin() as conn:
        conn.execute(ENTRIES.update().where(ENTRIES.c.id == victim.id)
                     .values(changes={"full_name": [None, "Someone Else"]}))
    code, output = verify(app)
    assert code == 1
    assert f"entry {victim.seq} (record id {victim.id}) was altered" in output
    assert f"up to entry {victim.seq - 1}" in output


def test_a_changed_actor_or_moment_is_named_too(app, db, make_user):
    some_entries(make_user)
    victim = chained(db)[1]
    with db.engine.begin() as conn:
        conn.execute(ENTRIES.update().where(ENTRIES.c.id == victim.id)
                     .values(at=victim.at.replace(year=2020)))
    code, output = verify(app)
    assert code == 1 and f"entry {victim.seq} (record id {victim.id}) was altered" in output


def test_a_removed_entry_is_named(app, db, make_user):
    some_entries(make_user)
    victim = chained(db)[2]
    with db.engine.begin() as conn:
        conn.execute(ENTRIES.delete().where(ENTRIES.c.id == victim.id))
    code, output = verify(app)
    assert code == 1 and f"entry {victim.seq} is missing" in output


def test_a_removed_entry_with_the_rest_renumbered_is_still_found(app, db, make_user):
    some_entries(make_user)
    entries = chained(db)
    victim = entries[2]
    with db.engine.begin() as conn:
        conn.execute(ENTRIES.delete().where(ENTRIES.c.id == victim.id))
        for entry in entries[3:]:  # close the gap, one by one (seq is unique)
            conn.execute(ENTRIES.update().where(ENTRIES.c.id == entry.id)
                         .values(seq=entry.seq - 1))
    code, output = verify(app)
    assert code == 1
    assert f"entry {victim.seq} (record id {entries[3].id}) was altered or moved" in output


def test_two_entries_swapped_are_named(app, db, make_user):
    some_entries(make_user)
    first, second = chained(db)[1:3]
    with db.engine.begin() as conn:
        conn.execute(ENTRIES.update().where(ENTRIES.c.id == first.id).values(seq=-1))
        conn.execute(ENTRIES.update().where(ENTRIES.c.id == second.id).values(seq=first.seq))
        conn.execute(ENTRIES.update().where(ENTRIES.c.id == first.id).values(seq=second.seq))
    code, output = verify(app)
    assert code == 1
    assert f"entry {first.seq} (record id {second.id}) was altered or moved" in output


def test_the_chain_recomputed_from_an_altered_entry_on_verifies(app, db, make_user):
    """What the chain cannot prove alone: someone who rewrites every hash from the
    altered entry on gets a log that verifies, with another head (README)."""
    some_entries(make_user)
    entries = chained(db)
    head_before = entries[-1].hash
    with db.engine.begin() as conn:
        conn.execute(ENTRIES.update().where(ENTRIES.c.id == entries[1].id)
                     .values(label="forged"))
        conn.execute(ENTRIES.update().values(hash=None, seq=None))
    with db.engine.begin() as conn:
        from lms.audit.chain import chain_pending
        chain_pending(conn)
    code, output = verify(app)
    assert code == 0 and head_before not in output


def test_an_entry_committed_outside_the_chain_is_named(app, db, make_user):
    some_entries(make_user, 2)
    with db.engine.begin() as conn:
        conn.execute(ENTRIES.insert().values(at=chained(db)[0].at, action="update",
                                             entity="Run", label="", changes={},
                                             endpoint="", event="", reason=""))
        loose = conn.scalar(sa.select(sa.func.max(ENTRIES.c.id)))
    code, output = verify(app)
    assert code == 1 and f"record id {loose} was committed outside the chain" in output


def test_a_rolled_back_change_leaves_no_entry_and_no_gap(app, db, make_user):
    some_entries(make_user, 2)
    make_user().full_name = "Rolled Back"
    db.session.flush()
    db.session.rollback()
    some_entries(make_user, 1)
    assert verify(app)[0] == 0
    assert "Rolled Back" not in str([e.changes for e in chained(db)])


def test_writers_committing_at_once_make_one_line(app, db, make_user):
    """Each writer has written its entries and waits for the others before committing,
    so their commits meet at the head (on SQLite the second waits at its first write)."""
    some_entries(make_user, 1)
    writers, errors = 4, []
    meeting = threading.Barrier(writers, timeout=2)

    def write(number: int) -> None:
        try:
            with app.app_context():
                courses.save_centre(
                    None, name=f"Race centre {number}", city=f"Town {number}", region="R",
                    country="HU", address="", signatory_name="", signatory_title="",
                    serial_prefix=f"RC{chr(65 + number)}", active=True)
                _db.session.flush()
                try:
                    meeting.wait()
                except threading.BrokenBarrierError:
                    pass  # SQLite: another writer holds the database until it commits
                _db.session.commit()
                _db.session.remove()
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    entries = chained(db)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert {e.label for e in entries if e.entity == "Centre"} == {
        f"Race centre {n}" for n in range(writers)}
    with db.engine.connect() as conn:
        assert verify_chain(conn).ok

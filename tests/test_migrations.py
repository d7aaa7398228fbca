"""The migrations build exactly the schema the models describe."""

from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, stamp, upgrade

from lms.auth.models import User
from lms.db import compared_with_models
from lms.enrolment.models import Enrolment


def _reset(db):
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


def test_models_and_migrations_agree(app, db):
    _reset(db)
    try:
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "include_object": compared_with_models})
            diff = compare_metadata(context, db.metadata)
        assert diff == []
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert set(db.metadata.tables) <= set(sa.inspect(db.engine).get_table_names())
    finally:
        # Leave the schema as the rest of the suite expects it.
        _reset(db)
        db.create_all()
        stamp()


def _filler(column: sa.Column):
    """A value a NOT NULL column accepts, for a row the test does not care about."""
    kind = getattr(column.type, "impl", column.type)  # UTCDateTime: a DateTime
    if isinstance(kind, sa.Enum):
        return kind.enums[0]
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer | sa.Numeric):
        return 1
    if isinstance(kind, sa.DateTime):
        return datetime(2027, 1, 1, 12)
    if isinstance(kind, sa.Date):
        return date(2027, 1, 1)
    if isinstance(kind, sa.Time):
        return time(9)
    return f"{column.table.name}-{column.name}"[: getattr(kind, "length", None) or 100]


def _insert_as_before(db, conn, name: str, **values) -> None:
    """A row written as the code before the migration wrote it: naive moments."""
    table = db.metadata.tables[name]
    for column in table.columns:
        if column.name not in values and not column.nullable and column.server_default is None:
            values[column.name] = _filler(column)
    raw = sa.table(name, *(sa.column(key) for key in values))
    conn.execute(sa.insert(raw).values(**values))


def test_existing_moments_become_aware_utc_and_local_enrolment_times_are_converted(app, db):
    """Enrolments' created/waitlisted/cancelled were Budapest wall-clock times, every
    other moment UTC already."""
    _reset(db)
    try:
        upgrade(revision="5c1e0a7b9d21")
        with db.engine.begin() as conn:
            _insert_as_before(db, conn, "centre", id=1, time_zone="Europe/Budapest")
            _insert_as_before(db, conn, "course", id=1)
            _insert_as_before(db, conn, "user", id=1, email="kiss@example.org")
            _insert_as_before(db, conn, "run", id=1, course_id=1, centre_id=1, capacity=5)
            _insert_as_before(
                db,
                conn,
                "enrolment",
                id=1,
                run_id=1,
                user_id=1,
                state="waitlisted",
                created_at=datetime(2027, 7, 1, 12, 0),  # summer: UTC+2
                waitlisted_at=datetime(2027, 1, 15, 12, 0),  # winter: UTC+1
                cancelled_at=datetime(2027, 10, 31, 2, 30),  # the repeated hour
                updated_at=datetime(2027, 7, 1, 10, 0),  # UTC already
            )
        upgrade()
        db.session.remove()
        enrolment = db.session.get(Enrolment, 1)
        assert enrolment.created_at == datetime(2027, 7, 1, 10, 0, tzinfo=UTC)
        assert enrolment.waitlisted_at == datetime(2027, 1, 15, 11, 0, tzinfo=UTC)
        # Read with the standard offset on both databases (PostgreSQL's AT TIME ZONE).
        assert enrolment.cancelled_at == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
        assert enrolment.updated_at == datetime(2027, 7, 1, 10, 0, tzinfo=UTC)
        assert db.session.get(User, 1).created_at == datetime(2027, 1, 1, 12, tzinfo=UTC)
        db.session.remove()

        downgrade(revision="5c1e0a7b9d21")
        with db.engine.connect() as conn:
            row = conn.execute(
                sa.text("SELECT created_at, updated_at FROM enrolment WHERE id = 1")
            ).one()
        assert [_naive(value) for value in row] == [
            datetime(2027, 7, 1, 12, 0),
            datetime(2027, 7, 1, 10, 0),
        ]
    finally:
        db.session.remove()
        _reset(db)
        db.create_all()
        stamp()


def _naive(value) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def test_the_log_written_before_the_chain_is_chained_in_the_order_it_was_written(app, db):
    from lms.audit.chain import verify_chain
    from lms.audit.models import AuditEntry
    from lms.clock import UTCDateTime

    _reset(db)
    try:
        upgrade(revision="7a4f2c9e1b30")
        old = sa.table("audit_entry", sa.column("id"), sa.column("at", UTCDateTime()),
                       sa.column("action"), sa.column("entity"), sa.column("entity_id"),
                       sa.column("label"), sa.column("changes", sa.JSON),
                       sa.column("endpoint"))
        with db.engine.begin() as conn:
            for number in (3, 1, 2):  # written in id order, whatever the insert order
                conn.execute(old.insert().values(
                    id=number, at=datetime(2027, 1, number, 12, tzinfo=UTC), action="update",
                    entity="Run", entity_id=number, label="", endpoint="",
                    changes={"capacity": [number, number + 1]}))
        upgrade()
        with db.engine.connect() as conn:
            verdict = verify_chain(conn)
            rows = conn.execute(sa.select(AuditEntry.id, AuditEntry.seq, AuditEntry.reason)
                                .order_by(AuditEntry.id)).all()
        assert verdict.ok and verdict.count == 3
        assert [tuple(row) for row in rows] == [(1, 1, ""), (2, 2, ""), (3, 3, "")]
        downgrade(revision="7a4f2c9e1b30")
        with db.engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(*) FROM audit_entry")) == 3
    finally:
        db.session.remove()
        _reset(db)
        db.create_all()
        stamp()


def test_runs_get_their_first_and_last_days_from_their_sessions(app, db):
    _reset(db)
    try:
        upgrade(revision="399fada0a250")
        with db.engine.begin() as conn:
            _insert_as_before(db, conn, "centre", id=1, time_zone="Europe/Sofia")
            _insert_as_before(db, conn, "course", id=1)
            for run_id in (1, 2):
                _insert_as_before(db, conn, "run", id=run_id, course_id=1, centre_id=1,
                                  capacity=5)
            sessions = db.metadata.tables["session"]  # unchanged by the migration
            for n, day in enumerate((date(2027, 5, 3), date(2027, 4, 28), date(2027, 6, 1))):
                conn.execute(sa.insert(sessions).values(
                    id=n + 1, run_id=1, date=day, starts_at=time(9), ends_at=time(15),
                    minutes=360, topic="", room="", sequence=0))
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT id, first_day, last_day FROM run ORDER BY id")
            ).all()
        assert [(id_, _day(first), _day(last)) for id_, first, last in rows] == [
            (1, date(2027, 4, 28), date(2027, 6, 1)),
            (2, None, None),  # no sessions yet
        ]
    finally:
        db.session.remove()
        _reset(db)
        db.create_all()
        stamp()


def _day(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def test_export_jobs_may_make_evidence_packs_and_the_way_back_keeps_them(app, db):
    _reset(db)
    try:
        upgrade(revision="a7d3c5e91f02")
        with db.engine.begin() as conn:
            _insert_as_before(db, conn, "user", id=1)
        job = {"kind": "evidence_pack", "parameters": "{}", "requested_by_id": 1,
               "state": "queued", "progress_done": 0, "progress_total": 0, "attempts": 0,
               "worker": "", "filename": "", "media_type": "", "stored_as": "",
               "sha256": "", "error": "", "created_at": datetime(2027, 1, 1, 12)}
        insert = sa.text(f"INSERT INTO export_job ({', '.join(job)}) "
                         f"VALUES ({', '.join(':' + key for key in job)})")
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            conn.execute(insert, job)  # not a kind before the migration
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(insert, job)
        with pytest.raises(SystemExit):  # Flask-Migrate logs the refusal and exits
            downgrade(revision="a7d3c5e91f02")
        with db.engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(*) FROM export_job")) == 1
    finally:
        db.session.remove()
        _reset(db)
        db.create_all()
        stamp()

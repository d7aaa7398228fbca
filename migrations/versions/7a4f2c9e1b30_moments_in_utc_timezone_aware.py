"""moments in UTC, timezone-aware

Every stored moment becomes TIMESTAMP WITH TIME ZONE on PostgreSQL (SQLite keeps
UTC text; the application reads both back as aware UTC datetimes).

Until now three enrolment moments (created, waitlisted, cancelled) were written in
the wall-clock time of the one configured zone (LMS_TIMEZONE, Europe/Budapest by
default) while every other moment was UTC: they are converted to UTC here. A local
time in the autumn's repeated hour (or the spring's skipped one) is read with the
zone's standard offset, as PostgreSQL's AT TIME ZONE does, so both databases
convert it alike.

Revision ID: 7a4f2c9e1b30
Revises: 5c1e0a7b9d21
Create Date: 2026-12-04 12:10:00

"""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from flask import current_app, has_app_context


# revision identifiers, used by Alembic.
revision = '7a4f2c9e1b30'
down_revision = '5c1e0a7b9d21'
branch_labels = None
depends_on = None

MOMENTS = {
    'centre': ['created_at'],
    'course': ['created_at'],
    'user': ['created_at', 'last_login_at', 'email_confirmed_at', 'confirmation_sent_at'],
    'audit_entry': ['at'],
    'notification': ['created_at', 'seen_at', 'sent_at', 'next_attempt_at', 'claimed_until'],
    'run': ['published_at', 'cancelled_at', 'closed_at', 'created_at'],
    'user_session': ['created_at', 'last_seen_at', 'ended_at'],
    'enrolment': ['waitlisted_at', 'created_at', 'updated_at', 'cancelled_at'],
    'session': ['updated_at'],
    'trainer_assignment': ['removed_at'],
    'attendance_mark': ['marked_at'],
    'certificate': ['issued_at', 'revoked_at'],
    'enrolment_event': ['at'],
    'attendance_change': ['changed_at'],
}
# Written in local time by the enrolment services until this revision.
LOCAL = {('enrolment', 'created_at'), ('enrolment', 'waitlisted_at'),
         ('enrolment', 'cancelled_at')}
BATCH = 1000


def _old_zone() -> str:
    name = current_app.config.get('BABEL_DEFAULT_TIMEZONE') if has_app_context() else None
    return name or 'Europe/Budapest'


def _postgres(to_aware: bool) -> None:
    zone = _old_zone().replace("'", "")
    for table, columns in MOMENTS.items():
        for column in columns:
            source = zone if (table, column) in LOCAL else 'UTC'
            kind = 'TIMESTAMP WITH TIME ZONE' if to_aware else 'TIMESTAMP WITHOUT TIME ZONE'
            op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE {kind} '
                       f'USING "{column}" AT TIME ZONE \'{source}\'')


def _standard_reading(local: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time at `zone`; where it is ambiguous or skipped, with the smaller
    (standard-time) offset, which is PostgreSQL's reading."""
    readings = (local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1))
    return min(readings, key=lambda reading: reading.utcoffset())


def _sqlite_local_columns(to_utc: bool) -> None:
    """Rewrite the local-time enrolment moments, in batches, by keyset on id."""
    zone = ZoneInfo(_old_zone())
    columns = sorted(column for table, column in LOCAL)
    bind = op.get_bind()
    table = sa.table('enrolment', sa.column('id', sa.Integer),
                     *(sa.column(c, sa.DateTime()) for c in columns))
    last = 0
    while True:
        rows = bind.execute(sa.select(table).where(table.c.id > last)
                            .order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            return
        for row in rows:
            values = {}
            for column in columns:
                value = getattr(row, column)
                if value is None:
                    continue
                if to_utc:
                    value = _standard_reading(value, zone).astimezone(UTC)
                else:
                    value = value.replace(tzinfo=UTC).astimezone(zone)
                values[column] = value.replace(tzinfo=None)
            if values:
                bind.execute(table.update().where(table.c.id == row.id).values(**values))
        last = rows[-1].id


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        _postgres(to_aware=True)
    else:
        _sqlite_local_columns(to_utc=True)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        _postgres(to_aware=False)
    else:
        _sqlite_local_columns(to_utc=False)

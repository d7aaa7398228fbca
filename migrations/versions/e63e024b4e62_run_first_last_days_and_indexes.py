"""run first and last days, and indexes for lists that must not grow with history

`run.first_day` and `run.last_day`: the dates of a run's first and last sessions
(wall clock at its centre), backfilled from the sessions here and kept by the
session services from now on; `ix_run_status_last_day` finds the catalogue's
upcoming runs without reading every session. `ix_certificate_supersedes_id`: the
verification page looks up the certificate that replaced one.

Revision ID: e63e024b4e62
Revises: b442cf0be821
Create Date: 2026-12-05 07:52:04

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e63e024b4e62'
down_revision = 'b442cf0be821'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_supersedes_id'), ['supersedes_id'],
                              unique=False)

    with op.batch_alter_table('run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_day', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('last_day', sa.Date(), nullable=True))
        batch_op.create_index('ix_run_status_last_day', ['status', 'last_day'], unique=False)

    run = sa.table('run', sa.column('id'), sa.column('first_day'), sa.column('last_day'))
    session = sa.table('session', sa.column('run_id'), sa.column('date'))
    of_run = session.c.run_id == run.c.id
    op.execute(
        run.update().values(
            first_day=sa.select(sa.func.min(session.c.date)).where(of_run).scalar_subquery(),
            last_day=sa.select(sa.func.max(session.c.date)).where(of_run).scalar_subquery(),
        )
    )


def downgrade():
    # Not in batch mode: SQLite (3.35+) drops a column in place, where a batch would copy
    # the table and drop the old one, which the rows pointing at runs forbid.
    op.drop_index('ix_run_status_last_day', table_name='run')
    op.drop_column('run', 'last_day')
    op.drop_column('run', 'first_day')

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_supersedes_id'))

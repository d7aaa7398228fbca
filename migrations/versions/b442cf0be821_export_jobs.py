"""export jobs

Large exports made by the job worker (`flask jobs work --loop N`): what was asked, by
whom, its state, progress, lease and attempts, and where its file is (under
EXPORT_DIR; the row stays after the file expires).

Revision ID: b442cf0be821
Revises: 7c85a788bdde
Create Date: 2026-12-05 07:50:55.199189

"""
import sqlalchemy as sa
from alembic import op

from lms.clock import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'b442cf0be821'
down_revision = '7c85a788bdde'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('export_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('audit_csv', 'registers_zip', 'bulk_print', name='export_job_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', 'expired', name='export_job_state', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_until', UTCDateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('worker', sa.String(length=100), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('stored_as', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('error', sa.String(length=1000), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_export_job_centre_id_centre')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_export_job_requested_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_job'))
    )
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_job_requested_by_id'), ['requested_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_job_state'), ['state'], unique=False)



def downgrade():
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_job_state'))
        batch_op.drop_index(batch_op.f('ix_export_job_requested_by_id'))

    op.drop_table('export_job')

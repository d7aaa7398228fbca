"""privacy requests: a person's access, erasure and rectification requests (GDPR)

Revision ID: c4f1a9e2b7d3
Revises: a7c3e9d15f20
Create Date: 2026-12-05 17:00:00

"""
import sqlalchemy as sa
from alembic import op

from lms.clock import UTCDateTime

# revision identifiers, used by Alembic.
revision = 'c4f1a9e2b7d3'
down_revision = 'a7c3e9d15f20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('privacy_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('access', 'erasure', 'rectification', name='privacy_request_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('state', sa.Enum('received', 'in_progress', 'done', 'refused', name='privacy_request_state', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('received_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('details', sa.String(length=2000), nullable=False),
    sa.Column('outcome', sa.String(length=2000), nullable=False),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('handled_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('retain_until', sa.Date(), nullable=True),
    sa.Column('pseudonymised_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['handled_by_id'], ['user.id'], name=op.f('fk_privacy_request_handled_by_id_user')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_privacy_request_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_request'))
    )
    with op.batch_alter_table('privacy_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_request_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_privacy_request_state_due_on', ['state', 'due_on'], unique=False)


def downgrade():
    with op.batch_alter_table('privacy_request', schema=None) as batch_op:
        batch_op.drop_index('ix_privacy_request_state_due_on')
        batch_op.drop_index(batch_op.f('ix_privacy_request_user_id'))
    op.drop_table('privacy_request')

"""session sequence, user time zone and calendar feed key

A session's SEQUENCE (and when it last changed) for calendars; the zone a user
reads moments in; the secret of their calendar subscription.

Revision ID: 5c1e0a7b9d21
Revises: dc7cd1f34c53
Create Date: 2026-12-04 11:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1e0a7b9d21'
down_revision = 'dc7cd1f34c53'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=False), server_default=sa.func.current_timestamp(), nullable=False))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('calendar_key', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('calendar_key')
        batch_op.drop_column('time_zone')
    with op.batch_alter_table('session', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
        batch_op.drop_column('sequence')

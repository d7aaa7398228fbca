"""the user's register number and training period (accredited training in Hungary)

`user.register_number`: the number in the operational register of social
professionals ("működési nyilvántartási szám"); `user.training_period_start` and
`user.training_period_end`: the person's current continuing-training period.

Revision ID: 5e2b7c41d9a8
Revises: 9881cb7fec0e
Create Date: 2026-12-05 13:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5e2b7c41d9a8'
down_revision = '9881cb7fec0e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('register_number', sa.String(length=30), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('training_period_start', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('training_period_end', sa.Date(), nullable=True))


def downgrade():
    # Not in batch mode: SQLite (3.35+) drops a column in place, where a batch would copy
    # the table and drop the old one, which the rows pointing at users forbid.
    op.drop_column('user', 'training_period_end')
    op.drop_column('user', 'training_period_start')
    op.drop_column('user', 'register_number')

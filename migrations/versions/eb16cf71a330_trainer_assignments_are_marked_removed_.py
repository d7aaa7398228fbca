"""trainer assignments are marked removed, not deleted

Taking a trainer off a run keeps the assignment with when and by whom.

Revision ID: eb16cf71a330
Revises: b55df5720d19
Create Date: 2026-11-24 09:37:02.233298

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'eb16cf71a330'
down_revision = 'b55df5720d19'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('trainer_assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('removed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_trainer_assignment_removed_by_id_user'), 'user', ['removed_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('trainer_assignment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_trainer_assignment_removed_by_id_user'), type_='foreignkey')
        batch_op.drop_column('removed_by_id')
        batch_op.drop_column('removed_at')

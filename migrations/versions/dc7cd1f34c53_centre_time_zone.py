"""centre time zone

Each centre's sessions are wall-clock times in its own zone: Bulgarian centres
get Europe/Sofia, every other one Europe/Budapest (the zone used for all until now).

Revision ID: dc7cd1f34c53
Revises: 0e75996161d4
Create Date: 2026-11-25 12:13:44.888958

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'dc7cd1f34c53'
down_revision = '0e75996161d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('centre', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), server_default='Europe/Budapest', nullable=False))
    centre = sa.table('centre', sa.column('country', sa.String), sa.column('time_zone', sa.String))
    op.execute(centre.update().where(centre.c.country == 'BG').values(time_zone='Europe/Sofia'))


def downgrade():
    with op.batch_alter_table('centre', schema=None) as batch_op:
        batch_op.drop_column('time_zone')

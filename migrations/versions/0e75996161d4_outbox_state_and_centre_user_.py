"""outbox state and centre; user confirmation_sent_at

Existing messages get their state from what the outbox already knew: sent when
sent_at is set, failing when tried before, else waiting.

Revision ID: 0e75996161d4
Revises: 80fd174c909e
Create Date: 2026-11-25 09:14:26.865640

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0e75996161d4'
down_revision = '80fd174c909e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('centre_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('state', sa.Enum('waiting', 'failing', 'sent', 'no_server', name='outbox_state', native_enum=False, create_constraint=True, length=20), server_default='waiting', nullable=False))
        batch_op.create_index(batch_op.f('ix_notification_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_state'), ['state'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notification_centre_id_centre'), 'centre', ['centre_id'], ['id'])

    notification = sa.table('notification', sa.column('state', sa.String), sa.column('sent_at'),
                            sa.column('attempts', sa.Integer))
    op.execute(notification.update().where(notification.c.sent_at.isnot(None))
               .values(state='sent'))
    op.execute(notification.update().where(notification.c.sent_at.is_(None),
                                           notification.c.attempts > 0)
               .values(state='failing'))

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmation_sent_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('confirmation_sent_at')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notification_centre_id_centre'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notification_state'))
        batch_op.drop_index(batch_op.f('ix_notification_centre_id'))
        batch_op.drop_constraint(batch_op.f('ck_notification_outbox_state'), type_='check')
        batch_op.drop_column('state')
        batch_op.drop_column('centre_id')


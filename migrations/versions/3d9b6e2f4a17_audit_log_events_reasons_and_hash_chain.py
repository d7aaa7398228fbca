"""audit log: events, reasons and the hash chain

Entries gain the event they record (a login, an export...: action "event"), the
reason given for a change, and their place in the log's hash chain (`seq`, `hash`;
lms/audit/chain.py). The entries already there are chained in the order they were
written (by id), a batch at a time, with the same function the application uses,
so `flask audit verify` accepts them.

Revision ID: 3d9b6e2f4a17
Revises: 7a4f2c9e1b30
Create Date: 2027-03-10 10:00:00

"""
import sqlalchemy as sa
from alembic import op

from lms.audit.chain import chain_pending, lock_chain

# revision identifiers, used by Alembic.
revision = '3d9b6e2f4a17'
down_revision = '7a4f2c9e1b30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('reason', sa.String(length=1000), server_default='', nullable=False))
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_audit_entry_seq'), ['seq'])
    connection = op.get_bind()
    lock_chain(connection)
    chain_pending(connection)


def downgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_entry_seq'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('seq')
        batch_op.drop_column('reason')
        batch_op.drop_column('event')

"""people: indexes for the list in name order and, on PostgreSQL, a trigram search

`ix_user_full_name_id` and `ix_user_role_full_name_id` give the People page (and the
trainers a run may get) a page of names without sorting every account.
`ix_user_search_trgm` (PostgreSQL only, with the pg_trgm extension) lets the search
over name, e-mail and organisation (`lms.paging.matching_all`: one regular
expression per word over the three columns joined by spaces) read only the rows
whose trigrams can match instead of every account. The expression must stay the
one `matching_all` builds, or PostgreSQL no longer uses the index.

Revision ID: a7d3c5e91f02
Revises: 4b7d2e9c1a58
Create Date: 2026-12-05 12:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7d3c5e91f02'
down_revision = '4b7d2e9c1a58'
branch_labels = None
depends_on = None

SEARCHED = "(full_name || ' ' || email || ' ' || organisation)"


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index('ix_user_full_name_id', ['full_name', 'id'], unique=False)
        batch_op.create_index('ix_user_role_full_name_id', ['role', 'full_name', 'id'],
                              unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute(f'CREATE INDEX ix_user_search_trgm ON "user" USING gin '
                   f'({SEARCHED} gin_trgm_ops)')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_user_search_trgm')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index('ix_user_role_full_name_id')
        batch_op.drop_index('ix_user_full_name_id')

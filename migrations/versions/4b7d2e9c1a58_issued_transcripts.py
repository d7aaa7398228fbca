"""issued transcripts

A trainee's transcript as issued: its verification code, issue day and moment,
language, the facts it states (a JSON snapshot of the valid certificates of that
day) and the PDF with its SHA-256. Rows are never updated or deleted.

Revision ID: 4b7d2e9c1a58
Revises: e63e024b4e62
Create Date: 2026-12-05 12:40:00

"""
import sqlalchemy as sa
from alembic import op

from lms.clock import UTCDateTime


# revision identifiers, used by Alembic.
revision = '4b7d2e9c1a58'
down_revision = 'e63e024b4e62'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('transcript',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('verification_code', sa.String(length=64), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('issued_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_transcript_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transcript')),
    sa.UniqueConstraint('verification_code', name=op.f('uq_transcript_verification_code'))
    )
    with op.batch_alter_table('transcript', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transcript_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('transcript', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transcript_user_id'))

    op.drop_table('transcript')

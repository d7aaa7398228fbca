"""signed sign-in sheets

The scans of signed sign-in sheets (`signed_sheet`, one current per session: a
replacement marks the old row replaced, with a reason) and the bytes they point to,
stored once by SHA-256 (`document_blob`; `content` is NULL when SIGNED_SHEET_DIR
keeps the bytes as files).

Revision ID: 399fada0a250
Revises: 3d9b6e2f4a17
Create Date: 2026-12-04 16:58:42

"""
import sqlalchemy as sa
from alembic import op

from lms.clock import UTCDateTime

# revision identifiers, used by Alembic.
revision = '399fada0a250'
down_revision = '3d9b6e2f4a17'
branch_labels = None
depends_on = None

CURRENT = sa.text('replaced_at IS NULL')


def upgrade():
    op.create_table('document_blob',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_document_blob'))
    )
    op.create_table('signed_sheet',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('blob_sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('replaced_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.Column('replace_reason', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['blob_sha256'], ['document_blob.sha256'], name=op.f('fk_signed_sheet_blob_sha256_document_blob')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['user.id'], name=op.f('fk_signed_sheet_replaced_by_id_user')),
    sa.ForeignKeyConstraint(['session_id'], ['session.id'], name=op.f('fk_signed_sheet_session_id_session')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_signed_sheet_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signed_sheet'))
    )
    with op.batch_alter_table('signed_sheet', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signed_sheet_session_id'), ['session_id'], unique=False)
        batch_op.create_index('uq_signed_sheet_current', ['session_id'], unique=True,
                              sqlite_where=CURRENT, postgresql_where=CURRENT)


def downgrade():
    with op.batch_alter_table('signed_sheet', schema=None) as batch_op:
        batch_op.drop_index('uq_signed_sheet_current', sqlite_where=CURRENT,
                            postgresql_where=CURRENT)
        batch_op.drop_index(batch_op.f('ix_signed_sheet_session_id'))

    op.drop_table('signed_sheet')
    op.drop_table('document_blob')

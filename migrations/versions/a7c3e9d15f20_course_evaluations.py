"""course evaluations: templates per course format and invitations per enrolment

`survey.template_for`: "long" or "short" on the evaluation a run's evaluation is
copied from when the run closes; `evaluation_invitation`: a trainee invited to
their run's evaluation (personal answer key, when reminded, whether answered).

Revision ID: a7c3e9d15f20
Revises: 5e2b7c41d9a8
Create Date: 2026-12-05 16:30:00

"""
import sqlalchemy as sa
from alembic import op

from lms.clock import UTCDateTime

# revision identifiers, used by Alembic.
revision = 'a7c3e9d15f20'
down_revision = '5e2b7c41d9a8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template_for', sa.String(length=10), nullable=True))

    op.create_table('evaluation_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('answer_key', sa.String(length=64), nullable=False),
    sa.Column('invited_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('reminded_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolment.id'], name=op.f('fk_evaluation_invitation_enrolment_id_enrolment')),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_evaluation_invitation_survey_id_survey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_invitation')),
    sa.UniqueConstraint('answer_key', name=op.f('uq_evaluation_invitation_answer_key')),
    sa.UniqueConstraint('enrolment_id', name=op.f('uq_evaluation_invitation_enrolment_id'))
    )
    with op.batch_alter_table('evaluation_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_invitation_survey_id'), ['survey_id'], unique=False)


def downgrade():
    with op.batch_alter_table('evaluation_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_invitation_survey_id'))
    op.drop_table('evaluation_invitation')
    op.drop_column('survey', 'template_for')

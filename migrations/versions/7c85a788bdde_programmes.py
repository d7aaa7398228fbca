"""funding programmes and participant data

`programme` (code, funder, period, acknowledgement per language, targets), the run's
`programme_id` (at most one programme a run), and `participant_data`: the ESF+
indicator answers given at enrolment in a programme's run, one row per enrolment.

Revision ID: 7c85a788bdde
Revises: 399fada0a250
Create Date: 2026-12-05 08:19:15.295479

"""
import sqlalchemy as sa
from alembic import op

from lms.clock import UTCDateTime


# revision identifiers, used by Alembic.
revision = '7c85a788bdde'
down_revision = '399fada0a250'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('programme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('funder', sa.String(length=300), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('acknowledgement_hu', sa.String(length=1000), nullable=False),
    sa.Column('acknowledgement_bg', sa.String(length=1000), nullable=False),
    sa.Column('acknowledgement_en', sa.String(length=1000), nullable=False),
    sa.Column('asks_participant_data', sa.Boolean(), nullable=False),
    sa.Column('target_participants', sa.Integer(), nullable=True),
    sa.Column('target_completions', sa.Integer(), nullable=True),
    sa.Column('target_hours', sa.Integer(), nullable=True),
    sa.Column('target_long_runs', sa.Integer(), nullable=True),
    sa.Column('target_short_runs', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme')),
    sa.UniqueConstraint('code', name=op.f('uq_programme_code'))
    )
    op.create_table('participant_data',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('gender', sa.Enum('female', 'male', 'non_binary', 'undisclosed', name='participant_gender', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=False),
    sa.Column('labour_status', sa.Enum('employed', 'unemployed', 'long_term_unemployed', 'inactive', name='participant_labour_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('education', sa.Enum('isced_0_2', 'isced_3_4', 'isced_5_8', name='participant_education', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('sensitive_consent', sa.Boolean(), nullable=False),
    sa.Column('consent_text', sa.String(length=2000), nullable=False),
    sa.Column('consent_language', sa.String(length=5), nullable=False),
    sa.Column('consent_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('disability', sa.Enum('yes', 'no', 'undisclosed', name='disability_answer', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('foreign_background', sa.Enum('yes', 'no', 'undisclosed', name='foreign_background_answer', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('minority', sa.Enum('yes', 'no', 'undisclosed', name='minority_answer', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('homeless', sa.Enum('yes', 'no', 'undisclosed', name='homeless_answer', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('rural', sa.Enum('yes', 'no', 'undisclosed', name='rural_answer', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('answered_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('birth_year BETWEEN 1900 AND 2200', name=op.f('ck_participant_data_birth_year_range')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolment.id'], name=op.f('fk_participant_data_enrolment_id_enrolment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant_data')),
    sa.UniqueConstraint('enrolment_id', name=op.f('uq_participant_data_enrolment_id'))
    )
    with op.batch_alter_table('run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('programme_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_run_programme_id'), ['programme_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_run_programme_id_programme'), 'programme', ['programme_id'], ['id'])



def downgrade():
    with op.batch_alter_table('run', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_run_programme_id_programme'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_run_programme_id'))
        batch_op.drop_column('programme_id')

    op.drop_table('participant_data')
    op.drop_table('programme')

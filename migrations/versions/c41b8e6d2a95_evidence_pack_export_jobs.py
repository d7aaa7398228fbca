"""export jobs may make a run's evidence pack

`export_job.kind` accepts `evidence_pack`: the run page asks the job worker for the
pack (seconds of work for a long run) instead of making it in the request.

Revision ID: c41b8e6d2a95
Revises: a7d3c5e91f02
Create Date: 2026-12-05 13:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c41b8e6d2a95'
down_revision = 'a7d3c5e91f02'
branch_labels = None
depends_on = None

BEFORE = ('audit_csv', 'registers_zip', 'bulk_print')
AFTER = (*BEFORE, 'evidence_pack')


def _kinds(kinds) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def upgrade():
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_export_job_export_job_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_export_job_export_job_kind'),
                                         _kinds(AFTER))


def downgrade():
    # Who exported what is never deleted: with evidence pack jobs on record, stay here.
    made = op.get_bind().scalar(sa.text(
        "SELECT count(*) FROM export_job WHERE kind = 'evidence_pack'"))
    if made:
        raise RuntimeError(f"{made} evidence pack export jobs are on record: they would "
                           "break the older schema's rule, and are kept.")
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_export_job_export_job_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_export_job_export_job_kind'),
                                         _kinds(BEFORE))

"""index: the latest change of any firm (a kept white-list export is valid while it is unchanged; without the
index every download scanned all firms)

Revision ID: 0014_pagesB
Revises: 0013_imp15
Create Date: 2026-12-01
"""
from alembic import op

revision = '0014_pagesB'
down_revision = '0013_imp15'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('firm', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firm_updated_at'), ['updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('firm', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firm_updated_at'))

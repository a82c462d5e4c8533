"""figure_cache: figures computed once (the dashboard's day totals, the bulletins' platform figures) and shared
by every process serving the database, each valid while its stamp holds; firm (updated_at) for that stamp

Revision ID: 0014_pagesA
Revises: 0013_imp15
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_pagesA'
down_revision = '0013_imp15'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'figure_cache',
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('stamp', sa.String(length=64), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_figure_cache')),
    )
    with op.batch_alter_table('firm', schema=None) as batch_op:  # the latest change of a firm, in the stamp
        batch_op.create_index(batch_op.f('ix_firm_updated_at'), ['updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('firm', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firm_updated_at'))
    op.drop_table('figure_cache')

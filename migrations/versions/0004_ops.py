"""history states up to 32 characters (resolved_not_funded did not fit in 16 on PostgreSQL)

Revision ID: 0004_ops
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0004_ops'
down_revision = '0006_sessions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('history') as batch:
        batch.alter_column('from_state', existing_type=sa.String(length=16), type_=sa.String(length=32),
                           existing_nullable=True)
        batch.alter_column('to_state', existing_type=sa.String(length=16), type_=sa.String(length=32),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('history') as batch:
        batch.alter_column('to_state', existing_type=sa.String(length=32), type_=sa.String(length=16),
                           existing_nullable=False)
        batch.alter_column('from_state', existing_type=sa.String(length=32), type_=sa.String(length=16),
                           existing_nullable=True)

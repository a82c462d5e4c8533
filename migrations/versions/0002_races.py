"""history states wide enough for every state (resolved_not_funded is 19 characters)

Revision ID: 0002_races
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0002_races'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.alter_column('from_state', existing_type=sa.String(length=16), type_=sa.String(length=32),
                              existing_nullable=True)
        batch_op.alter_column('to_state', existing_type=sa.String(length=16), type_=sa.String(length=32),
                              existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.alter_column('to_state', existing_type=sa.String(length=32), type_=sa.String(length=16),
                              existing_nullable=False)
        batch_op.alter_column('from_state', existing_type=sa.String(length=32), type_=sa.String(length=16),
                              existing_nullable=True)

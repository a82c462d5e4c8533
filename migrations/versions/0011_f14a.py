"""bank_base: the base-period figures (2020 年末 industrial and total loans per bank) the district enters, from which
the three-year goals and the growth since the base are measured

Revision ID: 0011_f14a
Revises: 0010_perf13
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_f14a'
down_revision = '0010_perf13'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'bank_base',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('bank_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('industrial_loans', sa.BigInteger(), nullable=False),
        sa.Column('loans', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['bank_id'], ['bank.id'], name=op.f('fk_bank_base_bank_id_bank')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'],
                                name=op.f('fk_bank_base_updated_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_base')),
        sa.UniqueConstraint('bank_id', 'month', name=op.f('uq_bank_base_bank_id')),
    )
    with op.batch_alter_table('bank_base', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_base_bank_id'), ['bank_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bank_base', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_base_bank_id'))
    op.drop_table('bank_base')

"""firm portrait: consent given on a request (授权查询) and the log of bank views of a portrait

Revision ID: 0009_portrait17
Revises: 0008_api
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_portrait17'
down_revision = '0009_jobs15'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('portrait_consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_portrait_consent_firm_id_firm')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['user_account.id'], name=op.f('fk_portrait_consent_granted_by_id_user_account')),
    sa.ForeignKeyConstraint(['request_id'], ['financing_request.id'], name=op.f('fk_portrait_consent_request_id_financing_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portrait_consent')),
    sa.UniqueConstraint('request_id', name=op.f('uq_portrait_consent_request_id'))
    )
    with op.batch_alter_table('portrait_consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portrait_consent_firm_id'), ['firm_id'], unique=False)

    op.create_table('portrait_view',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('viewed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['bank.id'], name=op.f('fk_portrait_view_bank_id_bank')),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_portrait_view_firm_id_firm')),
    sa.ForeignKeyConstraint(['request_id'], ['financing_request.id'], name=op.f('fk_portrait_view_request_id_financing_request'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_portrait_view_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portrait_view'))
    )
    with op.batch_alter_table('portrait_view', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portrait_view_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_portrait_view_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_portrait_view_viewed_at'), ['viewed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('portrait_view', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portrait_view_viewed_at'))
        batch_op.drop_index(batch_op.f('ix_portrait_view_firm_id'))
        batch_op.drop_index(batch_op.f('ix_portrait_view_bank_id'))
    op.drop_table('portrait_view')
    with op.batch_alter_table('portrait_consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portrait_consent_firm_id'))
    op.drop_table('portrait_consent')

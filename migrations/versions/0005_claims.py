"""firm claims, claim codes, township moves, and field changes in the history

Revision ID: 0005_claims
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0005_claims"
down_revision = "0007_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('firm_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=True),
    sa.Column('contact_person', sa.String(length=50), nullable=False),
    sa.Column('contact_phone', sa.String(length=30), nullable=False),
    sa.Column('licence_file', sa.String(length=64), nullable=True),
    sa.Column('licence_type', sa.String(length=32), nullable=True),
    sa.Column('licence_size', sa.Integer(), nullable=True),
    sa.Column('via_code', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_firm_claim_firm_id_firm')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user_account.id'], name=op.f('fk_firm_claim_reviewer_id_user_account')),
    sa.ForeignKeyConstraint(['township_id'], ['township.id'], name=op.f('fk_firm_claim_township_id_township')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_firm_claim_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firm_claim'))
    )
    op.create_index(op.f('ix_firm_claim_firm_id'), 'firm_claim', ['firm_id'], unique=False)
    op.create_index(op.f('ix_firm_claim_state'), 'firm_claim', ['state'], unique=False)
    op.create_index(op.f('ix_firm_claim_user_id'), 'firm_claim', ['user_id'], unique=False)
    op.create_table('township_move',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('from_township_id', sa.Integer(), nullable=True),
    sa.Column('to_township_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_township_move_firm_id_firm')),
    sa.ForeignKeyConstraint(['from_township_id'], ['township.id'], name=op.f('fk_township_move_from_township_id_township')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_township_move_requested_by_id_user_account')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user_account.id'], name=op.f('fk_township_move_reviewer_id_user_account')),
    sa.ForeignKeyConstraint(['to_township_id'], ['township.id'], name=op.f('fk_township_move_to_township_id_township')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_township_move'))
    )
    op.create_index(op.f('ix_township_move_firm_id'), 'township_move', ['firm_id'], unique=False)
    op.create_index(op.f('ix_township_move_state'), 'township_move', ['state'], unique=False)
    op.create_index(op.f('ix_township_move_to_township_id'), 'township_move', ['to_township_id'], unique=False)
    op.create_table('claim_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['firm_claim.id'], name=op.f('fk_claim_code_claim_id_firm_claim')),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_claim_code_firm_id_firm')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user_account.id'], name=op.f('fk_claim_code_issued_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_code')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_claim_code_code_hash'))
    )
    op.create_index(op.f('ix_claim_code_firm_id'), 'claim_code', ['firm_id'], unique=False)
    op.add_column('history', sa.Column('field', sa.String(length=64), nullable=True))
    op.add_column('history', sa.Column('old_value', sa.Text(), nullable=True))
    op.add_column('history', sa.Column('new_value', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_column('new_value')
        batch_op.drop_column('old_value')
        batch_op.drop_column('field')
    op.drop_index(op.f('ix_claim_code_firm_id'), table_name='claim_code')
    op.drop_table('claim_code')
    op.drop_index(op.f('ix_township_move_to_township_id'), table_name='township_move')
    op.drop_index(op.f('ix_township_move_state'), table_name='township_move')
    op.drop_index(op.f('ix_township_move_firm_id'), table_name='township_move')
    op.drop_table('township_move')
    op.drop_index(op.f('ix_firm_claim_user_id'), table_name='firm_claim')
    op.drop_index(op.f('ix_firm_claim_state'), table_name='firm_claim')
    op.drop_index(op.f('ix_firm_claim_firm_id'), table_name='firm_claim')
    op.drop_table('firm_claim')

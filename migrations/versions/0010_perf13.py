"""indexes: leads routed in a period (the bulletins' figures scanned every lead), the report reminders of a month
(/reports/status scanned every notice), requests latest first (the township's home page sorted all its open
requests), a white list in file order (its page sorted the whole batch)

Revision ID: 0010_perf13
Revises: 0009_ledgers18
Create Date: 2026-11-30
"""
from alembic import op

revision = '0010_perf13'
down_revision = '0009_ledgers18'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('financing_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_financing_request_updated_at'), ['updated_at'], unique=False)

    with op.batch_alter_table('whitelist_entry', schema=None) as batch_op:
        batch_op.create_index('ix_whitelist_entry_batch_row', ['batch_id', 'row_no'], unique=False)

    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.create_index('ix_lead_created_at', ['created_at'], unique=False)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_kind_link', ['kind', 'link'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_kind_link')

    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_created_at')

    with op.batch_alter_table('whitelist_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_whitelist_entry_batch_row')

    with op.batch_alter_table('financing_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_financing_request_updated_at'))

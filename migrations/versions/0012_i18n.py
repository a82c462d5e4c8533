"""i18n: the language a user chose (user_account.locale; NULL until chosen, then the cookie and Accept-Language
decide)

Revision ID: 0012_i18n
Revises: 0011_f14a
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_i18n'
down_revision = '0011_f14a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('locale')

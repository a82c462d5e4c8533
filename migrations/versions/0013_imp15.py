"""staged white-list rows in a table (whitelist_import_row) instead of one JSON value on the import: a
250,000-row file is written, paged and committed in chunks; rows of previews still open are moved over

Revision ID: 0013_imp15
Revises: 0012_i18n
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0013_imp15'
down_revision = '0012_i18n'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
COLUMNS = ("row", "decision", "chosen", "status", "method")


def upgrade() -> None:
    imports = sa.table('whitelist_import', sa.column('id', sa.Integer), sa.column('state', sa.String),
                       sa.column('rows', JSON))
    bind = op.get_bind()
    staged = bind.execute(sa.select(imports.c.id, imports.c.rows).where(
        imports.c.state.in_(("preview", "committing")))).all()
    # the column goes first: on SQLite the batch copy drops the old table, which would cascade to the new one
    with op.batch_alter_table('whitelist_import', schema=None) as batch_op:
        batch_op.drop_column('rows')
    rows = op.create_table(
        'whitelist_import_row',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('row_no', sa.Integer(), nullable=False),
        sa.Column('decision', sa.String(length=8), nullable=False),
        sa.Column('chosen', sa.String(length=16), nullable=True),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('method', sa.String(length=8), nullable=False),
        sa.Column('data', JSON, nullable=False),
        sa.ForeignKeyConstraint(['import_id'], ['whitelist_import.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_whitelist_import_row_import_row', 'whitelist_import_row', ['import_id', 'row_no'])
    for import_id, staged_rows in staged:
        values = [{"import_id": import_id, "row_no": r["row"], "decision": r["decision"],
                   "chosen": None if r.get("chosen") is None else str(r["chosen"]), "status": r.get("status") or "add",
                   "method": r.get("method") or "", "data": {k: v for k, v in r.items() if k not in COLUMNS}} for r in staged_rows or []]
        if values:
            bind.execute(rows.insert(), values)


def downgrade() -> None:
    op.drop_index('ix_whitelist_import_row_import_row', table_name='whitelist_import_row')
    op.drop_table('whitelist_import_row')  # staged previews are lost: they are to be uploaded again
    with op.batch_alter_table('whitelist_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rows', JSON, nullable=True))

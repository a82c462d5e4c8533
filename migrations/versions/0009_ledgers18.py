"""tamper-evident history (hash chain columns, audit_check, append-only triggers); the district's instruments
and their ledgers

Revision ID: 0009_ledgers18
Revises: 0008_api
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0009_ledgers18'
down_revision = '0009_portrait17'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def _chain_columns(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('chain_txn', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f(f'ix_{table}_chain_seq'), ['chain_seq'], unique=True)
        batch_op.create_index(batch_op.f(f'ix_{table}_chain_txn'), ['chain_txn'], unique=False)


def _seal_and_protect(table: str) -> None:
    """Chain the rows already there (in id order), then refuse UPDATE and DELETE of sealed rows."""
    from matchmaker.domain.core import audit_chain
    from matchmaker.models.chain import trigger_ddl

    bind = op.get_bind()
    reflected = sa.Table(table, sa.MetaData(), autoload_with=bind)
    rows = bind.execute(sa.select(reflected).order_by(reflected.c.id)).mappings().all()
    audit_chain.seal_rows(bind, reflected, rows)
    for statement in trigger_ddl(table, bind.dialect.name):
        op.execute(statement)


def upgrade() -> None:
    _chain_columns('history')
    _seal_and_protect('history')
    op.create_table('audit_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('heads', JSON, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_check'))
    )
    with op.batch_alter_table('audit_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_check_checked_at'), ['checked_at'], unique=False)

    op.create_table('instrument',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('capital', sa.BigInteger(), nullable=False),
    sa.Column('leverage', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('fee_rate_pct', sa.Numeric(precision=6, scale=3), nullable=True),
    sa.Column('max_days', sa.Integer(), nullable=True),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instrument')),
    sa.UniqueConstraint('code', name=op.f('uq_instrument_code'))
    )
    with op.batch_alter_table('instrument', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instrument_kind'), ['kind'], unique=False)

    op.create_table('ledger_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('firm_id', sa.Integer(), nullable=True),
    sa.Column('bank_id', sa.Integer(), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('fee', sa.BigInteger(), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('term_days', sa.Integer(), nullable=True),
    sa.Column('stage', sa.String(length=16), nullable=True),
    sa.Column('parties', JSON, nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('chain_seq', sa.BigInteger(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=True),
    sa.Column('row_hash', sa.String(length=64), nullable=True),
    sa.Column('chain_txn', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['instrument_id'], ['instrument.id'], name=op.f('fk_ledger_entry_instrument_id_instrument')),
    sa.ForeignKeyConstraint(['case_id'], ['ledger_entry.id'], name=op.f('fk_ledger_entry_case_id_ledger_entry')),
    sa.ForeignKeyConstraint(['corrects_id'], ['ledger_entry.id'], name=op.f('fk_ledger_entry_corrects_id_ledger_entry')),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_ledger_entry_firm_id_firm')),
    sa.ForeignKeyConstraint(['bank_id'], ['bank.id'], name=op.f('fk_ledger_entry_bank_id_bank')),
    sa.ForeignKeyConstraint(['request_id'], ['financing_request.id'], name=op.f('fk_ledger_entry_request_id_financing_request')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_ledger_entry_referral_id_referral')),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_ledger_entry_actor_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entry'))
    )
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        for column in ('instrument_id', 'event', 'case_id', 'firm_id', 'bank_id', 'request_id', 'referral_id',
                       'on_date', 'chain_txn'):
            batch_op.create_index(batch_op.f(f'ix_ledger_entry_{column}'), [column], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entry_chain_seq'), ['chain_seq'], unique=True)
    from matchmaker.models.chain import trigger_ddl

    for statement in trigger_ddl('ledger_entry', op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table('ledger_entry')
    with op.batch_alter_table('instrument', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instrument_kind'))
    op.drop_table('instrument')
    with op.batch_alter_table('audit_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_check_checked_at'))
    op.drop_table('audit_check')
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS history_append_only ON history')
    else:
        op.execute('DROP TRIGGER IF EXISTS history_no_update')
        op.execute('DROP TRIGGER IF EXISTS history_no_delete')
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_history_chain_txn'))
        batch_op.drop_index(batch_op.f('ix_history_chain_seq'))
        batch_op.drop_column('chain_txn')
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('chain_seq')

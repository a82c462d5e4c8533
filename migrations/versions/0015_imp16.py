"""whitelist_import_row: the row's values as columns (name, uscc, township, industry, project, amount, remark,
firm, score, matched name, note) instead of inside its JSON `data`, which keeps the rest (additional columns,
candidates, changes); staged rows already there are moved over

Revision ID: 0015_imp16
Revises: 0014_pagesA
Create Date: 2026-12-01
"""
import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0015_imp16'
down_revision = '0014_pagesA'
branch_labels = None
depends_on = None

TEXT = ('name', 'uscc', 'industry', 'project_name', 'investment_wan', 'remark', 'matched_name', 'note')
INTEGER = ('township_id', 'firm_id')
VALUES = (*TEXT, *INTEGER, 'score')
JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def _decoded(data):
    if data is None:
        return {}
    return json.loads(data) if isinstance(data, str) else dict(data)


def upgrade() -> None:
    with op.batch_alter_table('whitelist_import_row', schema=None) as batch_op:
        for name in TEXT:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=True))
        for name in INTEGER:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('score', sa.Float(), nullable=True))
    bind = op.get_bind()
    table = sa.table('whitelist_import_row', sa.column('id', sa.Integer()), sa.column('data', JSON),
                     *(sa.column(name) for name in VALUES))
    raw = sa.type_coerce(table.c.data, sa.Text())
    last = 0
    while True:  # a chunk at a time: a staged preview may hold hundreds of thousands of rows
        found = bind.execute(sa.select(table.c.id, raw.label('data')).where(table.c.id > last)
                             .order_by(table.c.id).limit(5000)).all()
        if not found:
            break
        last = found[-1].id
        updates = []
        for row_id, data in found:
            rest = _decoded(data)
            values = {name: rest.pop(name, None) for name in VALUES}
            updates.append({'b_id': row_id, 'data': rest, **{f'v_{k}': v for k, v in values.items()}})
        bind.execute(sa.update(table).where(table.c.id == sa.bindparam('b_id'))
                     .values(data=sa.bindparam('data', type_=JSON),
                             **{name: sa.bindparam(f'v_{name}') for name in VALUES}), updates)


def downgrade() -> None:
    bind = op.get_bind()
    table = sa.table('whitelist_import_row', sa.column('id', sa.Integer()), sa.column('data', JSON),
                     *(sa.column(name) for name in VALUES))
    raw = sa.type_coerce(table.c.data, sa.Text())
    last = 0
    while True:
        found = bind.execute(sa.select(table.c.id, raw.label('data'), *(table.c[n] for n in VALUES))
                             .where(table.c.id > last).order_by(table.c.id).limit(5000)).all()
        if not found:
            break
        last = found[-1].id
        bind.execute(sa.update(table).where(table.c.id == sa.bindparam('b_id'))
                     .values(data=sa.bindparam('data', type_=JSON)),
                     [{'b_id': r.id, 'data': {**{n: getattr(r, n) for n in VALUES}, **_decoded(r.data)}}
                      for r in found])
    with op.batch_alter_table('whitelist_import_row', schema=None) as batch_op:
        for name in reversed(VALUES):
            batch_op.drop_column(name)

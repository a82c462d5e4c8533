"""Who sees which rows: the role-by-role filter behind the `visible_*` queries."""
from __future__ import annotations

from sqlalchemy import Select

from ...models import User


def visible_to(actor: User, query: Select, id_column, *, township=None, enterprise=None, bank=None) -> Select:
    """`query` narrowed to what `actor` may see: the district everything; a township official, a firm's user or a
    bank user the rows of the clause given for that side; anyone else (or a side with no clause) nothing
    (`id_column`: the listed model's id)."""
    if actor.role == "district":
        return query
    clause = {"township": township, "enterprise": enterprise}.get(actor.role)
    if actor.is_bank:
        clause = bank
    return query.where(clause if clause is not None else id_column.is_(None))

"""Verified tax credit grades (纳税信用等级, 核验): the grade each firm has on the newest active tax list, for
routing and product rules; a firm missing from that list keeps its self-declared grade (自报)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models.whitelists import WhiteListBatch, WhiteListEntry
from .kinds import GRADE_KEY, grade_of


def current_tax_batch(session: Session) -> WhiteListBatch | None:
    return session.scalar(select(WhiteListBatch).where(WhiteListBatch.kind == "tax_credit",
                                                       WhiteListBatch.state == "active")
                          .order_by(WhiteListBatch.label.desc(), WhiteListBatch.id.desc()).limit(1))


def verified_grades(session: Session, firm_ids: list[int] | None = None) -> dict[int, str]:
    """firm id -> grade on the newest active tax list (of `firm_ids`, or every firm when None)."""
    if firm_ids is not None and not firm_ids:
        return {}
    batch = current_tax_batch(session)
    if batch is None:
        return {}
    query = select(WhiteListEntry.firm_id, WhiteListEntry.extra).where(WhiteListEntry.batch_id == batch.id)
    if firm_ids is not None and len(firm_ids) <= 500:
        query = query.where(WhiteListEntry.firm_id.in_(firm_ids))
    wanted = set(firm_ids) if firm_ids is not None else None
    grades = {}
    for firm_id, extra in session.execute(query):
        grade = grade_of((extra or {}).get(GRADE_KEY, "")) if isinstance(extra, dict) else None
        if grade and (wanted is None or firm_id in wanted):
            grades[firm_id] = grade
    return grades

"""The history of changes to records that have no state machine (firm data, products, weights, users,
invitations): one History row per changed field (old → new), and one row per creation or removal."""
from __future__ import annotations

import json
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import History, User, utcnow

CHANGED = "changed"

# Field names as a reviewer reads them; a field not listed is shown by its name.
FIELD_LABELS = {
    "name": "名称", "uscc": "统一社会信用代码", "township": "所属镇街", "industry": "行业", "size": "规模",
    "founded_year": "成立年份", "has_bank_loan": "曾获银行贷款", "tax_credit_grade": "纳税信用等级",
    "existing_bank_debt": "现有银行贷款（元）", "contact_person": "联系人", "contact_phone": "联系电话",
    "address": "地址", "description": "主营业务简介", "bank": "银行", "kind_code": "产品类别",
    "min_amount": "最低额度（元）", "max_amount": "最高额度（元）", "min_term_months": "最短期限（月）",
    "max_term_months": "最长期限（月）", "collateral": "担保方式", "first_loan_only": "仅限首贷",
    "active": "启用", "rate_note": "利率说明", "rules": "准入规则", "role": "角色", "username": "用户名",
    "firm": "企业", "display_name": "姓名",
}


def as_text(value) -> str | None:
    """A value as the history shows it: None stays None, booleans 是/否, lists and dicts as JSON."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _row(actor: User | None, entity: str, entity_id: int, to_state: str, **values) -> dict:
    return {"entity": entity, "entity_id": entity_id, "actor_id": actor.id if actor is not None else None,
            "actor_role": actor.role if actor is not None else "system", "at": utcnow(), "to_state": to_state,
            **values}


def record_changes(session: Session, actor: User | None, entity: str, entity_id: int, old: Mapping,
                   new: Mapping, note: str = "") -> list[History]:
    """Write one History row for each field whose value differs between `old` and `new`; nothing if none did."""
    rows = []
    for key in sorted(set(old) | set(new)):
        before, after = as_text(old.get(key)), as_text(new.get(key))
        if before != after:
            rows.append(History(**_row(actor, entity, entity_id, CHANGED, field=key, old_value=before,
                                       new_value=after, note=note)))
    session.add_all(rows)
    return rows


def record_event(session: Session, actor: User | None, entity: str, entity_id: int, to_state: str,
                 note: str = "", from_state: str | None = None) -> History:
    """One History row for something that happened to a record as a whole (created, removed, claimed…)."""
    row = History(**_row(actor, entity, entity_id, to_state, from_state=from_state, note=note))
    session.add(row)
    return row


def history_of(session: Session, entity: str, entity_id: int) -> list[History]:
    """A record's history, oldest first."""
    return list(session.scalars(select(History).where(History.entity == entity, History.entity_id == entity_id)
                                .order_by(History.at, History.id)))

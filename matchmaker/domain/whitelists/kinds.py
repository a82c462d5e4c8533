"""What some list kinds add to the common white-list columns: the tax bureau's 纳税信用等级 list carries a grade
(A/B/M/C/D) per firm, and the 链主供应商 list names each supplier's chain leader, who must be on the current
链主企业 list. `checking` asks this registry which extra columns a kind requires and runs the kind's row check;
the checked value is kept in the entry's `extra` under the column's Chinese name, so the batch machinery
(preview, all-or-nothing commit, undo) needs nothing new."""
from __future__ import annotations

import unicodedata
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Firm
from ...models.whitelists import WhiteListBatch, WhiteListEntry
from ...text import N_
from ..firms.entity_resolution import name_key

GRADES = ("A", "B", "M", "C", "D")  # the tax bureau's grades, best first
EXTRA_FIELDS = {"grade": N_("纳税信用等级"), "chain_leader": N_("链主企业")}
EXTRA_SYNONYMS = {
    "grade": ["纳税信用等级", "信用等级", "纳税信用级别", "纳税信用评价结果", "评价结果", "评定等级", "信用级别", "等级",
              "纳税信用等级评价结果", "评价等级"],
    "chain_leader": ["链主企业", "链主", "所属链主", "所属链主企业", "链主企业名称", "配套链主", "核心企业", "链主单位"],
}
REQUIRED = {"tax_credit": ("grade",), "chain_supplier": ("chain_leader",)}
GRADE_KEY, LEADER_KEY = EXTRA_FIELDS["grade"], EXTRA_FIELDS["chain_leader"]  # keys in WhiteListEntry.extra


def required_fields(kind: str) -> list[str]:
    return list(REQUIRED.get(kind, ()))


def grade_of(text: str) -> str | None:
    """'A' / 'a级' / 'Ａ' -> 'A'; None when it is not one of the five grades."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip().upper().removesuffix("级").strip()
    return cleaned if cleaned in GRADES else None


def current_leaders(session: Session) -> dict[str, tuple[int, str]]:
    """Firms on the newest active 链主企业 batch, by USCC and by name key (file spelling and registered name)."""
    batch_id = session.scalar(select(WhiteListBatch.id).where(WhiteListBatch.kind == "chain_leader",
                                                              WhiteListBatch.state == "active")
                              .order_by(WhiteListBatch.label.desc(), WhiteListBatch.id.desc()).limit(1))
    if batch_id is None:
        return {}
    found: dict[str, tuple[int, str]] = {}
    for firm_id, written, name, uscc in session.execute(
            select(WhiteListEntry.firm_id, WhiteListEntry.written_name, Firm.name, Firm.uscc)
            .join(Firm, Firm.id == WhiteListEntry.firm_id).where(WhiteListEntry.batch_id == batch_id)):
        for key in (name_key(written), name_key(name), uscc):
            if key:
                found[key] = (firm_id, name)
    return found


def row_checker(session: Session, kind: str) -> Callable[[dict, dict], list[tuple]]:
    """A function (row, texts by field) -> errors as (row, field, msgid, value, params) that checks and keeps this kind's
    extra columns; columns the kind does not use are kept as additional information, never dropped."""
    wanted = set(REQUIRED.get(kind, ()))
    leaders = current_leaders(session) if "chain_leader" in wanted else {}

    def check(row: dict, texts: dict) -> list[tuple]:
        errors = []
        for fld, label in EXTRA_FIELDS.items():
            text = texts.get(fld, "")
            if fld not in wanted:
                if text:
                    row["extra"][label] = text
                continue
            if not text:
                errors.append((row["row"], fld, N_("不能为空"), "", {}))
            elif fld == "grade":
                grade = grade_of(text)
                if grade is None:
                    errors.append((row["row"], fld, N_("“%(text)s”不是纳税信用等级：应为 A、B、M、C、D 之一"), text,
                                   {"text": text}))
                else:
                    row["extra"][label] = grade
            elif fld == "chain_leader":
                leader = leaders.get(name_key(text)) or leaders.get(text.upper())
                if leader is None:
                    errors.append((row["row"], fld, N_("“%(text)s”不在现行链主企业名单中：请先导入链主企业名单，"
                                                       "或核对链主企业名称"), text, {"text": text}))
                else:
                    row["extra"][label] = leader[1]
        return errors
    return check

"""Ledger entries: open a case (a guarantee issued, bridge money drawn, an investment, a 投保贷 deal, a risk
compensation claim, an annual reward) and follow it (released, compensated, recovered, repaid, overdue, exited,
reviewed, paid). Capacity is checked in the same transaction with the instrument's row locked, so concurrent
issues never exceed it; every entry is chained (append-only): a mistake is reversed by a new entry."""
from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session

from ...models import FinancingRequest, Referral, User, utcnow
from ...models.ledgers import FUND_STAGES, LEDGER_EVENTS, OPENING_EVENTS, Instrument, LedgerEntry
from ..core import locking
from ..core.errors import Conflict, DomainError, NotFound

# How an event moves the instrument's money in use (+ out, − back); compensation leaves the guarantee but the
# money is spent (counted in the compensation rate), recovery brings part of it back.
IN_USE = {"issued": 1, "released": -1, "compensated": -1, "drawn": 1, "repaid": -1, "invested": 1, "exited": -1,
          "paid": 1, "reward": 1}
FOLLOWS = {"released": "issued", "compensated": "issued", "recovered": "issued", "repaid": "drawn",
           "overdue": "drawn", "exited": "invested", "reviewed": "claimed", "rejected": "claimed", "paid": "claimed"}
MAX_AMOUNT = 10 * 100_000_000_00  # 100 亿元: far above any instrument


def signed_in_use():
    return case(*[(LedgerEntry.event == e, LedgerEntry.amount * s) for e, s in IN_USE.items()], else_=0)


# Built once: asked at every issue and follow-up, and the CASE over the events costs more to build than to run.
_IN_USE_SUM = select(func.coalesce(func.sum(signed_in_use()), 0))
_IN_USE = _IN_USE_SUM.where(LedgerEntry.instrument_id == bindparam("instrument_id"))
_CASE_OUTSTANDING = _IN_USE_SUM.where((LedgerEntry.case_id == bindparam("case_id"))
                                      | (LedgerEntry.id == bindparam("case_id")))
_CASE_SUM = (select(func.coalesce(func.sum(LedgerEntry.amount), 0))
             .where(LedgerEntry.case_id == bindparam("case_id"), LedgerEntry.event == bindparam("event")))


def in_use(session: Session, instrument_id: int) -> int:
    return int(session.scalar(_IN_USE, {"instrument_id": instrument_id}) or 0)


def case_outstanding(session: Session, case_id: int) -> int:
    """What is still out on a case (guarantee in force, bridge money not repaid, investment not exited)."""
    return int(session.scalar(_CASE_OUTSTANDING, {"case_id": case_id}) or 0)


def _sum(session: Session, case_id: int, event: str) -> int:
    return int(session.scalar(_CASE_SUM, {"case_id": case_id, "event": event}) or 0)


def _wan(yuan: int) -> str:
    """元 as 万元 with two decimals, for a message ("1,234.50")."""
    return f"{yuan / 10_000:,.2f}"


def _check_amount(amount: int, field: str = "amount") -> int:
    if amount is None or amount <= 0:
        raise DomainError("金额必须大于0", field=field)
    if amount > MAX_AMOUNT:
        raise DomainError("金额超出范围", field=field)
    return int(amount)


def open_case(session: Session, actor: User | None, instrument: Instrument, event: str, amount: int,
              on_date: date, *, firm_id: int | None = None, bank_id: int | None = None,
              request_id: int | None = None, referral_id: int | None = None, fee: int | None = None,
              term_days: int | None = None, stage: str | None = None, parties: list | None = None,
              note: str = "") -> LedgerEntry:
    """Open a case on `instrument`; refused if it would take the instrument past its capacity."""
    if event not in OPENING_EVENTS or event not in LEDGER_EVENTS.get(instrument.kind, {}):
        raise DomainError("该政策工具不能登记“%(event)s”", field="event", event=event)
    amount = _check_amount(amount)
    if stage is not None and stage not in FUND_STAGES:
        raise DomainError("请选择投资阶段", field="stage")
    if term_days is not None and not (0 < term_days <= 3650):
        raise DomainError("期限须在 1–3650 天之间", field="term_days")
    if instrument.max_days and term_days and term_days > instrument.max_days:
        raise DomainError("单笔最长 %(days)s 天", field="term_days", days=instrument.max_days)
    if parties is not None:
        total = sum(p.get("share_pct", 0) for p in parties)
        if {p.get("role") for p in parties} != {"bank", "guarantor", "investor", "firm"} or total != 100:
            raise DomainError("投保贷须列明银行、担保、创投、企业四方，份额合计 100%", field="parties")
    locking.lock(session, instrument)  # the capacity check and the entry in one transaction, one at a time
    if not instrument.active:
        raise Conflict("%(name)s已停用", name=instrument.name)
    if IN_USE.get(event, 0) > 0 and instrument.capacity:
        used = in_use(session, instrument.id)
        if used + amount > instrument.capacity:
            raise Conflict("%(name)s额度不足：在用 %(used)s 万元，可用 %(available)s 万元，本笔 %(amount)s 万元",
                           field="amount", name=instrument.name, used=_wan(used),
                           available=_wan(instrument.capacity - used), amount=_wan(amount))
    if fee is None:
        fee = default_fee(instrument, amount, term_days)
    entry = LedgerEntry(instrument_id=instrument.id, event=event, firm_id=firm_id, bank_id=bank_id,
                        request_id=request_id, referral_id=referral_id, amount=amount, fee=fee, on_date=on_date,
                        term_days=term_days, stage=stage, parties=parties, note=note,
                        actor_id=actor.id if actor else None, at=utcnow())
    session.add(entry)
    session.flush()
    return entry


def default_fee(instrument: Instrument, amount: int, term_days: int | None) -> int:
    if not instrument.fee_rate_pct:
        return 0
    rate = instrument.fee_rate_pct / 100
    if instrument.kind == "bridge":
        return int(amount * rate * (term_days or 1))
    return int(amount * rate * (term_days or 365) / 365)


def follow(session: Session, actor: User | None, case_id: int, event: str, amount: int, on_date: date,
           note: str = "") -> LedgerEntry:
    """Record what happened next to a case; amounts may not exceed what is still out (or was compensated)."""
    opening = session.get(LedgerEntry, case_id)
    if opening is None or opening.case_id is not None:
        raise NotFound("台账记录不存在")
    if FOLLOWS.get(event) != opening.event:
        raise DomainError("该笔记录之后不能登记此事项", field="event")
    locking.lock(session, opening.instrument)  # one change of the instrument's money at a time
    if event in ("overdue", "reviewed", "rejected"):
        amount = int(amount or 0)
    else:
        amount = _check_amount(amount)
    if event == "recovered":
        limit = _sum(session, case_id, "compensated") - _sum(session, case_id, "recovered")
    elif event == "paid":
        limit = opening.amount - _sum(session, case_id, "paid")
    else:
        limit = case_outstanding(session, case_id)
    if amount > limit:
        raise Conflict("金额超过可登记的 %(limit)s 万元（可能已被他人登记，请刷新）", field="amount",
                       limit=_wan(limit))
    if on_date < opening.on_date:
        raise DomainError("日期不能早于开立日期", field="on_date")
    entry = LedgerEntry(instrument_id=opening.instrument_id, event=event, case_id=case_id, firm_id=opening.firm_id,
                        bank_id=opening.bank_id, request_id=opening.request_id, referral_id=opening.referral_id,
                        amount=amount, fee=0, on_date=on_date, note=note,
                        actor_id=actor.id if actor else None, at=utcnow())
    session.add(entry)
    session.flush()
    return entry


def reverse(session: Session, actor: User, entry_id: int, note: str) -> LedgerEntry:
    """Correct a wrong entry: a new entry of the same event with the amount and fee negated, referencing it."""
    wrong = session.get(LedgerEntry, entry_id)
    if wrong is None:
        raise NotFound("台账记录不存在")
    if not (note or "").strip():
        raise DomainError("请说明更正原因", field="note")
    locking.lock(session, wrong.instrument)
    if session.scalar(select(LedgerEntry.id).where(LedgerEntry.corrects_id == entry_id)):
        raise Conflict("该记录已被冲正")
    if wrong.corrects_id is not None:
        raise Conflict("冲正记录不能再冲正，请重新登记")
    if IN_USE.get(wrong.event, 0) > 0 and case_outstanding(session, wrong.case_id or wrong.id) < wrong.amount:
        raise Conflict("该笔已有解除、归还或退出等后续事项，请先冲正后续事项")
    entry = LedgerEntry(instrument_id=wrong.instrument_id, event=wrong.event, case_id=wrong.case_id or wrong.id,
                        corrects_id=wrong.id, firm_id=wrong.firm_id, bank_id=wrong.bank_id,
                        request_id=wrong.request_id, referral_id=wrong.referral_id, amount=-wrong.amount,
                        fee=-wrong.fee, on_date=wrong.on_date, note=f"冲正：{note.strip()}",
                        actor_id=actor.id, at=utcnow())
    session.add(entry)
    session.flush()
    return entry


REFERRAL_INSTRUMENT = {"guarantee": ("guarantee_gov", "issued"), "bridge_fund": ("bridge_district", "drawn")}


def from_referral(session: Session, actor: User | None, ref: Referral, on_date: date | None = None
                  ) -> LedgerEntry | None:
    """A referral resolved with financing through the guarantee company ("获得担保") or the bridge fund ("使用转贷
    资金") opens the ledger entry, in the same transaction (refused if the capacity is used up)."""
    if ref.state != "resolved_funded" or ref.target not in REFERRAL_INSTRUMENT or not ref.funded_amount:
        return None
    code, event = REFERRAL_INSTRUMENT[ref.target]
    inst = session.scalar(select(Instrument).where(Instrument.code == code))
    if inst is None:
        raise Conflict("尚未登记政策工具（运行 matchmaker seed）")
    req = session.get(FinancingRequest, ref.request_id)
    term = inst.max_days if inst.kind == "bridge" else (req.term_months or 12) * 30
    return open_case(session, actor, inst, event, ref.funded_amount, on_date or utcnow().date(),
                     firm_id=req.firm_id, request_id=req.id, referral_id=ref.id, term_days=term,
                     note=f"转介 {ref.id} 办结：{ref.target_label}")


def firm_named(session: Session, text: str | None) -> int | None:
    """The firm a form names by its USCC or its full name (None for blank); refused if there is none."""
    from ...models import Firm

    text = (text or "").strip()
    if not text:
        return None
    found = session.scalar(select(Firm.id).where((Firm.uscc == text.upper()) | (Firm.name == text)).limit(1))
    if found is None:
        raise DomainError("找不到该企业：请填写统一社会信用代码或企业全称", field="firm")
    return found

"""首贷培植 (first-loan cultivation): firms that never had a bank loan get a case on a board (per township and per
bank) that moves identified -> counselled -> applied -> first_loan with an owner; a disbursed lead for such a
firm is that bank's first loan, flips the firm's has_bank_loan and closes the case."""
from __future__ import annotations

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import Session, lazyload

from ...models import Bank, FinancingRequest, Firm, FirstLoanCase, Lead, User, utcnow
from ...models.first_loans import FIRST_LOAN_STAGES
from ...text import N_
from ..core import locking
from ..core.errors import Conflict, DomainError, Forbidden, NotFound
from ..core.money import amount_text
from ..core.visibility import visible_to
from ..notify import notifications
from ..notify.notifications import notify
from ..requests import lifecycle
from ..requests.labels import req_no

STAGES = list(FIRST_LOAN_STAGES)
MANUAL_STAGES = ("identified", "counselled", "applied")  # first_loan is set only by a recorded disbursement
VIEW_ROLES = ("township", "district", "bank_manager", "bank_admin")


def _record(session: Session, case: FirstLoanCase, actor: User | None, from_stage: str | None, note: str) -> None:
    lifecycle.record(session, "first_loan", case.id, None, actor, from_stage, case.stage, note)


# Asked at every routing, claim and disbursement of a first-loan firm: built once, and without the case's joined
# firm, bank and owner (the firm is at hand; the others load from the session when read).
_CASE_OF_FIRM = (select(FirstLoanCase).where(FirstLoanCase.firm_id == bindparam("firm_id"))
                 .options(lazyload("*")))


def case_for_firm(session: Session, firm: Firm, actor: User | None = None) -> FirstLoanCase:
    """The firm's case, created at `identified` if it has none."""
    case = session.scalar(_CASE_OF_FIRM, {"firm_id": firm.id})
    if case is None:
        case = FirstLoanCase(firm_id=firm.id, firm=firm, township_id=firm.township_id, stage="identified",
                             created_at=utcnow())
        session.add(case)
        session.flush()
        _record(session, case, actor, None, "识别为首贷培植对象（从未获得银行贷款）")
    return case


def identify(session: Session, township_id: int | None = None, actor: User | None = None) -> int:
    """Open a case for every firm without a bank loan that has none yet (in one township, or all)."""
    query = select(Firm).where(Firm.has_bank_loan.is_(False),
                               ~Firm.id.in_(select(FirstLoanCase.firm_id)))
    if township_id is not None:
        query = query.where(Firm.township_id == township_id)
    firms = list(session.scalars(query.order_by(Firm.id)))
    for firm in firms:
        case_for_firm(session, firm, actor)
    return len(firms)


def _advance(session: Session, case: FirstLoanCase, stage: str, actor: User | None, note: str) -> None:
    locking.lock(session, case)
    if STAGES.index(stage) > STAGES.index(case.stage):
        before = case.stage
        case.stage = stage
        _record(session, case, actor, before, note)


def request_routed(session: Session, req: FinancingRequest) -> None:
    """A first-loan firm's request went to banks: its case is at least `applied`."""
    if req.firm.has_bank_loan:
        return
    _advance(session, case_for_firm(session, req.firm), "applied", None, f"已发起融资需求 {req_no(req.id)}")


def lead_claimed(session: Session, lead: Lead) -> None:
    """The first bank to claim a first-loan firm's lead becomes the case's bank (it then sees the case)."""
    firm = lead.request.firm
    if firm.has_bank_loan:
        return
    case = case_for_firm(session, firm)
    locking.lock(session, case)
    if case.bank_id is None:
        case.bank_id = lead.bank_id
        _record(session, case, None, case.stage, f"{lead.bank.name}认领了该企业的融资需求")


def record_first_loan(session: Session, lead: Lead) -> FirstLoanCase | None:
    """A disbursement to a firm with no bank loan is the bank's first loan: count it and flip the flag."""
    firm = lead.request.firm
    if firm.has_bank_loan:
        return None
    case = case_for_firm(session, firm)
    locking.lock(session, case)
    firm.has_bank_loan = True
    before = case.stage
    case.stage, case.bank_id, case.lead_id = "first_loan", lead.bank_id, lead.id
    case.first_loan_amount, case.first_loan_on = lead.disbursed_amount, lead.disbursed_at
    amount = amount_text(lead.disbursed_amount or 0)
    _record(session, case, None, before, f"{lead.bank.name}发放首笔贷款 {amount}")
    notify(session, "first_loan", N_("首贷落地：%(firm)s 获得%(bank)s首笔贷款 %(amount)s"),
           params={"firm": firm.name, "bank": lead.bank.name,
                   "amount": notifications.amount(lead.disbursed_amount or 0)},
           link=f"/first-loans/{case.id}", township_id=firm.township_id,
           user_ids=[case.owner_id] if case.owner_id else ())
    return case


def disbursement_corrected(session: Session, lead: Lead, note: str) -> FirstLoanCase | None:
    """A corrected disbursement that was a firm's first loan corrects the case's amount and date, in its history."""
    case = session.scalar(select(FirstLoanCase).where(FirstLoanCase.lead_id == lead.id))
    if case is None:
        return None
    locking.lock(session, case)
    case.first_loan_amount, case.first_loan_on = lead.disbursed_amount, lead.disbursed_at
    _record(session, case, None, case.stage, note)
    return case


def visible_cases(actor: User) -> Select:
    """Cases the actor may see: district all, a township its own, a bank those it cultivates."""
    return visible_to(actor, select(FirstLoanCase), FirstLoanCase.id,
                      township=FirstLoanCase.township_id == actor.township_id,
                      bank=FirstLoanCase.bank_id == actor.bank_id)


def get_case_for(session: Session, actor: User, case_id: int) -> FirstLoanCase:
    case = session.get(FirstLoanCase, case_id)
    if case is None:
        raise NotFound("首贷培植记录不存在")
    if session.scalar(visible_cases(actor).where(FirstLoanCase.id == case_id).with_only_columns(
            FirstLoanCase.id)) is None:
        raise Forbidden("无权查看该首贷培植记录")
    return case


def owner_candidates(session: Session, case: FirstLoanCase, bank_id: int | None) -> list[User]:
    """Who may own a case: the case township's officials and the staff of the cultivating bank."""
    clauses = [User.bank_id == bank_id] if bank_id else []
    if case.township_id:
        clauses.append((User.role == "township") & (User.township_id == case.township_id))
    if not clauses:
        return []
    return list(session.scalars(select(User).where(User.active.is_(True), or_(*clauses))
                                .order_by(User.role, User.username)))


def update_case(session: Session, actor: User, case_id: int, *, stage: str, owner_id: int | None,
                bank_id: int | None = None, note: str = "") -> FirstLoanCase:
    """Move a case between the manual stages and set its owner (and, for township/district, its bank)."""
    case = get_case_for(session, actor, case_id)
    locking.lock(session, case)  # two edits at once: the second sees the first (and a first loan) committed
    if case.stage == "first_loan":
        raise Conflict("该企业已获首贷，培植已完成")
    if stage not in MANUAL_STAGES:
        raise DomainError("“已获首贷”由银行登记放款后自动记录", field="stage")
    if actor.is_bank:
        bank_id = actor.bank_id
    elif bank_id is not None and session.get(Bank, bank_id) is None:
        raise DomainError("请选择银行", field="bank_id")
    if owner_id is not None and owner_id not in {u.id for u in owner_candidates(session, case, bank_id)}:
        raise DomainError("负责人须为本镇街干部或培植银行的客户经理", field="owner_id")
    changes = []
    if bank_id != case.bank_id:
        case.bank_id = bank_id
        changes.append("培植银行：" + (session.get(Bank, bank_id).name if bank_id else "未指定"))
    if owner_id != case.owner_id:
        case.owner_id = owner_id
        owner = session.get(User, owner_id) if owner_id else None
        changes.append("负责人：" + (owner.display_name or owner.username if owner else "未指定"))
        if owner is not None and owner.id != actor.id:
            notify(session, "first_loan", N_("您被指定为首贷培植负责人：%(firm)s"), params={"firm": case.firm.name},
                   link=f"/first-loans/{case.id}", user_ids=[owner.id])
    note = (note or "").strip()
    if note:
        case.note = note
        changes.append(note)
    before = case.stage
    if stage != before or changes:
        case.stage = stage
        _record(session, case, actor, before, "；".join(changes))
    return case


def stage_counts(session: Session, query: Select) -> dict[str, int]:
    sub = query.subquery()
    rows = session.execute(select(sub.c.stage, func.count()).group_by(sub.c.stage)).all()
    return {stage: dict(rows).get(stage, 0) for stage in STAGES}


def first_loans_by_bank(session: Session, bank_id: int | None = None,
                        township_id: int | None = None) -> list[tuple[Bank, int, int]]:
    """(bank, first loans, amount 元) per bank with at least one first loan (optionally in one township)."""
    query = (select(FirstLoanCase.bank_id, func.count(), func.coalesce(func.sum(FirstLoanCase.first_loan_amount), 0))
             .where(FirstLoanCase.stage == "first_loan", FirstLoanCase.bank_id.is_not(None))
             .group_by(FirstLoanCase.bank_id))
    if bank_id is not None:
        query = query.where(FirstLoanCase.bank_id == bank_id)
    if township_id is not None:
        query = query.where(FirstLoanCase.township_id == township_id)
    rows = session.execute(query).all()
    banks = {b.id: b for b in session.scalars(select(Bank).where(Bank.id.in_([r[0] for r in rows])))}
    out = [(banks[bid], int(n), int(amount)) for bid, n, amount in rows]
    return sorted(out, key=lambda r: (-r[1], r[0].seq))

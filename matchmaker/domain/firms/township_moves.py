"""A firm's township is not the firm's to change: a change is a request that the new township (or the district)
approves; until then the firm stays in its township and its township keeps seeing it."""
from __future__ import annotations

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from ...models import Firm, Township, TownshipMove, User, utcnow
from ...text import N_
from ..core.access import get_allowed
from ..core.changes import record_event
from ..core.errors import Conflict, DomainError
from ..notify import notifications
from . import records

MAX_REASON = 500


def pending_move(session: Session, firm_id: int) -> TownshipMove | None:
    return session.scalar(select(TownshipMove).where(TownshipMove.firm_id == firm_id,
                                                     TownshipMove.state == "pending"))


def _decide(session: Session, move_id: int, from_state: str, to_state: str, actor: User | None,
            reason: str = "") -> None:
    """Move the request on only if it is still in `from_state` (the loser of a race gets a 409)."""
    done = session.execute(update(TownshipMove).where(TownshipMove.id == move_id, TownshipMove.state == from_state)
                           .values(state=to_state, reviewer_id=actor.id if actor else None, decided_at=utcnow(),
                                   reason=reason)
                           .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict("该镇街变更申请已被处理，请刷新页面")
    record_event(session, actor, "township_move", move_id, to_state, reason, from_state=from_state)


def request_move(session: Session, actor: User, firm: Firm, to_township_id: int | None) -> TownshipMove | None:
    """The firm asks to belong to `to_township_id`; a pending request of the firm is replaced. Asking for the
    township it is in withdraws a pending request. Returns the new request, or None."""
    records.get_firm_for(session, actor, firm.id)
    if to_township_id is None or session.get(Township, to_township_id) is None:
        raise DomainError("请选择所属镇街", field="township_id")
    records.lock_firm(session, firm.id)
    current = pending_move(session, firm.id)
    if current is not None and current.to_township_id == to_township_id:
        return current
    if current is not None:
        _decide(session, current.id, "pending", "withdrawn", actor, "企业重新提交了镇街变更")
    if to_township_id == firm.township_id:
        return None
    move = TownshipMove(firm_id=firm.id, from_township_id=firm.township_id, to_township_id=to_township_id,
                        requested_by_id=actor.id, state="pending")
    session.add(move)
    session.flush()
    record_event(session, actor, "township_move", move.id, "pending",
                 f"{firm.township.name if firm.township else '未定'} → {move.to_township.name}")
    notifications.notify(session, "firm", N_("%(firm)s 申请迁入本镇街，请审核"),
                         body=N_("企业所属镇街变更须由迁入镇街或区金融监管局确认。"), params={"firm": firm.name},
                         link=f"/firms/{firm.id}", township_id=to_township_id, roles=["district"])
    return move


def save_profile(session: Session, actor: User, firm: Firm, name: str, **values) -> TownshipMove | None:
    """The firm's profile page: its own fields are saved at once (with history); a different township becomes a
    move request. Returns the pending move request, if any."""
    records.update_profile(session, actor, firm, name, **values)
    if "township_id" in values:
        return request_move(session, actor, firm, values["township_id"])
    return pending_move(session, firm.id)


def may_decide(actor: User, move: TownshipMove) -> bool:
    return actor.role == "district" or (actor.role == "township" and actor.township_id == move.to_township_id)


def get_move_for(session: Session, actor: User, move_id: int) -> TownshipMove:
    return get_allowed(session, TownshipMove, move_id, lambda move: may_decide(actor, move),
                       missing="镇街变更申请不存在", refused="只有迁入镇街或区金融监管局可以审核镇街变更")


def approve(session: Session, actor: User, move_id: int) -> TownshipMove:
    """The new township (or the district) approves: the firm moves, in the firm's history too."""
    move = get_move_for(session, actor, move_id)
    records.lock_firm(session, move.firm_id)
    firm = session.get(Firm, move.firm_id)
    session.refresh(firm)
    if move.state != "pending":
        raise Conflict("该镇街变更申请已被处理，请刷新页面")
    if firm.township_id != move.from_township_id:
        raise Conflict("企业所属镇街已变化，该申请已失效")
    _decide(session, move.id, "pending", "approved", actor)
    before = records.snapshot(firm)
    firm.township_id = move.to_township_id
    records.record_firm_changes(session, actor, firm, before, note=f"镇街变更申请#{move.id}")
    notifications.notify(session, "firm", N_("镇街变更已通过：%(township)s"),
                         params={"township": move.to_township.name}, link="/enterprise/profile", firm_id=firm.id)
    if move.from_township_id is not None:
        notifications.notify(session, "firm", N_("%(firm)s 已迁至%(township)s"),
                             params={"firm": firm.name, "township": move.to_township.name},
                             township_id=move.from_township_id)
    session.refresh(move)
    return move


def reject(session: Session, actor: User, move_id: int, reason: str) -> TownshipMove:
    move = get_move_for(session, actor, move_id)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写驳回理由", field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(f"驳回理由不超过{MAX_REASON}字", field="reason")
    _decide(session, move.id, "pending", "rejected", actor, reason)
    notifications.notify(session, "firm", N_("镇街变更申请未通过"), body=N_("原因：%(reason)s"),
                         params={"reason": reason}, link="/enterprise/profile", firm_id=move.firm_id)
    session.refresh(move)
    return move


def queue(actor: User) -> Select:
    """Pending move requests the actor decides on."""
    query = select(TownshipMove).where(TownshipMove.state == "pending").order_by(TownshipMove.created_at)
    if actor.role == "district":
        return query
    if actor.role == "township":
        return query.where(TownshipMove.to_township_id == actor.township_id)
    return query.where(TownshipMove.id.is_(None))

"""Referral (转介): a request no bank took is referred to the district's government guarantee company, the
emergency bridge fund (only to renew a maturing loan) and the township's counselling team; township officials
and the district track each referral to its outcome, like a lead."""
from __future__ import annotations

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session

from ...models import FinancingRequest, Firm, Referral, User, utcnow
from ...models.referrals import REFERRAL_STATES, REFERRAL_TARGETS
from ...text import N_
from ..core import locking
from ..core.access import get_allowed
from ..core.errors import Conflict, DomainError
from ..core.money import amount_text
from ..core.visibility import visible_to
from ..notify.notifications import amount, audience, joined, notify, write
from ..requests import lifecycle
from ..requests.labels import req_no

TRANSITIONS = {
    "open": ("contacted", "resolved_funded", "resolved_not_funded"),
    "contacted": ("resolved_funded", "resolved_not_funded"),
}
HANDLER_ROLES = ("township", "district")


def targets_for(req: FinancingRequest) -> list[str]:
    """Where an unmatched request goes: guarantee always, bridge fund for renewals, counselling always."""
    return ["guarantee"] + (["bridge_fund"] if req.renewal else []) + ["counselling"]


def open_referrals(session: Session, req: FinancingRequest, actor: User | None = None) -> list[Referral]:
    """Create the referrals the request lacks (each with its history row); returns those created."""
    existing = set(session.scalars(select(Referral.target).where(Referral.request_id == req.id)))
    made = [Referral(request_id=req.id, target=t, township_id=req.firm.township_id, state="open",
                     created_at=utcnow()) for t in targets_for(req) if t not in existing]
    session.add_all(made)
    session.flush()
    for ref in made:
        lifecycle.record(session, "referral", ref.id, req.id, actor, None, "open", f"转介至{ref.target_label}")
    return made


def refer(session: Session, req: FinancingRequest, actor: User | None = None) -> list[Referral]:
    """Refer an unmatched request (creating the referrals it lacks) and move it to `referred`."""
    if req.state != "unmatched":
        return []
    made = open_referrals(session, req, actor)
    labels = "、".join(REFERRAL_TARGETS[t] for t in targets_for(req))
    lifecycle.transition(session, req, "referred", actor, f"转介至：{labels}")
    params = _referred_params(req.id, req.firm.name, req.amount, req.term_months, req.purpose, targets_for(req))
    notify(session, "referral", REFERRED_TITLE, body=REFERRED_BODY, params=params,
           link=f"/referrals/?request={req.id}", township_id=req.firm.township_id, roles=("district",))
    notify(session, "referral", REFERRED_FIRM_TITLE, body=REFERRED_FIRM_BODY, params=params,
           link=f"/requests/{req.id}", firm_id=req.firm_id)
    return made


def refer_many(session: Session, request_ids: list[int], actor: User | None = None) -> list[int]:
    """Set-based form of `refer` for the sweep (the same referrals, history rows, state change and notices,
    for thousands of unmatched requests at once; keep the two in step). Returns the ids of the requests referred
    (only those still unmatched: a concurrent run's requests are left to it)."""
    reqs = {r.id: r for r in session.execute(
        select(FinancingRequest.id, FinancingRequest.firm_id, FinancingRequest.amount, FinancingRequest.term_months,
               FinancingRequest.purpose, FinancingRequest.renewal, Firm.name, Firm.township_id)
        .join(Firm, Firm.id == FinancingRequest.firm_id)
        .where(FinancingRequest.id.in_(request_ids), FinancingRequest.state == "unmatched"))}
    if not reqs:
        return []
    labels = {rid: "、".join(REFERRAL_TARGETS[t] for t in targets_for(r)) for rid, r in reqs.items()}
    moved = [row[0] for row in lifecycle.transition_where(
        session, "request", "unmatched", "referred", actor, [FinancingRequest.id.in_(list(reqs))],
        note=lambda row: f"转介至：{labels[row[0]]}")]
    existing = set(session.execute(select(Referral.request_id, Referral.target)
                                   .where(Referral.request_id.in_(moved))).all())
    now = utcnow()
    new = [{"request_id": rid, "target": t, "township_id": reqs[rid].township_id, "state": "open", "note": "",
            "created_at": now, "updated_at": now}
           for rid in moved for t in targets_for(reqs[rid]) if (rid, t) not in existing]
    if new:
        session.execute(insert(Referral.__table__), new)
        keys = {(row["request_id"], row["target"]) for row in new}
        made = [(ref_id, rid, t) for ref_id, rid, t in session.execute(
            select(Referral.id, Referral.request_id, Referral.target).where(Referral.request_id.in_(moved))
            .order_by(Referral.id)) if (rid, t) in keys]
        lifecycle.record_many(session, "referral", [(ref_id, rid, f"转介至{REFERRAL_TARGETS[t]}")
                                                    for ref_id, rid, t in made], actor, None, "open")
    _notify_referred(session, [reqs[rid] for rid in moved], labels)
    return moved


def _notify_referred(session: Session, reqs: list, labels: dict[int, str]) -> None:
    """The notices `refer` sends, for many requests: the township's officials and the district, and the firm."""
    townships, firms = {r.township_id for r in reqs}, {r.firm_id for r in reqs}
    district = audience(session, roles=("district",))
    officials: dict[int, list[int]] = {}
    for uid, township_id in session.execute(select(User.id, User.township_id).where(
            User.active.is_(True), User.role == "township", User.township_id.in_(townships))):
        officials.setdefault(township_id, []).append(uid)
    firm_users: dict[int, list[int]] = {}
    for uid, firm_id in session.execute(select(User.id, User.firm_id).where(
            User.active.is_(True), User.role == "enterprise", User.firm_id.in_(firms))):
        firm_users.setdefault(firm_id, []).append(uid)
    entries = []
    for r in reqs:
        params = _referred_params(r.id, r.name, r.amount, r.term_months, r.purpose, targets_for(r))
        for uid in sorted(set(officials.get(r.township_id, [])) | set(district)):
            entries.append({"user_id": uid, "kind": "referral", "title": REFERRED_TITLE, "body": REFERRED_BODY,
                            "params": params, "link": f"/referrals/?request={r.id}"})
        for uid in sorted(firm_users.get(r.firm_id, [])):
            entries.append({"user_id": uid, "kind": "referral", "title": REFERRED_FIRM_TITLE,
                            "body": REFERRED_FIRM_BODY, "params": params, "link": f"/requests/{r.id}"})
    if entries:
        write(session, entries)


REFERRED_TITLE = N_("融资需求 %(no)s（%(firm)s）已转介：%(targets)s")
REFERRED_BODY = N_("申请 %(amount)s，%(term)s 个月，用途：%(purpose)s。请跟进对接并登记结果。")
REFERRED_FIRM_TITLE = N_("您的融资需求 %(no)s 暂未匹配到银行，已转介：%(targets)s")
REFERRED_FIRM_BODY = N_("相关机构和镇街金融辅导队将与您联系。")


def _referred_params(request_id: int, firm_name: str, yuan: int, term_months: int, purpose: str,
                     targets: list[str]) -> dict:
    """The values of the referral notices (`refer` and `refer_many` send the same ones)."""
    return {"no": req_no(request_id), "firm": firm_name, "amount": amount(yuan), "term": term_months,
            "purpose": purpose[:60], "targets": joined(REFERRAL_TARGETS[t] for t in targets)}


def visible_referrals(actor: User) -> Select:
    """Referrals the actor may list: district all, township its township's, a firm its own."""
    return visible_to(actor, select(Referral), Referral.id, township=Referral.township_id == actor.township_id,
                      enterprise=Referral.request_id.in_(
                          select(FinancingRequest.id).where(FinancingRequest.firm_id == actor.firm_id)))


def can_handle(actor: User, ref: Referral) -> bool:
    return actor.role == "district" or (actor.role == "township" and ref.township_id is not None
                                        and ref.township_id == actor.township_id)


def get_referral_for(session: Session, actor: User, referral_id: int) -> Referral:
    return get_allowed(session, Referral, referral_id, lambda ref: can_handle(actor, ref), missing="转介记录不存在",
                       refused="无权查看该转介记录")


def for_request(session: Session, request_id: int) -> list[Referral]:
    return list(session.scalars(select(Referral).where(Referral.request_id == request_id).order_by(Referral.id)))


def next_states(ref: Referral) -> list[tuple[str, str]]:
    return [(s, REFERRAL_STATES[s]) for s in TRANSITIONS.get(ref.state, ())]


def update(session: Session, actor: User, referral_id: int, to_state: str, note: str = "",
           funded_amount: int | None = None) -> Referral:
    """Record progress on a referral: contacted, or resolved with or without financing."""
    ref = get_referral_for(session, actor, referral_id)
    if to_state not in REFERRAL_STATES:
        raise DomainError("请选择进展", field="state")
    locking.lock(session, ref)  # of two updates at once, the second sees the first's state
    if to_state not in TRANSITIONS.get(ref.state, ()):
        raise Conflict(f"该转介当前为“{ref.state_label}”，不能变更为“{REFERRAL_STATES[to_state]}”，"
                       "可能已被他人处理，请刷新页面", field="state")
    note = (note or "").strip()
    if to_state == "resolved_not_funded" and not note:
        raise DomainError("办结但未获融资时请说明原因", field="note")
    if funded_amount is not None and to_state != "resolved_funded":
        funded_amount = None
    if funded_amount is not None and funded_amount <= 0:
        raise DomainError("融资金额必须大于0", field="amount_wan")
    from_state = ref.state
    ref.state = to_state
    ref.handler_id = actor.id
    if note:
        ref.note = note
    if to_state.startswith("resolved"):
        ref.resolved_at = utcnow()
        ref.funded_amount = funded_amount
    from ..ledgers.entries import from_referral

    from_referral(session, actor, ref)  # 获得担保 / 使用转贷资金: the ledger entry, capacity checked
    funded_text = f"，融资 {amount_text(funded_amount)}" if funded_amount else ""
    lifecycle.record(session, "referral", ref.id, ref.request_id, actor, from_state, to_state,
                     f"{ref.target_label}：{REFERRAL_STATES[to_state]}{funded_text}{('；' + note) if note else ''}")
    notify(session, "referral", N_("转介进展：%(target_label)s%(state_label)s"), body=N_("说明：%(note)s") if note else "",
           params={"target_label": REFERRAL_TARGETS.get(ref.target, ref.target),
                   "state_label": REFERRAL_STATES[to_state], "note": note},
           link=f"/requests/{ref.request_id}", firm_id=ref.request.firm_id)
    return ref

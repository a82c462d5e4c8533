"""Invitations to a matchmaking event: build the list from filters (township, industry, white lists, first
loan, open or unmatched requests, not invited lately), send it, and the firm's reply (with a need in advance)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from ...models import EventInvitation, FinancingRequest, Firm, MatchmakingEvent, User, utcnow
from ...text import N_
from ..core.changes import record_event
from ..core.errors import DomainError, Forbidden, NotFound
from ..notify import notifications
from ..requests import financing
from . import organising as events

OPEN_REQUEST_STATES = ("submitted", "routed", "offered", "accepted")
UNMATCHED_REQUEST_STATES = ("unmatched",)
REQUEST_FILTERS = {
    "": N_("不限"),
    "open": N_("有在办融资需求"),
    "unmatched": N_("有未匹配的需求"),
    "open_or_unmatched": N_("有在办或未匹配的需求"),
}


@dataclass
class InviteFilters:
    """The filters of the invitation builder; empty values mean "any"."""

    township_id: int | None = None
    industries: list[str] = field(default_factory=list)
    whitelist_kinds: list[str] = field(default_factory=list)
    whitelist_batches: list[str] = field(default_factory=list)
    first_loan: bool = False
    requests: str = ""
    not_invited_months: int | None = None
    search: str = ""


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (clamped to the month's end)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def may_invite(actor: User, firm: Firm) -> bool:
    """A township official invites only firms of their own township; the district any firm."""
    if actor.role == "district":
        return True
    return actor.role == "township" and firm.township_id is not None and firm.township_id == actor.township_id


def invitable_firms(actor: User) -> Select:
    """Firms the actor may invite at all (the hard township rule, applied before any filter)."""
    query = select(Firm)
    if actor.role == "district":
        return query
    if actor.role == "township" and actor.township_id is not None:
        return query.where(Firm.township_id == actor.township_id)
    return query.where(Firm.id.is_(None))


# --- white lists (kept by the white-list module; filters degrade to "not available" without it) -----------

def _whitelist_models():
    try:
        from ...models.whitelists import WHITELIST_KINDS, WhiteListBatch, WhiteListEntry
    except ImportError:
        return None
    return WHITELIST_KINDS, WhiteListBatch, WhiteListEntry


def whitelist_options(session: Session) -> tuple[dict[str, str], list[str]]:
    """White-list kinds (code -> label) and the labels of active batches, for the filters (empty without lists)."""
    models = _whitelist_models()
    if models is None:
        return {}, []
    kinds, batch, _entry = models
    labels = session.scalars(select(batch.label).where(batch.state == "active").distinct()).all()
    return dict(kinds), sorted(labels, reverse=True)


def _whitelist_firm_ids(session: Session, firm_ids: list[int], kinds: list[str], batches: list[str]) -> set[int]:
    """Of `firm_ids`, those on any of the white-list `kinds`: in the current batch of each list, or, when batch
    labels are given, in an active batch with one of those labels."""
    models = _whitelist_models()
    if models is None or not firm_ids:
        return set()
    if not batches:
        from ..requests.routing import firm_whitelist_kinds

        wanted = set(kinds)
        return {fid for fid, have in firm_whitelist_kinds(session, firm_ids).items() if have & wanted}
    _kinds, batch, entry = models
    query = select(entry.firm_id).join(batch, batch.id == entry.batch_id).where(
        batch.state == "active", batch.label.in_(batches))
    if kinds:
        query = query.where(entry.kind.in_(kinds))
    found = set(session.scalars(query.distinct()))
    return {fid for fid in firm_ids if fid in found}


# --- building the list ----------------------------------------------------------------------------------

def _filtered(actor: User, event: MatchmakingEvent, filters: InviteFilters, today: date) -> Select:
    from ..firms.records import search_clause

    query = invitable_firms(actor).where(~exists().where(EventInvitation.event_id == event.id,
                                                         EventInvitation.firm_id == Firm.id))
    if filters.township_id:
        query = query.where(Firm.township_id == filters.township_id)
    if filters.industries:
        query = query.where(Firm.industry.in_(filters.industries))
    if filters.first_loan:
        query = query.where(Firm.has_bank_loan.is_(False))
    states = {"open": OPEN_REQUEST_STATES, "unmatched": UNMATCHED_REQUEST_STATES,
              "open_or_unmatched": OPEN_REQUEST_STATES + UNMATCHED_REQUEST_STATES}.get(filters.requests)
    if states:
        query = query.where(exists().where(FinancingRequest.firm_id == Firm.id, FinancingRequest.state.in_(states)))
    if filters.not_invited_months:
        since = datetime.combine(months_before(today, filters.not_invited_months), datetime.min.time())
        query = query.where(~exists().where(EventInvitation.firm_id == Firm.id,
                                            EventInvitation.event_id != event.id,
                                            EventInvitation.invited_at >= since))
    clause = search_clause(filters.search)
    if clause is not None:
        query = query.where(clause)
    return query.order_by(Firm.name, Firm.id)


def candidate_ids(session: Session, actor: User, event: MatchmakingEvent, filters: InviteFilters,
                  today: date | None = None) -> list[int]:
    """Ids (by name) of the firms matching the filters that the actor may invite and that are not yet on the
    event's list."""
    if not events.can_manage(actor, event):
        raise Forbidden("只有主办镇街或区金融监管局可以邀请企业")
    query = _filtered(actor, event, filters, today or events.local_today()).with_only_columns(Firm.id)
    ids = list(session.scalars(query))
    if filters.whitelist_kinds or filters.whitelist_batches:
        keep = _whitelist_firm_ids(session, ids, filters.whitelist_kinds, filters.whitelist_batches)
        ids = [i for i in ids if i in keep]
    return ids


def load_firms(session: Session, ids: list[int], chunk: int = 900) -> list[Firm]:
    """The firms with these ids, in the same order."""
    found: dict[int, Firm] = {}
    for start in range(0, len(ids), chunk):
        found.update((f.id, f) for f in session.scalars(select(Firm).where(Firm.id.in_(ids[start:start + chunk]))))
    return [found[i] for i in ids if i in found]


def candidates(session: Session, actor: User, event: MatchmakingEvent, filters: InviteFilters,
               today: date | None = None) -> list[Firm]:
    """The firms of `candidate_ids`."""
    return load_firms(session, candidate_ids(session, actor, event, filters, today))


def send_invitations(session: Session, actor: User, event: MatchmakingEvent, firm_ids: list[int],
                     manual_ids: set[int] | frozenset[int] = frozenset()) -> list[EventInvitation]:
    """Invite the firms (all or none): firms already on the list are skipped; the firms' users are notified."""
    if not events.can_manage(actor, event):
        raise Forbidden("只有主办镇街或区金融监管局可以邀请企业")
    if event.cancelled:
        raise DomainError("该活动已取消")
    if events.is_past(event):
        raise DomainError("活动已结束，不能再发送邀请")
    ids = sorted({int(i) for i in firm_ids})
    if not ids:
        raise DomainError("请至少选择一家企业")
    firms = load_firms(session, ids)
    if len(firms) != len(ids):
        raise NotFound("所选企业不存在")
    outside = [f.name for f in firms if not may_invite(actor, f)]
    if outside:
        if len(outside) > 5:
            raise Forbidden("不能邀请本镇街以外的企业：%(names)s等", names="、".join(outside[:5]))
        raise Forbidden("不能邀请本镇街以外的企业：%(names)s", names="、".join(outside))
    already = set(session.scalars(select(EventInvitation.firm_id).where(EventInvitation.event_id == event.id)))
    created = []
    for firm in firms:
        if firm.id in already:
            continue
        row = EventInvitation(event_id=event.id, firm_id=firm.id, state="invited", invited_by_id=actor.id,
                              source="manual" if firm.id in manual_ids else "filter", invited_at=utcnow())
        session.add(row)
        created.append(row)
    session.flush()
    new_ids = {r.firm_id for r in created}
    if new_ids:
        users = [uid for uid, fid in session.execute(select(User.id, User.firm_id).where(
            User.role == "enterprise", User.firm_id.is_not(None))) if fid in new_ids]
        when = event.starts_at.strftime("%Y-%m-%d %H:%M")
        notifications.notify(session, "event", N_("邀请您参加银企对接活动：%(event)s"),
                             body=N_("%(when)s，%(venue)s。请回复是否参加，可提前填写融资需求。"),
                             params={"event": event.title, "when": when, "venue": event.venue},
                             link=events.event_path(event.id), user_ids=users)
    return created


def remove_invitation(session: Session, actor: User, invitation_id: int) -> None:
    """Take a firm off the list (not once it has checked in)."""
    inv = session.get(EventInvitation, invitation_id)
    if inv is None:
        raise NotFound("邀请不存在")
    if not events.can_manage(actor, inv.event):
        raise Forbidden("无权修改该活动的邀请名单")
    if inv.checked_in_at is not None:
        raise DomainError("%(firm)s 已签到，不能移出名单", firm=inv.firm.name)
    if events.is_past(inv.event):
        raise DomainError("活动已举办，名单不能再修改")
    record_event(session, actor, "invitation", inv.id, "removed", f"{inv.event.title}：{inv.firm.name}")
    session.delete(inv)
    session.flush()


def invitation_of(session: Session, event_id: int, firm_id: int) -> EventInvitation | None:
    return session.scalar(select(EventInvitation).where(EventInvitation.event_id == event_id,
                                                        EventInvitation.firm_id == firm_id))


def count_state(session: Session, event_id: int, state: str) -> int:
    return session.scalar(select(func.count()).select_from(EventInvitation).where(
        EventInvitation.event_id == event_id, EventInvitation.state == state)) or 0


def respond(session: Session, actor: User, event_id: int, accept: bool, need: dict | None = None,
            claim_workdays: int = 2) -> EventInvitation:
    """The firm accepts or declines; on accepting it may state a need, kept as a draft financing request."""
    if actor.role != "enterprise":
        raise Forbidden("只有受邀企业可以回复邀请")
    inv = invitation_of(session, event_id, actor.firm_id)
    if inv is None:
        raise NotFound("贵企业未受邀参加该活动")
    event = inv.event
    events.lock(session, event)  # a response and a cancellation or check-in at once: decide on committed state
    session.refresh(inv)
    if event.cancelled:
        raise DomainError("该活动已取消")
    if events.is_past(event):
        raise DomainError("活动已结束，不能再回复")
    if inv.checked_in_at is not None:
        raise DomainError("贵企业已在现场签到，无需回复")
    if accept and inv.state != "accepted" and count_state(session, event_id, "accepted") >= event.capacity:
        raise DomainError("报名人数已满（容量%(capacity)s家），如仍希望参加请联系主办镇街", capacity=event.capacity)
    inv.state = "accepted" if accept else "declined"
    inv.responded_at = utcnow()
    if accept and need and inv.need_request_id is None:
        req = financing.file_request(session, actor, actor.firm, submit=False, claim_workdays=claim_workdays, **need)
        inv.need_request_id = req.id
    session.flush()
    return inv


def needs_in_advance(session: Session, event_id: int) -> list[EventInvitation]:
    """Invitations whose firm stated a need before the event (for the banks to prepare)."""
    return list(session.scalars(select(EventInvitation).where(
        EventInvitation.event_id == event_id, EventInvitation.need_request_id.is_not(None),
        EventInvitation.state == "accepted").order_by(EventInvitation.responded_at)))

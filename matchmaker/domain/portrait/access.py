"""Who may see a firm's portrait (授权查询) and who looked: the firm itself, its township, the district, and a
bank only while it holds a claimed lead of a request the firm filed with consent. Every bank view is logged;
the firm sees the log (谁看过我的画像)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import FinancingRequest, Firm, Lead, PortraitConsent, PortraitView, User, utcnow
from ...models.portrait import CONSENT_TEXT
from ...models.users import BANK_ROLES, ROLES
from ..core import locking
from ..core.changes import record_event
from ..core.errors import Forbidden, NotFound
from ..requests.labels import req_no

HELD_LEAD_STATES = ("claimed", "contacted", "in_review", "approved")  # claimed and not yet given up or closed
CONSENT_STATES = ("submitted", "routed", "offered", "accepted", "unmatched", "referred")


def grant(session: Session, actor: User, req: FinancingRequest) -> PortraitConsent:
    """Record the firm's consent on this request (once; a second click keeps the first time)."""
    if actor.role not in ("enterprise", "township") or not _files_for(actor, req.firm):
        raise Forbidden("只有企业本身（或代为填报的镇街）可以授权查询企业画像")
    locking.lock(session, req)  # two clicks at once: one consent row
    existing = consent_for(session, req.id)
    if existing is not None:
        return existing
    consent = PortraitConsent(request_id=req.id, firm_id=req.firm_id, text=CONSENT_TEXT, granted_by_id=actor.id,
                              granted_at=utcnow())
    session.add(consent)
    session.flush()
    record_event(session, actor, "firm", req.firm_id, "portrait_consent",
                 f"授权已认领融资需求的银行查询企业画像（需求 {req_no(req.id)}）")
    return consent


def _files_for(actor: User, firm: Firm) -> bool:
    if actor.role == "enterprise":
        return actor.firm_id == firm.id
    return actor.role == "township" and actor.township_id == firm.township_id


def consent_for(session: Session, request_id: int) -> PortraitConsent | None:
    return session.scalar(select(PortraitConsent).where(PortraitConsent.request_id == request_id))


def bank_access_request(session: Session, bank_id: int, firm_id: int) -> int | None:
    """The request through which the bank may see the firm now: a claimed lead it holds, on a request with
    consent; None when there is none."""
    return session.scalar(
        select(Lead.request_id).join(FinancingRequest, FinancingRequest.id == Lead.request_id)
        .join(PortraitConsent, PortraitConsent.request_id == FinancingRequest.id)
        .where(FinancingRequest.firm_id == firm_id, Lead.bank_id == bank_id, Lead.claimed_at.is_not(None),
               Lead.state.in_(HELD_LEAD_STATES))
        .order_by(Lead.id.desc()).limit(1))


def can_view(session: Session, actor: User, firm: Firm) -> bool:
    if actor.role == "district":
        return True
    if actor.role == "township":
        return actor.township_id is not None and actor.township_id == firm.township_id
    if actor.role == "enterprise":
        return actor.firm_id == firm.id
    if actor.role in BANK_ROLES and actor.bank_id:
        return bank_access_request(session, actor.bank_id, firm.id) is not None
    return False


def open_portrait(session: Session, actor: User, firm_id: int) -> Firm:
    """The firm whose portrait `actor` opens, after checking access; a bank's look is logged."""
    firm = session.get(Firm, firm_id)
    if firm is None:
        raise NotFound("企业不存在")
    if actor.role in BANK_ROLES and actor.bank_id:
        request_id = bank_access_request(session, actor.bank_id, firm.id)
        if request_id is None:
            raise Forbidden("只有认领了该企业已授权查询的融资需求的银行，才能查看企业画像")
        session.add(PortraitView(firm_id=firm.id, bank_id=actor.bank_id, user_id=actor.id, role=actor.role,
                                 request_id=request_id, viewed_at=utcnow()))
        session.flush()
        return firm
    if not can_view(session, actor, firm):
        raise Forbidden("无权查看该企业画像")
    return firm


def views_of(session: Session, firm_id: int, limit: int = 200) -> list[dict]:
    """谁看过我的画像: bank, the viewer's role (not the person's name), time, newest first."""
    rows = session.scalars(select(PortraitView).where(PortraitView.firm_id == firm_id)
                           .order_by(PortraitView.viewed_at.desc(), PortraitView.id.desc()).limit(limit))
    return [{"bank": v.bank.name if v.bank else "", "role": ROLES.get(v.role, v.role), "at": v.viewed_at,
             "request_id": v.request_id} for v in rows]


def consents_of(session: Session, firm_id: int) -> list[PortraitConsent]:
    return list(session.scalars(select(PortraitConsent).where(PortraitConsent.firm_id == firm_id)
                                .order_by(PortraitConsent.granted_at.desc())))

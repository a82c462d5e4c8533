"""When a request has run out of banks: a routed request whose leads all ended without an offer becomes
unmatched, and its follow-up (referral, notices) starts. Routing, the bank's decline and the sweep all end here."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import FinancingRequest, Lead, Offer
from ...models.requests import OPEN_LEAD_STATES
from . import followups, lifecycle, notes


def close_if_unmatched(session: Session, req: FinancingRequest) -> bool:
    """A routed request whose leads all ended without an offer becomes unmatched."""
    if req.state != "routed":
        return False
    if any(lead.state in OPEN_LEAD_STATES or lead.offer is not None for lead in req.leads):
        return False
    lifecycle.transition(session, req, "unmatched", None, notes.NO_OFFER)
    followups.request_unmatched(session, req)
    return True


def close_many_if_unmatched(session: Session, request_ids: list[int]) -> list[int]:
    """Set-based form of close_if_unmatched for the sweep (keep the two in step): one conditional UPDATE moves
    every routed request among `request_ids` with no open lead and no offer to unmatched; then the same follow-up.
    Returns the ids moved."""
    open_lead = select(Lead.id).where(Lead.request_id == FinancingRequest.id, Lead.state.in_(OPEN_LEAD_STATES))
    offer = select(Offer.id).join(Lead, Lead.id == Offer.lead_id).where(Lead.request_id == FinancingRequest.id)
    moved = [row[0] for row in lifecycle.transition_where(
        session, "request", "routed", "unmatched", None,
        [FinancingRequest.id.in_(request_ids), ~open_lead.exists(), ~offer.exists()], note=notes.NO_OFFER)]
    if moved:
        followups.requests_unmatched(session, moved)
    return moved

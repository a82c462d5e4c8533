"""Rows as the API's JSON: what the pages show, with the firm's contact only where `contact_visible` says so."""
from __future__ import annotations

from decimal import Decimal

from ...domain.banks import monthly_reports
from ...domain.requests import leads
from ...models import FinancingRequest, Lead, MonthlyReport, Offer, User


def offer(item: Offer | None) -> dict | None:
    if item is None:
        return None
    return {"id": item.id, "amount_yuan": item.amount, "rate_pct": format(Decimal(item.rate_pct).normalize(), "f"),  # same text whether read back or not
            "term_months": item.term_months, "conditions": item.conditions, "state": item.state}


def lead(actor: User, item: Lead) -> dict:
    req, firm = item.request, item.request.firm
    show = leads.contact_visible(actor, item)
    return {
        "id": item.id, "state": item.state, "state_label": item.state_label, "bank_id": item.bank_id,
        "bank_name": item.bank.name, "product": item.product.name if item.product else None, "rank": item.rank,
        "manager_id": item.manager_id, "created_at": item.created_at, "updated_at": item.updated_at,
        "claim_deadline": item.claim_deadline, "claimed_at": item.claimed_at, "contacted_at": item.contacted_at,
        "decided_at": item.decided_at, "decline_code": item.decline_code, "decline_note": item.decline_note or "",
        "disbursed_amount_yuan": item.disbursed_amount, "disbursed_on": item.disbursed_at,
        "request": {"id": req.id, "state": req.state, "amount_yuan": req.amount, "term_months": req.term_months,
                    "purpose": req.purpose, "collateral": req.collateral, "renewal": req.renewal,
                    "submitted_at": req.submitted_at},
        "firm": {"id": firm.id, "name": firm.name, "uscc": firm.uscc,
                 "township": firm.township.name if firm.township else None, "industry": firm.industry,
                 "size": firm.size, "has_bank_loan": firm.has_bank_loan,
                 "contact_person": firm.contact_person if show else None,
                 "contact_phone": firm.contact_phone if show else None},
        "offer": offer(item.offer),
    }


def request_(item: FinancingRequest) -> dict:
    return {"id": item.id, "state": item.state, "state_label": item.state_label, "firm_id": item.firm_id,
            "firm_name": item.firm.name, "township": item.firm.township.name if item.firm.township else None,
            "amount_yuan": item.amount, "term_months": item.term_months, "purpose": item.purpose,
            "collateral": item.collateral, "renewal": item.renewal, "created_at": item.created_at,
            "submitted_at": item.submitted_at, "updated_at": item.updated_at,
            "lead_ids": [lead.id for lead in item.leads]}


def report(item: MonthlyReport) -> dict:
    return {"bank_id": item.bank_id, "month": item.month.strftime("%Y-%m"), "version": item.version,
            "figures_yuan": monthly_reports.values_of(item), "submitted_at": item.submitted_at}

"""Every code value the application writes fits the column it is written to. SQLite does not enforce
VARCHAR lengths, PostgreSQL does: a state like `resolved_not_funded` (19 characters) in a VARCHAR(16) history
column passes every SQLite test and crashes on PostgreSQL. This walks the models' short `String(n)` columns and
the code tables (states, kinds, codes, reasons, roles, the lifecycle's transitions) so that class of bug cannot
come back: a new short column must be listed here with the values written to it, or as free text checked by its
form."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import String

from matchmaker.domain.accounts.preferences import LOCALES
from matchmaker.domain.banks import listing
from matchmaker.domain.banks.monthly_reports import SOURCES as MONTHLY_SOURCES
from matchmaker.domain.banks.periods import KINDS as PERIOD_KINDS
from matchmaker.domain.core.changes import CHANGED
from matchmaker.domain.firms.claims import LICENCE_KINDS
from matchmaker.domain.jobs.records import KINDS as JOB_KINDS
from matchmaker.domain.requests import lifecycle
from matchmaker.models import Base
from matchmaker.models.claims import CLAIM_STATES, MOVE_STATES
from matchmaker.models.clocks import ESCALATION_KINDS
from matchmaker.models.events import (
    EVENT_KINDS,
    INTENTION_KINDS,
    INVITATION_SOURCES,
    INVITATION_STATES,
    LEADING_INDUSTRIES,
)
from matchmaker.models.firms import FIRM_SIZES, INDUSTRIES, TAX_CREDIT_GRADES
from matchmaker.models.first_loans import FIRST_LOAN_STAGES
from matchmaker.models.jobs import JOB_STATES
from matchmaker.models.ledgers import FUND_STAGES, INSTRUMENT_KINDS, LEDGER_EVENTS
from matchmaker.models.notifications import NOTIFICATION_KINDS, OUTBOX_STATES
from matchmaker.models.products import COLLATERAL_KINDS
from matchmaker.models.referrals import REFERRAL_STATES, REFERRAL_TARGETS
from matchmaker.models.requests import DECLINE_REASONS, LEAD_STATES, REQUEST_STATES
from matchmaker.models.users import ROLES
from matchmaker.models.whitelists import MATCH_METHODS, WHITELIST_KINDS

SHORT = 32  # columns up to this length hold codes; each must be accounted for below

OFFER_STATES = {"open", "accepted", "released"}
WHITELIST_BATCH_STATES = {"active", "undone"}
UPLOAD_STATES = {"checking", "mapping", "failed", "preview", "committing", "committed", "discarded", "expired"}
ALIAS_SOURCES = {"review", "auto", "new"}

# what each entity's history rows carry in from_state / to_state
HISTORY_STATES: dict[str, set[str]] = {
    "request": set(REQUEST_STATES) | {s for pair in lifecycle.REQUEST_TRANSITIONS for s in pair},
    "lead": set(LEAD_STATES) | {s for pair in lifecycle.LEAD_TRANSITIONS for s in pair},
    "referral": set(REFERRAL_STATES),
    "first_loan": set(FIRST_LOAN_STAGES),
    "listing": set(listing.STAGES),
    "wl_batch": WHITELIST_BATCH_STATES | {"committed"},
    "user": {"created", "active", "inactive", "password_reset", "password_changed", CHANGED},
    "firm": {"created", "claimed", "code_issued", CHANGED, "portrait_consent"},
    "portrait_weights": {CHANGED},
    "firm_claim": set(CLAIM_STATES),
    "township_move": set(MOVE_STATES),
    "invitation": {"removed"},
    "product": {"created", CHANGED},
    "weights": {CHANGED},
    "bank_target": {"set"},
    "api_token": {"active", "revoked"},
}
ALL_HISTORY_STATES = set().union(*HISTORY_STATES.values())

# table.column -> every value the code writes there
CODE_COLUMNS: dict[str, set[str]] = {
    "job.kind": set(JOB_KINDS),
    "job.state": set(JOB_STATES),
    "history.entity": set(HISTORY_STATES),
    "history.from_state": ALL_HISTORY_STATES,
    "history.to_state": ALL_HISTORY_STATES,
    "history.actor_role": set(ROLES) | {lifecycle.SYSTEM},
    "firm_claim.state": set(CLAIM_STATES),
    "api_token.owner": {"bank", "district"},
    "township_move.state": set(MOVE_STATES),
    "firm_claim.licence_type": {media_type for _, media_type, _ in LICENCE_KINDS},
    "user_account.role": set(ROLES),
    "user_account.locale": set(LOCALES),
    "portrait_view.role": set(ROLES),
    "financing_request.state": set(REQUEST_STATES) | {s for pair in lifecycle.REQUEST_TRANSITIONS for s in pair},
    "financing_request.collateral": set(COLLATERAL_KINDS),
    "lead.state": set(LEAD_STATES) | {s for pair in lifecycle.LEAD_TRANSITIONS for s in pair},
    "lead.decline_code": set(DECLINE_REASONS),
    "offer.state": OFFER_STATES,
    "referral.state": set(REFERRAL_STATES),
    "referral.target": set(REFERRAL_TARGETS),
    "first_loan_case.stage": set(FIRST_LOAN_STAGES),
    "lead_escalation.kind": set(ESCALATION_KINDS),
    "matchmaking_event.kind": set(EVENT_KINDS),
    "matchmaking_event.industry": set(LEADING_INDUSTRIES),
    "event_invitation.state": set(INVITATION_STATES),
    "event_invitation.source": set(INVITATION_SOURCES),
    "event_intention.kind": set(INTENTION_KINDS),
    "event_intention.escalated_state": set(LEAD_STATES),
    "firm.industry": set(INDUSTRIES),
    "firm.size": set(FIRM_SIZES),
    "firm.tax_credit_grade": set(TAX_CREDIT_GRADES),
    "notification.kind": set(NOTIFICATION_KINDS),
    "outbox_message.channel": {"email", "sms"},
    "outbox_message.status": set(OUTBOX_STATES),
    "township.kind": {"subdistrict", "town"},
    "rating.outcome": set(LEAD_STATES) | {""},
    "monthly_report.source": set(MONTHLY_SOURCES),
    "listing_candidate.industry": set(INDUSTRIES),
    "listing_candidate.tier": set(listing.TIERS),
    "listing_candidate.stage": set(listing.STAGES),
    "listing_candidate.market": set(listing.MARKETS),
    "whitelist_batch.kind": set(WHITELIST_KINDS),
    "whitelist_batch.state": WHITELIST_BATCH_STATES,
    "whitelist_entry.kind": set(WHITELIST_KINDS),
    "whitelist_entry.match_method": set(MATCH_METHODS),
    "firm_alias.source": ALIAS_SOURCES,
    "whitelist_import.kind": set(WHITELIST_KINDS),
    "whitelist_import.state": UPLOAD_STATES,
    "whitelist_import_row.decision": {"auto", "review", "new"},
    "whitelist_import_row.status": {"add", "changed", "same"},
    "whitelist_import_row.method": {"uscc", "alias", "name", ""},
    "bulletin.kind": set(PERIOD_KINDS),
    "instrument.kind": set(INSTRUMENT_KINDS),
    "ledger_entry.event": {e for events in LEDGER_EVENTS.values() for e in events},
    "ledger_entry.stage": set(FUND_STAGES),
}

# short columns holding typed or reference text, each limited by its form, import or seed file
FREE_TEXT = {
    "firm_claim.contact_phone", "api_token.prefix",
    "bank.group_name", "firm.uscc", "firm.contact_phone", "user_account.phone", "notification_preference.sms_phone",
    "township.code", "township.name", "product_kind.code", "product.kind_code", "bulletin.period",
    "whitelist_batch.label", "whitelist_import.batch_label",
    "history.chain_txn", "ledger_entry.chain_txn",  # generated (audit_chain), never typed
    "instrument.code",  # seeded from the policy (domain/ledgers/instruments.py)
    "whitelist_import_row.chosen",  # "new" or a firm id (checked below 2**31 by batches.decide)
}


def short_string_columns() -> dict[str, int]:
    return {f"{table.name}.{col.name}": col.type.length
            for table in Base.metadata.sorted_tables for col in table.columns
            if isinstance(col.type, String) and col.type.length and col.type.length <= SHORT}


def test_every_short_column_is_accounted_for():
    columns = short_string_columns()
    unknown = sorted(set(columns) - set(CODE_COLUMNS) - FREE_TEXT)
    assert not unknown, f"list these columns' values in CODE_COLUMNS (or as FREE_TEXT): {unknown}"
    stale = sorted((set(CODE_COLUMNS) | FREE_TEXT) - set(columns))
    assert not stale, f"no such short String column (renamed or widened?): {stale}"


@pytest.mark.parametrize("column", sorted(CODE_COLUMNS))
def test_every_code_value_fits_its_column(column):
    length = short_string_columns()[column]
    too_long = sorted(v for v in CODE_COLUMNS[column] if len(v) > length)
    assert not too_long, f"{column} is VARCHAR({length}) but the code writes {too_long}"


def test_history_entities_written_by_the_code_are_all_listed():
    """Every `lifecycle.record(session, "<entity>", ...)` in the code names an entity listed above, so its
    states are checked too."""
    source = "\n".join(p.read_text(encoding="utf-8")
                       for p in Path(lifecycle.__file__).parents[2].rglob("*.py"))
    written = set(re.findall(r"record(?:_many)?\(\s*session,\s*\"(\w+)\"", source))
    assert written and written <= set(HISTORY_STATES), written - set(HISTORY_STATES)
    assert "referral" in written and "resolved_not_funded" in ALL_HISTORY_STATES


def test_closing_a_referral_not_funded_is_stored_whole(db, firm, users):
    """The case that crashed the demo on PostgreSQL (VARCHAR(16) history)."""
    from matchmaker.domain.outcomes import referrals
    from matchmaker.models import History, Referral

    from . import factories

    req = factories.RequestFactory(firm=firm, state="referred")
    ref = Referral(request_id=req.id, target="guarantee", township_id=firm.township_id, state="open")
    db.add(ref)
    db.commit()
    referrals.update(db, users["township"], ref.id, "resolved_not_funded", "企业暂缓融资")
    db.commit()
    db.expire_all()
    row = db.query(History).filter_by(entity="referral", entity_id=ref.id).one()
    assert (row.from_state, row.to_state) == ("open", "resolved_not_funded")

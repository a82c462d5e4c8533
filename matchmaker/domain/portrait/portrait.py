"""One firm's portrait in one call: identity, lists and qualifications (verified with their batch, or
self-declared), tax credit grade over the years, requests and outcomes, events and intentions, first-loan stage,
referrals, ratings it gave, and the 0–100 score with its named parts."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from ...models import (
    EventIntention,
    EventInvitation,
    FinancingRequest,
    Firm,
    FirstLoanCase,
    Lead,
    MatchmakingEvent,
    Rating,
    Referral,
)
from ...models.first_loans import FIRST_LOAN_STAGES
from ...models.whitelists import GRADE_KINDS, QUALIFICATION_KINDS
from ...text import N_, Phrase
from ..core.workdays import local_date
from ..whitelists.kinds import GRADE_KEY, LEADER_KEY, grade_of
from ..whitelists.lists import entries_for_firm
from . import score as scoring

FUNDED_STATES = ("disbursed",)
SELF_DECLARED = N_("企业自报（企业资料）")  # the source of a grade the firm gave itself


@dataclass
class Credential:
    kind: str
    label: str
    year: str           # the batch label (starts with the year)
    verified: bool      # 核验 (imported list) or 自报 (firm profile)
    source: str         # the file the batch came from, or 企业自报 (SELF_DECLARED)
    detail: str | Phrase = ""  # e.g. the chain leader a supplier serves, or the project's name

    @property
    def status(self) -> str:
        """A marked label: shown with |t."""
        return N_("核验") if self.verified else N_("自报")


@dataclass
class Portrait:
    firm: Firm
    age: int | None
    credentials: list[Credential]
    grades: list[Credential]           # tax credit grade by year, newest first (verified), then the declared one
    grade: Credential | None           # the grade rules use: the newest verified, else the declared one
    requests: list[FinancingRequest]
    leads: list[Lead]
    invitations: list[EventInvitation]
    intentions: list[EventIntention]
    first_loan: FirstLoanCase | None
    referrals: list[Referral]
    ratings: list[Rating]
    score: float
    parts: list[dict]
    counts: dict = field(default_factory=dict)

    @property
    def first_loan_stage(self) -> str:
        if self.first_loan is not None:
            return FIRST_LOAN_STAGES.get(self.first_loan.stage, self.first_loan.stage)
        return N_("曾获银行贷款") if self.firm.has_bank_loan else N_("尚未获得银行贷款（未建首贷培植档案）")


def firm_credentials(session: Session, firm: Firm) -> tuple[list[Credential], list[Credential], Credential | None]:
    """Lists and qualifications; tax grades by year; the grade that counts (the newest verified wins)."""
    credentials, grades = [], []
    for entry in entries_for_firm(session, firm.id):
        batch = entry.batch
        extra = entry.extra if isinstance(entry.extra, dict) else {}
        if entry.kind in GRADE_KINDS:
            grade = grade_of(extra.get(GRADE_KEY, ""))
            if grade:
                grades.append(Credential(entry.kind, grade, batch.label, True, batch.source_filename))
            continue
        detail = (Phrase(N_("链主：%(leader_name)s"), leader_name=extra[LEADER_KEY]) if extra.get(LEADER_KEY)
                  else entry.project_name)
        credentials.append(Credential(entry.kind, entry.kind_label, batch.label, True, batch.source_filename, detail))
    credentials.sort(key=lambda c: (c.kind not in QUALIFICATION_KINDS, c.kind, c.year), reverse=False)
    grades.sort(key=lambda c: c.year, reverse=True)
    newest_tax = _newest_tax_label(session)
    current = grades[0] if grades and grades[0].year == newest_tax else None
    if firm.tax_credit_grade:
        declared = Credential("tax_credit", firm.tax_credit_grade, "", False, SELF_DECLARED)
        grades.append(declared)
        current = current or declared
    return credentials, grades, current


def _newest_tax_label(session: Session) -> str | None:
    from ..whitelists.grades import current_tax_batch
    batch = current_tax_batch(session)
    return batch.label if batch else None


def build(session: Session, firm: Firm, today: date | None = None) -> Portrait:
    today = today or local_date()
    credentials, grades, grade = firm_credentials(session, firm)
    requests = list(session.scalars(
        select(FinancingRequest).where(FinancingRequest.firm_id == firm.id, FinancingRequest.state != "draft")
        .options(selectinload(FinancingRequest.leads).joinedload(Lead.offer))
        .order_by(FinancingRequest.created_at.desc())))
    leads = [lead for r in requests for lead in r.leads]
    invitations = list(session.scalars(
        select(EventInvitation).join(MatchmakingEvent, MatchmakingEvent.id == EventInvitation.event_id)
        .where(EventInvitation.firm_id == firm.id).options(contains_eager(EventInvitation.event))
        .order_by(MatchmakingEvent.starts_at.desc())))
    intentions = list(session.scalars(select(EventIntention).where(EventIntention.firm_id == firm.id)
                                      .order_by(EventIntention.created_at.desc())))
    first_loan = session.scalar(select(FirstLoanCase).where(FirstLoanCase.firm_id == firm.id))
    referrals = list(session.scalars(select(Referral).join(FinancingRequest, FinancingRequest.id == Referral.request_id)
                                     .where(FinancingRequest.firm_id == firm.id).order_by(Referral.id.desc())))
    ratings = list(session.scalars(select(Rating).where(Rating.firm_id == firm.id).order_by(Rating.created_at.desc())))
    approved = sum(1 for lead in leads if lead.offer is not None or lead.state in ("approved", "disbursed"))
    funded = sum(1 for lead in leads if lead.state in FUNDED_STATES or lead.disbursed_amount)
    declined = sum(1 for lead in leads if lead.state == "declined")
    attended = sum(1 for i in invitations if i.checked_in_at is not None)
    age = today.year - firm.founded_year if firm.founded_year else None
    verified_grade = grade.label if grade is not None and grade.verified else None
    declared = firm.tax_credit_grade
    values = {
        "tax_grade": scoring.tax_value(verified_grade, declared, grade.year[:4] if grade and grade.verified else None),
        "qualifications": scoring.qualification_value(
            sorted({c.label for c in credentials if c.kind in QUALIFICATION_KINDS}),
            sorted({c.label for c in credentials if c.kind not in QUALIFICATION_KINDS})),
        "track_record": scoring.track_value(approved, funded, declined),
        "maturity": scoring.maturity_value(age),
        "engagement": scoring.engagement_value(attended, len(intentions)),
    }
    total, parts = scoring.score(values, scoring.current_weights(session))
    return Portrait(firm, age, credentials, grades, grade, requests, leads, invitations, intentions, first_loan,
                    referrals, ratings, total, parts,
                    counts={"approved": approved, "funded": funded, "declined": declined, "attended": attended,
                            "requested": sum(r.amount for r in requests),
                            "funded_amount": sum(lead.disbursed_amount or 0 for lead in leads)})


def count_views(session: Session, firm_id: int) -> int:
    from ...models import PortraitView
    return session.scalar(select(func.count()).select_from(PortraitView).where(PortraitView.firm_id == firm_id)) or 0

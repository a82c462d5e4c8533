"""The clock sweep (`matchmaker sweep`): an unclaimed lead past its claim deadline expires and its request goes
to the next-best eligible bank not tried yet (or becomes unmatched); a claimed lead past its contact or
decision deadline is escalated to the township and the district.

Set-based and batched, so 100,000 overdue leads take seconds. Idempotent: each change is a conditional UPDATE
(`state = 'routed'`) or an INSERT that skips what exists (one escalation per lead and kind), so a second run
changes nothing. Safe when two run at once: on PostgreSQL each batch of requests is locked first with
`FOR NO KEY UPDATE SKIP LOCKED`, so two sweeps work on different requests; on SQLite a batch's first write
takes the database's write lock, which serialises the runs, and the conditional UPDATE leaves alone what the
other run already did.
"""
from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, exists, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...models import Bank, FinancingRequest, Firm, Lead, LeadEscalation, Offer, User, utcnow
from ...models.clocks import ESCALATION_KINDS
from ...models.requests import OPEN_LEAD_STATES
from ...text import N_
from ..core.visibility import visible_to
from ..core.workdays import Calendar, load_calendar, local_date, local_midnight_utc
from ..notify import notifications
from . import followups, lifecycle, routing
from . import notes as history_notes
from .eligibility import FirmFacts, RequestFacts
from .labels import lead_no
from .unmatched import close_many_if_unmatched

ESCALATION_STATES = {"contact": ("claimed",), "decision": ("claimed", "contacted", "in_review")}
BATCH_SIZE = 5000


@dataclass
class SweepResult:
    now: str
    today: str
    expired: int = 0
    rerouted_requests: int = 0
    new_leads: int = 0
    unmatched: int = 0
    escalated: dict[str, int] = field(default_factory=lambda: {k: 0 for k in ESCALATION_KINDS})
    notifications: int = 0
    calendar_fallback_days: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per step, for the log

    def timed(self, step: str, started: float) -> None:
        self.seconds[step] = round(self.seconds.get(step, 0.0) + time.perf_counter() - started, 3)

    @property
    def changed(self) -> int:
        """Rows of leads, requests and escalations this run changed or added (0 on a second run)."""
        return self.expired + self.new_leads + self.unmatched + sum(self.escalated.values())

    def as_dict(self) -> dict:
        return {**asdict(self), "changed": self.changed}


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@dataclass
class _Run:
    session: Session
    now: datetime
    today: date
    calendar: Calendar
    claim_workdays: int
    batch_size: int
    commit: bool
    notify: bool
    result: SweepResult
    ctx: routing.RoutingContext | None = None
    new_by_bank: Counter = field(default_factory=Counter)
    escalations: list = field(default_factory=list)  # (kind, lead_id, firm name, bank name, township id, bank id)
    escalated_up_to: dict = field(default_factory=dict)  # kind -> last lead id looked at (keyset paging)
    expired_up_to: int = 0  # last request id looked at

    def done(self) -> None:
        if self.commit:
            self.session.commit()
        else:
            self.session.flush()


def sweep(session: Session, now: datetime | None = None, *, claim_workdays: int = 2, contact_workdays: int = 3,
          decision_workdays: int = 10, batch_size: int = BATCH_SIZE, commit: bool = True,
          notify: bool = True) -> SweepResult:
    """Run every clock once at `now` (naive UTC; default: now). Commits batch by batch unless commit=False."""
    now = now or utcnow()
    today = local_date(now)
    calendar = load_calendar(session)
    result = SweepResult(now=now.isoformat(timespec="seconds"), today=today.isoformat(),
                         calendar_fallback_days=len(calendar.fallback_days(today)))
    run = _Run(session, now, today, calendar, claim_workdays, batch_size, commit, notify, result)
    while _expire_batch(run):
        pass
    started = time.perf_counter()
    for kind, days in (("contact", contact_workdays), ("decision", decision_workdays)):
        while _escalate_batch(run, kind, days):
            pass
    result.timed("escalate", started)
    started = time.perf_counter()
    if notify:
        result.notifications += _notify(run)
    run.done()
    result.timed("notify", started)
    return result


# Expiry and re-routing --------------------------------------------------------------------------------------------

def _expire_batch(run: _Run) -> bool:
    """Expire the overdue unclaimed leads of one batch of requests and route those requests on; False when no
    request is left. On PostgreSQL the requests are locked first (FOR NO KEY UPDATE SKIP LOCKED: a request another
    sweep holds is left to it, and the foreign-key checks of History and Lead inserts are not blocked)."""
    session, started = run.session, time.perf_counter()
    overdue = (Lead.state == "routed", Lead.claim_deadline < run.today)
    batch = (select(FinancingRequest.id)
             .where(FinancingRequest.id.in_(select(Lead.request_id).where(*overdue)),
                    FinancingRequest.id > run.expired_up_to)
             .order_by(FinancingRequest.id).limit(run.batch_size))
    if _is_postgres(session):
        batch = batch.with_for_update(skip_locked=True, key_share=True)
    request_ids = list(session.scalars(batch))
    if not request_ids:
        return False
    run.expired_up_to = request_ids[-1]
    if run.ctx is None:  # ranking snapshot taken before anything expires (and only when something does)
        run.ctx = routing.load_context(session, run.today)
        run.ctx.calendar = run.calendar
    rows = lifecycle.transition_where(
        session, "lead", "routed", "expired", None, [Lead.request_id.in_(request_ids), *overdue[1:]],
        note=lambda row: history_notes.note(history_notes.EXPIRED, date=row[3]),
        returning=(Lead.bank_id, Lead.claim_deadline))
    run.result.expired += len(rows)
    if run.notify and rows:
        run.result.notifications += followups.notify_expired(session, [row[0] for row in rows])
    replace: Counter = Counter()
    for _lead_id, request_id, bank_id, _deadline in rows:
        replace[request_id] += 1
        bank = run.ctx.banks.get(bank_id)
        if bank is not None:
            bank.open_leads = max(0, bank.open_leads - 1)
    run.result.timed("expire", started)
    if replace:
        _reroute(run, replace)
    started = time.perf_counter()
    run.done()
    run.result.timed("expire", started)
    return True


def _reroute(run: _Run, replace: Counter) -> None:
    """Give each request as many new banks as it lost (best eligible banks it has not tried yet)."""
    session, ctx, started = run.session, run.ctx, time.perf_counter()
    request_ids = sorted(replace)
    requests = session.execute(
        select(FinancingRequest.id, FinancingRequest.firm_id, FinancingRequest.amount, FinancingRequest.term_months,
               FinancingRequest.collateral, FinancingRequest.products_of_interest)
        .where(FinancingRequest.id.in_(request_ids), FinancingRequest.state == "routed")).all()
    if not requests:
        run.result.timed("reroute", started)
        return
    live_ids = [r.id for r in requests]
    tried: dict[int, set[int]] = defaultdict(set)
    max_rank: dict[int, int] = defaultdict(int)
    still_open: set[int] = set()
    for request_id, bank_id, state, lead_rank in session.execute(
            select(Lead.request_id, Lead.bank_id, Lead.state, Lead.rank).where(Lead.request_id.in_(live_ids))):
        tried[request_id].add(bank_id)
        max_rank[request_id] = max(max_rank[request_id], lead_rank or 0)
        if state in OPEN_LEAD_STATES:
            still_open.add(request_id)
    still_open |= set(session.scalars(select(Lead.request_id).join(Offer, Offer.lead_id == Lead.id)
                                      .where(Lead.request_id.in_(live_ids))))
    firm_ids = sorted({r.firm_id for r in requests})
    firms = {f.id: f for f in session.execute(
        select(Firm.id, Firm.township_id, Firm.has_bank_loan, Firm.industry, Firm.founded_year,
               Firm.tax_credit_grade, Firm.existing_bank_debt).where(Firm.id.in_(firm_ids)))}
    kinds = routing.firm_whitelist_kinds(session, firm_ids)
    grades = routing.firm_verified_grades(session, firm_ids)
    deadline = run.calendar.add_workdays(run.today, run.claim_workdays)
    new_rows, notes = [], []
    unmatched = []
    for r in requests:
        f = firms[r.firm_id]
        firm = FirmFacts(f.id, f.township_id, bool(f.has_bank_loan), f.industry, f.founded_year,
                         f.tax_credit_grade, kinds.get(f.id, frozenset()), f.existing_bank_debt,
                         grades.get(f.id))
        facts = RequestFacts(int(r.amount), int(r.term_months), r.collateral or "none",
                             frozenset(r.products_of_interest or ()))
        matches = routing.rank(ctx, firm, facts, exclude_banks=tried[r.id], limit=replace[r.id])
        for offset, m in enumerate(matches):
            new_rows.append({**routing.lead_values(ctx, r.id, m, max_rank[r.id] + 1 + offset, deadline),
                             "created_at": run.now})
            notes.append(history_notes.note(history_notes.ROUTED_LATE, bank=ctx.banks[m.bank_id].name,
                                            score=f"{m.score:.1f}"))
            ctx.banks[m.bank_id].open_leads += 1
            run.new_by_bank[m.bank_id] += 1
        if matches:
            run.result.rerouted_requests += 1
        elif r.id not in still_open:
            unmatched.append(r.id)
    if new_rows:
        session.execute(insert(Lead.__table__), new_rows)  # plain executemany; ids looked up below
        new_keys = {(row["request_id"], row["bank_id"]) for row in new_rows}
        ids = {(rid, bid): lead_id for lead_id, rid, bid in session.execute(
            select(Lead.id, Lead.request_id, Lead.bank_id).where(Lead.request_id.in_(live_ids)))
            if (rid, bid) in new_keys}  # a bank gets a request at most once, so (request, bank) names the lead
        lifecycle.record_many(session, "lead", [(ids[(row["request_id"], row["bank_id"])], row["request_id"], note)
                                                for row, note in zip(new_rows, notes)], None, None, "routed")
        run.result.new_leads += len(new_rows)
    run.result.timed("reroute", started)
    started = time.perf_counter()
    if unmatched:
        run.result.unmatched += len(close_many_if_unmatched(session, unmatched))
        run.result.timed("unmatched_and_referral", started)


# Escalation ------------------------------------------------------------------------------------------------------

def overdue_leads(calendar: Calendar, today: date, kind: str, days: int) -> Select:
    """Claimed leads past the `kind` deadline (`days` working days after the claim, Beijing dates) on `today`
    that have no escalation of that kind yet."""
    cutoff = local_midnight_utc(calendar.latest_overdue_start(today, days) + timedelta(days=1))
    return (select(Lead.id, Lead.claimed_at, Lead.bank_id, Firm.township_id, Firm.name, Bank.name)
            .join(FinancingRequest, FinancingRequest.id == Lead.request_id)
            .join(Firm, Firm.id == FinancingRequest.firm_id)
            .join(Bank, Bank.id == Lead.bank_id)
            .where(Lead.state.in_(ESCALATION_STATES[kind]), Lead.claimed_at.is_not(None), Lead.claimed_at < cutoff,
                   ~exists().where(LeadEscalation.lead_id == Lead.id, LeadEscalation.kind == kind))
            .order_by(Lead.id))


def _escalate_batch(run: _Run, kind: str, days: int) -> bool:
    """Escalate one batch of overdue claimed leads; False when none is left."""
    session = run.session
    candidates = session.execute(overdue_leads(run.calendar, run.today, kind, days)
                                 .where(Lead.id > run.escalated_up_to.get(kind, 0)).limit(run.batch_size)).all()
    if not candidates:
        return False
    run.escalated_up_to[kind] = candidates[-1][0]
    due = {}
    rows = []
    for lead_id, claimed_at, *_ in candidates:
        claimed_on = local_date(claimed_at)
        if claimed_on not in due:
            due[claimed_on] = run.calendar.add_workdays(claimed_on, days)
        rows.append({"lead_id": lead_id, "kind": kind, "due_on": due[claimed_on], "created_at": run.now})
    inserted = _insert_escalations(session, rows)
    for lead_id, _claimed, bank_id, township_id, firm_name, bank_name in candidates:
        if lead_id in inserted:
            run.escalations.append((kind, lead_id, firm_name, bank_name, township_id, bank_id))
    run.result.escalated[kind] += len(inserted)
    run.done()
    return True


def _insert_escalations(session: Session, rows: list[dict]) -> set[int]:
    """Insert escalations, skipping any (lead, kind) that exists (also one a concurrent sweep just wrote);
    returns the lead ids actually inserted (ON CONFLICT DO NOTHING ... RETURNING, sent as one executemany)."""
    dialect = postgresql if _is_postgres(session) else sqlite
    stmt = (dialect.insert(LeadEscalation).on_conflict_do_nothing(index_elements=["lead_id", "kind"])
            .returning(LeadEscalation.lead_id))
    return set(session.scalars(stmt, rows).all()) if rows else set()


# Notifications ---------------------------------------------------------------------------------------------------

def _notify(run: _Run) -> int:
    """One notice per bank for its new leads, and per township / the district / the bank for escalations (each
    expired lead's bank was told as it expired, by followups.notify_expired)."""
    session, sent = run.session, 0
    for bank_id, n in sorted(run.new_by_bank.items()):
        sent += len(notifications.notify(session, "new_lead", N_("新线索 %(n)s 条（其他银行超时未认领，转派本行）"),
                                         params={"n": n}, link="/bank/?tab=new", bank_id=bank_id))
    by_township: dict[tuple[str, int | None], list] = defaultdict(list)
    by_bank: dict[tuple[str, int], list] = defaultdict(list)
    for item in run.escalations:
        by_township[(item[0], item[4])].append(item)
        by_bank[(item[0], item[5])].append(item)
    for (kind, township_id), items in sorted(by_township.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        title, params = _escalation_title(kind, items)
        if township_id is not None:
            sent += len(notifications.notify(session, "escalation", title, params=params, link="/overdue/",
                                             township_id=township_id))
    for kind in ESCALATION_KINDS:
        items = [e for e in run.escalations if e[0] == kind]
        if items:
            title, params = _escalation_title(kind, items)
            sent += len(notifications.notify(session, "escalation", title, params=params,
                                             link="/overdue/", roles=["district"]))
    for (kind, bank_id), items in sorted(by_bank.items()):
        title, params = _escalation_title(kind, items, urged=True)
        sent += len(notifications.notify(session, "escalation", title, params=params,
                                         link="/bank/?tab=open", bank_id=bank_id))
    return sent


def _escalation_title(kind: str, items: list, urged: bool = False) -> tuple[str, dict]:
    """An escalation notice's title (a msgid) and its values; `urged`: the bank's own, "督办：…"."""
    label = ESCALATION_KINDS[kind]
    if len(items) == 1:
        _, lead_id, firm_name, bank_name, *_ = items[0]
        title = N_("督办：%(bank)s：%(firm)s的线索 %(lead)s%(kind_label)s") if urged else \
            N_("%(bank)s：%(firm)s的线索 %(lead)s%(kind_label)s")
        return title, {"bank": bank_name, "firm": firm_name, "lead": lead_no(lead_id), "kind_label": label}
    title = N_("督办：%(n)s 条线索%(kind_label)s") if urged else N_("%(n)s 条线索%(kind_label)s")
    return title, {"n": len(items), "kind_label": label}


# The overdue list ------------------------------------------------------------------------------------------------

def visible_escalations(actor: User) -> Select:
    """Escalations the actor may list: the district all, a township its firms', a bank its own leads'."""
    query = (select(LeadEscalation).join(Lead, Lead.id == LeadEscalation.lead_id)
             .join(FinancingRequest, FinancingRequest.id == Lead.request_id)
             .join(Firm, Firm.id == FinancingRequest.firm_id))
    return visible_to(actor, query, LeadEscalation.id, township=Firm.township_id == actor.township_id,
                      bank=Lead.bank_id == actor.bank_id)


def still_overdue_clause():
    """The escalation's lead is still waiting for the step that was late."""
    return (and_(LeadEscalation.kind == "contact", Lead.state == "claimed")
            | and_(LeadEscalation.kind == "decision", Lead.state.in_(ESCALATION_STATES["decision"])))


def counts_by_kind(session: Session, actor: User) -> dict[str, int]:
    sub = visible_escalations(actor).where(still_overdue_clause()).subquery()
    return dict(session.execute(select(sub.c.kind, func.count()).group_by(sub.c.kind)).all())
